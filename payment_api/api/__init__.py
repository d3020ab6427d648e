"""HTTP layer: thin FastAPI routers per tag, pydantic models mirroring specs/payment_api.yaml."""
