"""A minimal FastAPI JSON endpoint, served by the same uvicorn config as the payment service."""

from fastapi import FastAPI


def create_app() -> FastAPI:
    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/payments/{payment_id}")
    async def get_payment(payment_id: str) -> dict[str, object]:
        return {
            "id": payment_id,
            "status": "succeeded",
            "amount": {"amount": 5000, "currency": "usd"},
            "user_id": None,
        }

    return app
