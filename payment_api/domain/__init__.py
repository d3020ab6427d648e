"""The payment domain: plain Python rules and the ports it needs (docs/architecture.md)."""
