"""A local SMTP sink for development and tests (the mail counterpart of stripe_sandbox)."""
