"""Helpers shared by the payment integration and end-to-end tests."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from datetime import timedelta
from typing import Any

import httpx
from payment_api_client import AuthenticatedClient
from payment_api_client.api.checkout import create_checkout_session
from payment_api_client.api.payments import get_payment
from payment_api_client.api.products import create_product
from payment_api_client.models import (
    CheckoutSession,
    Currency,
    CustomAmountCheckout,
    LineItemInput,
    LineItemsCheckout,
    Money,
    Payment,
    Product,
    ProductCreate,
)

from devstack.services import SANDBOX_API_KEY, SANDBOX_WEBHOOK_SECRET
from payment_api.container import Container
from payment_api.domain.model import InboxEvent


def new_product(client: AuthenticatedClient, amount: int = 1099, currency: str = "USD") -> Product:
    response = create_product.sync_detailed(
        client=client,
        body=ProductCreate(
            name=f"Tea {uuid.uuid4().hex[:6]}", price=Money(amount, Currency(currency))
        ),
    )
    assert response.status_code == 201, response.content
    assert isinstance(response.parsed, Product)
    return response.parsed


def checkout(
    client: AuthenticatedClient, product: Product, quantity: int = 1, key: str | None = None
) -> CheckoutSession:
    body = LineItemsCheckout(line_items=[LineItemInput(product.id, quantity)])
    response = create_checkout_session.sync_detailed(
        client=client, body=body, idempotency_key=key or uuid.uuid4().hex
    )
    assert response.status_code == 201, response.content
    assert isinstance(response.parsed, CheckoutSession)
    return response.parsed


def custom_checkout(
    client: AuthenticatedClient, amount: int, currency: str = "USD"
) -> CheckoutSession:
    body = CustomAmountCheckout(custom_amount=Money(amount, Currency(currency)))
    response = create_checkout_session.sync_detailed(client=client, body=body)
    assert response.status_code == 201, response.content
    assert isinstance(response.parsed, CheckoutSession)
    return response.parsed


def fetch(client: AuthenticatedClient, payment_id: str) -> Payment:
    response = get_payment.sync_detailed(payment_id, client=client)
    assert isinstance(response.parsed, Payment), response.content
    return response.parsed


def wait_for_status(
    client: AuthenticatedClient, payment_id: str, status: str, timeout: float = 8
) -> Payment:
    deadline = time.monotonic() + timeout
    while True:
        payment = fetch(client, payment_id)
        if str(payment.status) == status:
            return payment
        if time.monotonic() > deadline:
            raise AssertionError(f"payment {payment_id} is {payment.status}, not {status}")
        time.sleep(0.05)


def sign(payload: bytes, secret: str = SANDBOX_WEBHOOK_SECRET, at: int | None = None) -> str:
    timestamp = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def event_payload(event_type: str, obj: dict[str, Any], event_id: str | None = None) -> bytes:
    return json.dumps(
        {
            "id": event_id or f"evt_test_{uuid.uuid4().hex}",
            "object": "event",
            "type": event_type,
            "created": int(time.time()),
            "data": {"object": obj},
        }
    ).encode()


def sandbox_events(sandbox_url: str, event_type: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{sandbox_url}/v1/events",
        params={"type": event_type, "limit": 100},
        auth=(SANDBOX_API_KEY, ""),
        timeout=10,
    )
    response.raise_for_status()
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def receive_and_process(container: Container, payload: bytes) -> InboxEvent:
    """What the webhook route does (verify, store) and then the worker (process the stored
    events), in process: the stored event after processing."""
    receipt = container.inbox.receive(payload, sign(payload))
    assert receipt.state == "received" or receipt.duplicate, receipt
    processed = container.inbox.process_received(100, timedelta(minutes=1))
    for row in processed:
        if row.id == receipt.event_id:
            return row
    return container.inbox.process(receipt.event_id)  # a duplicate: processed before


def wait_until_processed(
    base_url: str, headers: dict[str, str], event_id: str, timeout: float = 20
) -> dict[str, Any]:
    """The stored Stripe event once the worker has processed it (the webhook only stores)."""
    deadline = time.monotonic() + timeout
    while True:
        found = httpx.get(f"{base_url}/webhooks/events/{event_id}", headers=headers, timeout=5)
        if found.status_code == 200 and found.json()["state"] != "received":
            record: dict[str, Any] = found.json()
            return record
        if time.monotonic() > deadline:
            raise AssertionError(f"event {event_id} not processed: {found.text}")
        time.sleep(0.05)
