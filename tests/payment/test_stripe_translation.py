"""The Stripe translation layer: signed bodies and SDK answers in, the domain's facts out.

Pure functions and the webhook verifier; one test goes through the inbox to show that a body
the layer refuses is never stored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from payment_api.domain.ports import (
    BadSignatureError,
    Malformed,
    PaymentAttemptFailed,
    RefundInfo,
    RefundsReported,
    SessionChanged,
    Unhandled,
)
from payment_api.domain.states import PaymentEvent, RefundStatus
from payment_api.gateways.stripe_translation import StripeWebhooks, event_fact, session_info
from tests.payment.fakes import FakeGateway, unit_container
from tests.payment.helpers import event_payload, sign

WEBHOOKS = StripeWebhooks(["whsec_test"], 300)


def verified(event_type: str, obj: Any) -> Any:
    payload = event_payload(event_type, obj)
    return WEBHOOKS.verify(payload, sign(payload, secret="whsec_test"))


def test_webhook_secrets_rotate_any_configured_secret_verifies() -> None:
    payload = b'{"id": "evt_1", "type": "x", "data": {"object": {}}}'
    header = sign(payload, secret="whsec_new")
    StripeWebhooks(["whsec_old", "whsec_new"], 300).verify(payload, header)
    with pytest.raises(BadSignatureError):
        StripeWebhooks(["whsec_old"], 300).verify(payload, header)
    with pytest.raises(BadSignatureError):
        StripeWebhooks(["whsec_new"], 300).verify(payload, None)
    with pytest.raises(BadSignatureError):
        StripeWebhooks([], 300).verify(payload, header)


@pytest.mark.parametrize(
    "payload",
    [
        b'{"id": "evt_t", "type": [null, null], "data": {}}',
        b'{"id": 7, "type": "x", "data": {}}',
        b'{"id": "evt_d", "type": "x", "data": 5}',
        b'{"id": "evt_m", "type": "x"}',
    ],
)
def test_a_signed_body_that_is_no_stripe_event_is_refused_and_not_stored(
    tmp_path: Path, payload: bytes
) -> None:
    # Found by make contract-test's signed negative cases: str() turned a list into a type.
    container = unit_container(tmp_path, FakeGateway())
    with pytest.raises(BadSignatureError, match="not a Stripe event"):
        container.inbox.receive(payload, sign(payload))
    with container.uow() as uow:
        assert all(uow.inbox.get(i) is None for i in ("evt_t", "7", "evt_d", "evt_m"))


@pytest.mark.parametrize(
    ("status", "payment_status", "intent_status", "event"),
    [
        ("open", "unpaid", None, None),
        ("expired", "unpaid", None, PaymentEvent.SESSION_EXPIRED),
        ("complete", "paid", "succeeded", PaymentEvent.SESSION_COMPLETED_PAID),
        ("complete", "no_payment_required", None, PaymentEvent.SESSION_COMPLETED_PAID),
        ("complete", "unpaid", "processing", PaymentEvent.SESSION_COMPLETED_UNPAID),
        ("complete", "unpaid", "requires_payment_method", PaymentEvent.ASYNC_PAYMENT_FAILED),
    ],
)
def test_reconcile_reads_the_session_into_one_event(
    status: str, payment_status: str, intent_status: str | None, event: PaymentEvent | None
) -> None:
    intent = {"id": "pi", "status": intent_status} if intent_status else "pi"
    session = {"id": "cs", "status": status, "payment_status": payment_status,
               "payment_intent": intent}  # fmt: skip
    assert session_info(session).change == event


@pytest.mark.parametrize(
    ("payment_status", "event"),
    [
        ("paid", PaymentEvent.SESSION_COMPLETED_PAID),
        ("no_payment_required", PaymentEvent.SESSION_COMPLETED_PAID),
        ("unpaid", PaymentEvent.SESSION_COMPLETED_UNPAID),
    ],
)
def test_a_completed_session_is_paid_by_one_rule_for_webhooks_and_reconcile(
    payment_status: str, event: PaymentEvent
) -> None:
    session = {"id": "cs_1", "status": "complete", "payment_status": payment_status}
    fact = verified("checkout.session.completed", session).fact
    assert isinstance(fact, SessionChanged)
    assert fact.change == session_info(session).change == event


def test_a_session_event_names_our_payment_its_intent_and_an_expanded_reason() -> None:
    session = {
        "id": "cs_1",
        "client_reference_id": "pay_1",
        "payment_intent": {"id": "pi_1", "last_payment_error": {"code": "card_declined"}},
    }
    fact = verified("checkout.session.async_payment_failed", session).fact
    assert fact == SessionChanged(
        session_id="cs_1",
        payment_id="pay_1",
        payment_intent_id="pi_1",
        change=PaymentEvent.ASYNC_PAYMENT_FAILED,
        intent_expanded=True,
        failure_reason="card_declined",
    )
    other = verified("checkout.session.something_new", {"id": "cs_2"}).fact
    assert isinstance(other, SessionChanged)
    assert other.change is None


def test_refund_events_list_their_refunds_with_our_id_and_a_domain_status() -> None:
    refund = {"id": "re_1", "amount": 300, "status": "canceled", "payment_intent": "pi_1",
              "metadata": {"refund_id": "ours"}}  # fmt: skip
    expected = RefundInfo("re_1", RefundStatus.FAILED, 300, "pi_1", "ours")
    assert verified("refund.updated", refund).fact == RefundsReported((expected,))
    charge = {"id": "ch_1", "refunds": {"data": [refund, {**refund, "status": "pending"}]}}
    fact = verified("charge.refunded", charge).fact
    assert isinstance(fact, RefundsReported)
    assert [r.status for r in fact.refunds] == [RefundStatus.FAILED, RefundStatus.PENDING]
    assert verified("charge.refunded", {"id": "ch_2"}).fact == RefundsReported(())


def test_a_failed_payment_attempt_keeps_the_gateways_reason() -> None:
    intent = {"id": "pi_1", "metadata": {"payment_id": "pay_1"},
              "last_payment_error": {"code": "card_declined", "message": "Declined."}}  # fmt: skip
    fact = verified("payment_intent.payment_failed", intent).fact
    assert fact == PaymentAttemptFailed("pi_1", "pay_1", "card_declined: Declined.")


def test_an_unreadable_object_is_a_malformed_fact_and_other_types_are_unhandled() -> None:
    assert event_fact("refund.created", {}) == Malformed("KeyError: 'object'")
    assert event_fact("refund.created", {"object": {"id": "re_1"}}) == Malformed(
        "KeyError: 'amount'"
    )
    assert event_fact("customer.created", {"object": 5}) == Unhandled()


def test_the_verified_event_keeps_the_raw_body_for_the_inbox() -> None:
    payload = event_payload("customer.created", {"id": "cus_1"})
    event = WEBHOOKS.verify(payload, sign(payload, secret="whsec_test"))
    assert event.payload == payload.decode()
    assert (event.id, event.type) == (json.loads(payload)["id"], "customer.created")
    assert WEBHOOKS.parse(event.payload) == event
    with pytest.raises(BadSignatureError, match="not a JSON event"):
        WEBHOOKS.verify(b"\xff", sign(b"\xff", secret="whsec_test"))  # not UTF-8


def test_an_event_names_the_idempotency_key_of_the_request_behind_it() -> None:
    payload = event_payload("checkout.session.expired", {"id": "cs_1"})
    event = json.loads(payload)
    for request, key in (
        ({"id": "req_1", "idempotency_key": "cancel-p1"}, "cancel-p1"),
        ({"id": None, "idempotency_key": None}, None),  # expired by its time
        ("req_1", None),  # older API versions: the request id only
        (None, None),
    ):
        body = json.dumps({**event, "request": request}).encode()
        fact = WEBHOOKS.verify(body, sign(body, secret="whsec_test")).fact
        assert isinstance(fact, SessionChanged)
        assert fact.request_key == key
