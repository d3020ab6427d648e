"""The stored Stripe events, listed and read through the generated client: an operator finds
the event behind a payment's change (or a failed one) without knowing its id first."""

from __future__ import annotations

import httpx
from payment_api_client import AuthenticatedClient
from payment_api_client.api.webhooks import get_webhook_event, list_webhook_events
from payment_api_client.models import InboxState, Problem, WebhookEventList, WebhookEventRecord

from tests.fixtures.auth import Customer
from tests.fixtures.payment_service import PaymentStack
from tests.payment.helpers import custom_checkout, event_payload, sign, wait_for_status


def test_the_event_that_paid_a_payment_is_listed_and_readable_by_its_id(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient
) -> None:
    session = custom_checkout(payment_client, 2200)
    payment_stack.sandbox_call(
        "POST",
        f"/_sandbox/checkout/sessions/{session.session_id}/complete",
        json={"outcome": "paid"},
    )
    payment = wait_for_status(payment_client, session.payment_id, "succeeded")
    event_id = payment.status_history[-1].event_id
    assert isinstance(event_id, str)

    page = list_webhook_events.sync(
        client=payment_client,
        type_="checkout.session.completed",
        state=InboxState.PROCESSED,
        limit=100,
    )
    assert isinstance(page, WebhookEventList)
    assert event_id in [e.id for e in page.data]
    assert all(e.type_ == "checkout.session.completed" for e in page.data)
    received = [e.received_at for e in page.data]
    assert received == sorted(received, reverse=True)

    one = get_webhook_event.sync(event_id, client=payment_client)
    assert isinstance(one, WebhookEventRecord)
    assert one.state == InboxState.PROCESSED
    assert one.outcome is not None
    assert "succeeded" in one.outcome


def test_pages_of_stored_events_follow_their_cursor_without_repeats(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient
) -> None:
    for _ in range(2):  # two stored events at least, whatever ran before
        body = event_payload("customer.created", {"id": "cus_1", "object": "customer"})
        stored = httpx.post(
            payment_stack.webhook_url,
            content=body,
            headers={"Stripe-Signature": sign(body), "Content-Type": "application/json"},
            timeout=10,
        )
        assert stored.status_code == 200, stored.text
    first = list_webhook_events.sync(client=payment_client, limit=1)
    assert isinstance(first, WebhookEventList)
    assert len(first.data) == 1
    assert isinstance(first.next_cursor, str)
    second = list_webhook_events.sync(client=payment_client, limit=1, cursor=first.next_cursor)
    assert isinstance(second, WebhookEventList)
    assert [e.id for e in second.data] != [e.id for e in first.data]
    assert second.data[0].received_at <= first.data[0].received_at


def test_an_unknown_stored_event_is_404_and_customers_may_not_list_them(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient, customer: Customer
) -> None:
    missing = get_webhook_event.sync_detailed("evt_never_stored", client=payment_client)
    assert missing.status_code == 404
    assert isinstance(missing.parsed, Problem)
    bad = list_webhook_events.sync_detailed(client=payment_client, cursor="not-a-cursor")
    assert bad.status_code == 422
    with payment_stack.client(customer.token) as as_customer:
        assert list_webhook_events.sync_detailed(client=as_customer).status_code == 403
