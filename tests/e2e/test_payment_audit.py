"""The payment service's audit trail with real processes: admin actions on products, refunds,
webhook endpoints and stored events are recorded once with who, from where and the request
id; admins read them (newest first, filtered); the database refuses to change them."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from payment_api_client import AuthenticatedClient
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from tests.fixtures.payment_service import PaymentStack
from tests.payment.helpers import custom_checkout, new_product, wait_for_status


def trail(stack: PaymentStack, **params: str) -> list[dict[str, Any]]:
    answer = httpx.get(
        f"{stack.url}/audit/payment-events", params=params, headers=stack.admin_headers, timeout=10
    )
    assert answer.status_code == 200, answer.text
    data: list[dict[str, Any]] = answer.json()["data"]
    return data


def test_a_price_change_is_recorded_once_with_the_old_and_new_price_and_the_request_id(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient
) -> None:
    product = new_product(payment_client, amount=1250)
    request_id = f"audit-{uuid.uuid4().hex}"
    changed = httpx.patch(
        f"{payment_stack.url}/products/{product.id}",
        json={"price": {"amount": 1500, "currency": "USD"}, "name": product.name},
        headers={**payment_stack.admin_headers, "X-Request-ID": request_id},
        timeout=10,
    )
    assert changed.status_code == 200
    updated, created = trail(payment_stack, target_id=product.id)  # newest first
    assert (created["action"], updated["action"]) == ("product.created", "product.updated")
    assert updated["details"] == {"price": "1250 USD -> 1500 USD"}  # the unchanged name: absent
    assert updated["actor"]["request_id"] == request_id
    assert updated["actor"]["address"] == "127.0.0.1"
    assert updated["actor"]["user_id"]


def test_a_refund_and_an_event_replay_are_recorded_once_each(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient
) -> None:
    session = custom_checkout(payment_client, 2200)
    payment_stack.sandbox_call(
        "POST", f"/_sandbox/checkout/sessions/{session.session_id}/complete",
        json={"outcome": "paid"},
    )  # fmt: skip
    wait_for_status(payment_client, session.payment_id, "succeeded")
    key = uuid.uuid4().hex
    for _ in range(2):  # a retry with the same key is the same refund: recorded once
        refund = httpx.post(
            f"{payment_stack.url}/payments/{session.payment_id}/refunds",
            json={"amount": 700},
            headers={**payment_stack.admin_headers, "Idempotency-Key": key},
            timeout=15,
        )
        assert refund.status_code == 201, refund.text
    refund_id = refund.json()["id"]
    (event,) = trail(payment_stack, action="refund.created", target_id=refund_id)
    assert event["details"] == {
        "payment_id": session.payment_id, "amount": "700 USD", "reason": ""
    }  # fmt: skip

    admin = payment_stack.admin_headers
    events = httpx.get(f"{payment_stack.url}/webhooks/events", params={"limit": 1},
                       headers=admin, timeout=10)  # fmt: skip
    stored = events.json()["data"][0]
    replayed = httpx.post(f"{payment_stack.url}/webhooks/events/{stored['id']}/replay",
                          headers=admin, timeout=15)  # fmt: skip
    assert replayed.status_code == 200
    (replay,) = trail(payment_stack, action="webhook_event.replayed", target_id=stored["id"])
    assert replay["actor"]["user_id"] == event["actor"]["user_id"]


def test_endpoint_changes_are_recorded_and_a_secret_never_is(
    payment_stack: PaymentStack,
) -> None:
    url = f"http://127.0.0.1:9/audit/{uuid.uuid4().hex}"
    headers = payment_stack.admin_headers
    body = {"url": url, "event_types": ["*"]}
    created = httpx.post(
        f"{payment_stack.url}/webhook-endpoints", json=body, headers=headers, timeout=10
    )
    assert created.status_code == 201
    endpoint = created.json()
    base = f"{payment_stack.url}/webhook-endpoints/{endpoint['id']}"
    httpx.patch(base, json={"enabled": False}, headers=headers, timeout=10).raise_for_status()
    httpx.post(f"{base}/rotate-secret", json={}, headers=headers, timeout=10).raise_for_status()
    httpx.delete(base, headers=headers, timeout=10).raise_for_status()
    events = trail(payment_stack, target_id=endpoint["id"])
    assert [e["action"] for e in reversed(events)] == [
        "webhook_endpoint.created", "webhook_endpoint.updated",
        "webhook_endpoint.secret_rotated", "webhook_endpoint.deleted",
    ]  # fmt: skip
    assert events[2]["details"] == {"status": "enabled -> disabled"}
    assert endpoint["secret"] not in str(events)


def test_customers_may_not_read_the_trail(payment_stack: PaymentStack, make_customer: Any) -> None:
    answer = httpx.get(
        f"{payment_stack.url}/audit/payment-events", headers=make_customer().headers, timeout=10
    )
    assert answer.status_code == 403


@pytest.mark.parametrize("statement", [
    "UPDATE pay_audit_events SET action = 'product.created'",
    "DELETE FROM pay_audit_events",
])  # fmt: skip
def test_the_database_refuses_to_change_or_delete_an_audit_event(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient, statement: str
) -> None:
    new_product(payment_client)
    engine = create_engine(payment_stack.database_url)
    try:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as db:
            db.execute(text(statement))
    finally:
        engine.dispose()
