"""Adapters to the outside: the payment gateway (Stripe) and the user directory (user service)."""
