"""Domain layer: plain Python rules of the payment service (no web framework here)."""
