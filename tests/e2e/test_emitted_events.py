"""The events the platform emitted, read through the generated client: a payment paid on the
hosted page and refunded leaves its events in order, shaped as the API shows the resources."""

from __future__ import annotations

from payment_api_client import AuthenticatedClient
from payment_api_client.api.events import get_event, list_events
from payment_api_client.api.payments import create_refund
from payment_api_client.models import (
    EventType,
    OutboundEvent,
    OutboundEventList,
    Payment,
    Problem,
    Refund,
    RefundCreate,
)

from tests.fixtures.auth import Customer
from tests.fixtures.payment_service import PaymentStack
from tests.payment.helpers import custom_checkout, wait_for_status


def events_of(client: AuthenticatedClient, object_id: str) -> list[OutboundEvent]:
    page = list_events.sync(client=client, object_id=object_id, limit=100)
    assert isinstance(page, OutboundEventList)
    return list(reversed(page.data))  # oldest first


def test_a_paid_and_refunded_payment_leaves_its_events_newest_first_with_the_resources(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient
) -> None:
    session = custom_checkout(payment_client, 3100)
    payment_stack.sandbox_call(
        "POST",
        f"/_sandbox/checkout/sessions/{session.session_id}/complete",
        json={"outcome": "paid"},
    )
    wait_for_status(payment_client, session.payment_id, "succeeded")
    refund = create_refund.sync(
        session.payment_id, client=payment_client, body=RefundCreate(amount=1000)
    )
    assert isinstance(refund, Refund)

    [succeeded, partially] = events_of(payment_client, session.payment_id)
    assert (succeeded.type_, partially.type_) == (
        EventType.PAYMENT_SUCCEEDED,
        EventType.PAYMENT_PARTIALLY_REFUNDED,
    )
    assert isinstance(succeeded.data, Payment)
    assert str(succeeded.data.status) == "succeeded"
    assert isinstance(partially.data, Payment)
    assert partially.data.refunded_amount.amount == 1000
    [refund_event] = events_of(payment_client, refund.id)
    assert refund_event.type_ == EventType.REFUND_SUCCEEDED
    assert isinstance(refund_event.data, Refund)
    assert refund_event.data.id == refund.id

    again = get_event.sync(succeeded.id, client=payment_client)
    assert isinstance(again, OutboundEvent)
    assert again.to_dict() == succeeded.to_dict()
    only = list_events.sync(
        client=payment_client, type_=EventType.REFUND_SUCCEEDED, object_id=refund.id
    )
    assert isinstance(only, OutboundEventList)
    assert [e.id for e in only.data] == [refund_event.id]


def test_an_unknown_event_is_404_and_customers_may_not_read_events(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient, customer: Customer
) -> None:
    missing = get_event.sync_detailed("00000000-0000-0000-0000-000000000000", client=payment_client)
    assert missing.status_code == 404
    assert isinstance(missing.parsed, Problem)
    with payment_stack.client(customer.token) as as_customer:
        assert list_events.sync_detailed(client=as_customer).status_code == 403
