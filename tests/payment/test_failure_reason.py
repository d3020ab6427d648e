"""Why a payment failed: the gateway's `last_payment_error` reaches `failure_reason`.

Fake gateway (it answers `get_session` with the expanded payment intent's error, or fails),
real SQLite database, the real webhook inbox and reconciler.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import stripe

from payment_api.container import Container
from payment_api.db.models import Payment
from payment_api.domain.idempotency import Idempotency
from payment_api.domain.model import utcnow
from payment_api.domain.ports import GatewayError
from payment_api.domain.reconcile import Reconciler
from payment_api.domain.states import PaymentEvent, PaymentStatus
from payment_api.gateways.stripe_translation import FAILURE_REASON_MAX, failure_reason, session_info
from tests.payment.fakes import ReasonGateway, unit_container
from tests.payment.helpers import event_payload, receive_and_process, sign

DECLINED = {
    "type": "card_error",
    "code": "card_declined",
    "decline_code": "generic_decline",
    "message": "Your card was declined.",
    "charge": "ch_1",
}
REASON = "card_declined: Your card was declined."


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (DECLINED, REASON),
        ({"type": "card_error", "decline_code": "insufficient_funds",
          "message": "Your card has insufficient funds."},
         "insufficient_funds: Your card has insufficient funds."),
        ({"type": "api_error"}, "api_error"),
        ({"message": "The bank refused the debit."}, "The bank refused the debit."),
        ({"code": "x", "message": "two\nlines\x00"}, "x: two lines"),
        ({}, None),
        (None, None),
    ],
)  # fmt: skip
def test_failure_reason_is_a_short_human_string_from_last_payment_error(
    error: dict[str, Any] | None, reason: str | None
) -> None:
    assert failure_reason(error) == reason


def test_failure_reason_reads_stripe_objects_and_stays_short() -> None:
    obj = stripe.StripeObject.construct_from(DECLINED, "sk_test_x")
    assert failure_reason(obj) == REASON
    long = failure_reason({"code": "card_declined", "message": "word " * 200})
    assert long is not None
    assert len(long) <= FAILURE_REASON_MAX
    assert long.endswith("…")


@pytest.fixture
def gateway() -> ReasonGateway:
    return ReasonGateway(REASON)


@pytest.fixture
def container(tmp_path: Path, gateway: ReasonGateway) -> Container:
    return unit_container(tmp_path, gateway)


def new_payment(container: Container, status: str, **extra: Any) -> str:
    with container.uow() as uow:
        payment = Payment(
            status=PaymentStatus(status),
            amount=4300,
            currency="USD",
            checkout_session_id=f"cs_{status}_{len(extra)}",
            payment_intent_id="pi_1",
            success_url="https://shop.example/ok",
            cancel_url="https://shop.example/no",
            **extra,
        )
        uow.session.add(payment)
        uow.commit()
        return payment.id


def deliver(container: Container, event_type: str, obj: dict[str, Any]) -> str:
    payload = event_payload(event_type, obj)
    first = receive_and_process(container, payload)
    row = container.inbox.process(first.id)  # a second delivery: nothing changes
    assert first.state == row.state == "processed", row.error
    return str(row.outcome)


def payment(container: Container, payment_id: str) -> Payment:
    with container.uow() as uow:
        found = uow.payments.get(payment_id)
        assert found is not None
        return found


def session_failed(payment_id: str, session_id: str) -> dict[str, Any]:
    return {
        "id": session_id,
        "object": "checkout.session",
        "metadata": {"payment_id": payment_id},
        "payment_intent": "pi_1",
        "payment_status": "unpaid",
    }


def test_async_payment_failed_webhook_records_the_gateways_reason(
    container: Container, gateway: ReasonGateway
) -> None:
    payment_id = new_payment(container, "processing")
    session_id = payment(container, payment_id).checkout_session_id
    assert session_id
    outcome = deliver(
        container,
        "checkout.session.async_payment_failed",
        session_failed(payment_id, session_id),
    )
    assert outcome == "async_payment_failed: failed"
    failed = payment(container, payment_id)
    assert (failed.status, failed.failure_reason) == ("failed", REASON)
    assert gateway.asked == [session_id]


def test_an_expanded_payment_intent_in_the_event_needs_no_gateway_call(
    container: Container, gateway: ReasonGateway
) -> None:
    payment_id = new_payment(container, "processing")
    session = session_failed(payment_id, "cs_expanded")
    session["payment_intent"] = {"id": "pi_1", "last_payment_error": DECLINED}
    deliver(container, "checkout.session.async_payment_failed", session)
    assert payment(container, payment_id).failure_reason == REASON
    assert gateway.asked == []


def test_gateway_down_still_fails_the_payment_and_the_intent_event_fills_the_reason_in(
    container: Container, gateway: ReasonGateway
) -> None:
    gateway.error = GatewayError("unavailable", "payment gateway unreachable")
    payment_id = new_payment(container, "processing")
    deliver(container, "checkout.session.async_payment_failed", session_failed(payment_id, "cs"))
    failed = payment(container, payment_id)
    assert (failed.status, failed.failure_reason) == ("failed", None)

    intent = {"id": "pi_1", "object": "payment_intent", "status": "requires_payment_method",
              "metadata": {"payment_id": payment_id}, "last_payment_error": DECLINED}  # fmt: skip
    outcome = deliver(container, "payment_intent.payment_failed", intent)
    assert outcome == "failure reason recorded: failed"
    assert payment(container, payment_id).failure_reason == REASON


def test_intent_failure_on_an_open_checkout_moves_nothing_and_records_nothing(
    container: Container,
) -> None:
    """A declined card on the hosted page: the shopper may still pay with another one."""
    payment_id = new_payment(container, "pending")
    intent = {"id": "pi_other", "metadata": {"payment_id": payment_id},
              "last_payment_error": DECLINED}  # fmt: skip
    assert deliver(container, "payment_intent.payment_failed", intent) == "ignored: pending"
    still = payment(container, payment_id)
    assert (still.status, still.failure_reason) == ("pending", None)


def test_intent_failure_found_by_payment_intent_id_without_metadata(
    container: Container,
) -> None:
    payment_id = new_payment(container, "processing")
    intent = {"id": "pi_1", "metadata": {}, "last_payment_error": DECLINED}
    deliver(container, "payment_intent.payment_failed", intent)
    assert payment(container, payment_id).failure_reason == REASON
    assert payment(container, payment_id).status == "processing"


def test_replaying_a_processed_failure_event_asks_the_gateway_again_only_when_forced(
    container: Container, gateway: ReasonGateway
) -> None:
    payment_id = new_payment(container, "processing")
    payload = event_payload(
        "checkout.session.async_payment_failed", session_failed(payment_id, "cs_r")
    )
    event_id = json.loads(payload)["id"]
    container.inbox.receive(payload, sign(payload))  # stored and processed
    container.inbox.process(event_id)  # a second delivery racing in: nothing to do
    assert gateway.asked == ["cs_r"]
    container.inbox.process(event_id, force=True)  # the admin replay
    assert gateway.asked == ["cs_r", "cs_r"]


def test_reconcile_fails_a_stale_async_payment_with_the_gateways_reason(
    container: Container, gateway: ReasonGateway
) -> None:
    payment_id = new_payment(container, "processing", updated_at=utcnow() - timedelta(hours=1))
    reconciler = Reconciler(
        container.uow,
        gateway,
        container.inbox,
        Idempotency(
            container.uow, retention=timedelta(hours=48), in_progress_timeout=timedelta(seconds=0)
        ),
        stale_after=timedelta(seconds=0),
        batch_size=10,
    )
    report = reconciler.run()
    assert report.payments_changed == 1
    failed = payment(container, payment_id)
    assert (failed.status, failed.failure_reason) == ("failed", REASON)


def test_stripe_gateway_reads_the_reason_of_the_expanded_payment_intent() -> None:
    session = stripe.checkout.Session.construct_from(
        {
            "id": "cs_1",
            "object": "checkout.session",
            "url": None,
            "status": "complete",
            "payment_status": "unpaid",
            "expires_at": None,
            "payment_intent": {
                "id": "pi_1",
                "object": "payment_intent",
                "status": "requires_payment_method",
                "last_payment_error": DECLINED,
            },
        },
        "sk_test_x",
    )
    info = session_info(session.to_dict())  # as StripeGateway reads it
    # The expanded intent wants a new payment method: the async payment failed, and why.
    assert (info.change, info.payment_error) == (PaymentEvent.ASYNC_PAYMENT_FAILED, REASON)
