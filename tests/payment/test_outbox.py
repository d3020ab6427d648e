"""The transactional outbox: every payment or refund move writes its outbound event in the
same transaction, shaped as the API shows the resource; a move that rolls back leaves none."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from jsonschema import FormatChecker
from sqlalchemy import select

from payment_api.api.schemas import Payment as PaymentModel
from payment_api.api.schemas import Refund as RefundModel
from payment_api.container import Container
from payment_api.db.models import OutboundEvent
from payment_api.domain.checkout import CheckoutRequest
from payment_api.domain.events import payment_event
from payment_api.domain.money import Money
from payment_api.domain.payments import apply_event, get_payment
from payment_api.domain.refunds import RefundRequest, RefundService
from payment_api.domain.states import PaymentEvent, PaymentStatus, RefundStatus
from payment_api.event_payloads import API_VERSION
from tests.payment.fakes import FakeUsers, IdempotentGateway, unit_container
from tests.payment.helpers import event_payload, receive_and_process


@pytest.fixture
def gateway() -> IdempotentGateway:
    return IdempotentGateway()


@pytest.fixture
def container(tmp_path: Path, gateway: IdempotentGateway) -> Container:
    return unit_container(tmp_path, gateway, FakeUsers())


def events(container: Container) -> list[dict[str, Any]]:
    with container.uow() as uow:
        rows = uow.session.scalars(select(OutboundEvent).order_by(OutboundEvent.created_at))
        return [json.loads(r.payload) | {"_object_id": r.object_id} for r in rows]


def paid(container: Container) -> str:
    """A checkout whose session the gateway reports paid, through the webhook inbox."""
    started = container.checkout.start(CheckoutRequest(custom_amount=Money(1000, "USD")))
    session = {
        "id": started.session_id,
        "object": "checkout.session",
        "payment_status": "paid",
        "status": "complete",
        "payment_intent": "pi_1",
        "metadata": {"payment_id": started.payment_id},
    }
    body = event_payload("checkout.session.completed", session)
    assert receive_and_process(container, body).state == "processed"
    return started.payment_id


def test_a_paid_checkout_emits_payment_succeeded_with_the_payment_as_the_api_shows_it(
    container: Container,
) -> None:
    payment_id = paid(container)
    [event] = events(container)
    assert event["type"] == "payment.succeeded"
    assert len(event["id"]) == 36
    assert event["api_version"] == API_VERSION
    assert event["created"].endswith("Z")
    shown = container.reads.payment(payment_id)
    assert shown is not None
    expected = PaymentModel.model_validate(shown).model_dump(mode="json")
    assert event["data"] == expected
    assert event["data"]["status_history"][-1]["to_status"] == "succeeded"


def test_a_creation_moves_nothing_and_emits_nothing(container: Container) -> None:
    container.checkout.start(CheckoutRequest(custom_amount=Money(1000, "USD")))
    assert events(container) == []


def test_a_move_that_rolls_back_leaves_no_event(container: Container) -> None:
    payment_id = paid(container)
    before = len(events(container))
    with container.uow() as uow:
        payment = get_payment(uow, payment_id, for_update=True)
        assert apply_event(uow, payment, PaymentEvent.FULLY_REFUNDED)
        uow.rollback()
    assert len(events(container)) == before


def test_an_event_the_state_machine_ignores_emits_nothing(container: Container) -> None:
    payment_id = paid(container)
    before = len(events(container))
    with container.uow() as uow:
        payment = get_payment(uow, payment_id, for_update=True)
        assert not apply_event(uow, payment, PaymentEvent.SESSION_EXPIRED)
        uow.commit()
    assert len(events(container)) == before


def test_a_partial_then_full_refund_emits_refund_and_payment_events_in_causal_order(
    container: Container, gateway: IdempotentGateway
) -> None:
    payment_id = paid(container)
    refunds = RefundService(container.uow, gateway, container.refunds.idempotency)
    first = refunds.create(payment_id, RefundRequest(amount=400))
    refunds.create(payment_id, RefundRequest())
    types = [e["type"] for e in events(container)]
    assert types == [
        "payment.succeeded",
        "refund.succeeded",
        "payment.partially_refunded",
        "refund.succeeded",
        "payment.refunded",
    ]
    refund_event = events(container)[1]
    assert refund_event["_object_id"] == first.id
    RefundModel.model_validate(refund_event["data"])
    assert refund_event["data"]["amount"] == {"amount": 400, "currency": "USD"}
    assert events(container)[-1]["data"]["refunded_amount"]["amount"] == 1000


def test_a_refund_the_gateway_refuses_emits_refund_failed_once(
    container: Container, gateway: IdempotentGateway
) -> None:
    payment_id = paid(container)
    gateway.new_status = RefundStatus.FAILED
    refunds = RefundService(container.uow, gateway, container.refunds.idempotency)
    refund = refunds.create(payment_id, RefundRequest(amount=100))
    assert refund.status == RefundStatus.FAILED
    assert [e["type"] for e in events(container)] == ["payment.succeeded", "refund.failed"]


@pytest.mark.parametrize("status", list(PaymentStatus))
def test_every_status_but_pending_has_its_payment_event(status: PaymentStatus) -> None:
    emitted = payment_event(status)
    assert (emitted is None) == (status is PaymentStatus.PENDING)
    if emitted is not None:
        assert emitted.object_type == "payment"


SPEC = Path(__file__).resolve().parents[2] / "specs" / "payment_api.yaml"


def spec_validator(event_type: str) -> jsonschema.Draft202012Validator:
    """The validator of the payload the spec's `webhooks` entry declares for `event_type`."""
    spec = yaml.safe_load(SPEC.read_text("utf-8"))
    body = spec["webhooks"][event_type]["post"]["requestBody"]["content"]["application/json"]
    schema = {**body["schema"], "components": spec["components"]}
    return jsonschema.Draft202012Validator(schema, format_checker=FormatChecker())


def test_the_stored_payloads_are_valid_against_the_specs_webhooks_and_its_version(
    container: Container, gateway: IdempotentGateway
) -> None:
    payment_id = paid(container)
    refunds = RefundService(container.uow, gateway, container.refunds.idempotency)
    refunds.create(payment_id, RefundRequest())
    emitted = events(container)
    assert {e["type"] for e in emitted} == {
        "payment.succeeded",
        "refund.succeeded",
        "payment.refunded",
    }
    for event in emitted:
        event.pop("_object_id")
        spec_validator(event["type"]).validate(event)
    assert yaml.safe_load(SPEC.read_text("utf-8"))["info"]["version"] == API_VERSION
