"""The answers rendered once (api.rendering) are byte for byte what FastAPI's second pass over
the response model would have sent, on the running service."""

from __future__ import annotations

import json
import uuid

import httpx
from payment_api_client import AuthenticatedClient
from pydantic import BaseModel

from payment_api.api.schemas import Payment, PaymentList, WebhookAck
from tests.fixtures.payment_service import PaymentStack
from tests.payment.helpers import checkout, event_payload, new_product, sign


def as_the_model_renders(model: type[BaseModel], body: bytes) -> None:
    """The body validates, has no field the model lacks, and is the model's own rendering of
    it, key order and all."""
    assert set(json.loads(body)) == set(model.model_fields)
    assert body == model.model_validate_json(body).model_dump_json().encode()


def test_a_payment_and_a_page_of_payments_are_what_the_response_models_render(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient
) -> None:
    session = checkout(payment_client, new_product(payment_client, 1099), quantity=2)
    with httpx.Client(base_url=payment_stack.url, headers=payment_stack.admin_headers) as http:
        one = http.get(f"/payments/{session.payment_id}")
        page = http.get("/payments", params={"limit": 3})
    for response in (one, page):
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
    as_the_model_renders(Payment, one.content)
    as_the_model_renders(PaymentList, page.content)
    assert json.loads(one.content)["status_history"][0]["at"].endswith("Z")


def test_a_webhook_acknowledgement_is_what_its_response_model_renders(
    payment_stack: PaymentStack,
) -> None:
    payload = event_payload("customer.created", {"id": "cus_1"}, f"evt_{uuid.uuid4().hex}")
    headers = {"Stripe-Signature": sign(payload), "Content-Type": "application/json"}
    with httpx.Client(base_url=payment_stack.url) as http:
        first = http.post("/webhooks/stripe", content=payload, headers=headers)
        again = http.post("/webhooks/stripe", content=payload, headers=headers)
    for response in (first, again):
        assert response.status_code == 200
        as_the_model_renders(WebhookAck, response.content)
    assert (json.loads(first.content)["duplicate"], json.loads(again.content)["duplicate"]) == (
        False,
        True,
    )
