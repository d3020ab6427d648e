"""Helpers for the sandbox tests: an SDK client, a session factory, control calls, waiting."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
import stripe

from devstack.processes import ServerProcess

T = TypeVar("T")


def sdk(sandbox: ServerProcess, retries: int = 2) -> stripe.StripeClient:
    return stripe.StripeClient(
        "sk_test_x", base_addresses={"api": sandbox.url}, max_network_retries=retries
    )


def session_params(
    amount: int = 1099, currency: str = "usd", quantity: int = 1, **extra: Any
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": currency,
                    "unit_amount": amount,
                    "product_data": {"name": "Green tea"},
                },
                "quantity": quantity,
            }
        ],
        "success_url": "http://shop.test/ok?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://shop.test/cancel",
        "metadata": {"order": "o-1"},
        "payment_intent_data": {"metadata": {"payment_id": "pay_1"}},
    }
    params.update(extra)
    return params


def create_session(client: stripe.StripeClient, **kwargs: Any) -> stripe.checkout.Session:
    return client.v1.checkout.sessions.create(
        params=session_params(**kwargs),  # type: ignore[arg-type]
        options={"idempotency_key": uuid.uuid4().hex},
    )


def control(
    sandbox: ServerProcess, method: str, path: str, json: dict[str, Any] | None = None
) -> Any:
    response = httpx.request(method, sandbox.url + path, json=json, timeout=10)
    response.raise_for_status()
    return response.json()


def complete(sandbox: ServerProcess, session_id: str, outcome: str = "paid") -> Any:
    return control(
        sandbox, "POST", f"/_sandbox/checkout/sessions/{session_id}/complete", {"outcome": outcome}
    )


def wait_for(predicate: Callable[[], T], timeout: float = 5.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)
