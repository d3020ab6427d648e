"""Payment Service: catalogue, Stripe Checkout sessions, payment records, webhooks, refunds."""
