"""Baselines on the same server settings as the services: the bare frameworks (no contract, no
database) and the limits (each path's irreducible work: raw driver, hmac, the same SDK call)."""
