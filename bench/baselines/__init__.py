"""Bare-framework baselines: the same server settings as the services, no contract, no DB."""
