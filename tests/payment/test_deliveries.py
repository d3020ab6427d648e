"""Outbound delivery, in process: each event reaches each subscribed endpoint through one
delivery row written with the event; attempts are leased, recorded and retried with back-off
until the window closes; an endpoint failing too long is disabled; secrets rotate with overlap."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from payment_api.container import Container
from payment_api.db.models import Delivery, DeliveryAttempt, WebhookEndpoint
from payment_api.domain.checkout import CheckoutRequest
from payment_api.domain.deliveries import RetrySchedule
from payment_api.domain.endpoints import EndpointChanges, EndpointDraft, signing_secrets
from payment_api.domain.errors import ConflictError, InvalidFieldError, NotFoundError
from payment_api.domain.model import utcnow
from payment_api.domain.money import Money
from payment_api.domain.payments import apply_event, get_payment
from payment_api.domain.states import (
    AttemptOutcome,
    DeliveryState,
    EndpointStatus,
    PaymentEvent,
)
from tests.payment.fakes import FAILED, Answer, FakeTransport, FakeUsers, IdempotentGateway
from tests.payment.fakes import unit_container as make_container

LEASE = timedelta(minutes=1)


@pytest.fixture
def transport() -> FakeTransport:
    return FakeTransport()


@pytest.fixture
def container(tmp_path: Path, transport: FakeTransport) -> Container:
    return make_container(tmp_path, IdempotentGateway(), FakeUsers(), transport)


def endpoint(container: Container, url: str = "https://shop.example/hooks", *types: str) -> str:
    draft = EndpointDraft(url=url, event_types=list(types) or ["*"], description="orders")
    return container.endpoints.register(draft).id


def pay(container: Container) -> str:
    """A payment moved to succeeded: emits payment.succeeded."""
    started = container.checkout.start(CheckoutRequest(custom_amount=Money(1500, "EUR")))
    with container.uow() as uow:
        payment = get_payment(uow, started.payment_id, for_update=True)
        apply_event(uow, payment, PaymentEvent.SESSION_COMPLETED_PAID)
        uow.commit()
    return started.payment_id


def deliveries(container: Container) -> list[Delivery]:
    with container.uow() as uow:
        return list(uow.session.scalars(select(Delivery).order_by(Delivery.created_at)))


def attempts(container: Container) -> list[DeliveryAttempt]:
    with container.uow() as uow:
        rows = uow.session.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.number))
        return list(rows)


def make_due(container: Container) -> None:
    """Time passes: every pending delivery is due now."""
    with container.uow() as uow:
        uow.session.execute(
            update(Delivery)
            .where(Delivery.state == DeliveryState.PENDING)
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
        uow.commit()


def run_due(container: Container) -> list[AttemptOutcome]:
    return [container.deliveries.attempt(d) for d in container.deliveries.claim(100)]


def test_an_event_gets_one_pending_delivery_per_enabled_endpoint_subscribed_to_its_type(
    container: Container,
) -> None:
    every = endpoint(container, "https://a.example/h")
    succeeded = endpoint(container, "https://b.example/h", "payment.succeeded")
    endpoint(container, "https://c.example/h", "refund.failed")
    off = endpoint(container, "https://d.example/h")
    container.endpoints.update(off, EndpointChanges(enabled=False))

    pay(container)

    found = deliveries(container)
    assert sorted(d.endpoint_id for d in found) == sorted([every, succeeded])
    assert {d.state for d in found} == {DeliveryState.PENDING}
    assert len({d.event_id for d in found}) == 1


def test_a_delivered_attempt_is_logged_with_its_answer_and_sent_under_the_event_id(
    container: Container, transport: FakeTransport
) -> None:
    endpoint(container)
    payment_id = pay(container)

    assert run_due(container) == [AttemptOutcome.DELIVERED]

    [sent] = transport.sent
    body = json.loads(sent.payload)
    assert (body["type"], body["data"]["id"]) == ("payment.succeeded", payment_id)
    assert sent.msg_id == body["id"]  # webhook-id = the event's id: receivers deduplicate
    assert sent.secrets == ("whsec_test1",)
    [delivery] = deliveries(container)
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == (
        DeliveryState.DELIVERED, 1, 200,
    )  # fmt: skip
    assert delivery.delivered_at is not None
    assert delivery.lease_until is None
    [attempt] = attempts(container)
    assert (attempt.outcome, attempt.status_code, attempt.response_excerpt) == (
        AttemptOutcome.DELIVERED, 200, "ok",
    )  # fmt: skip
    assert run_due(container) == []  # delivered once, not again


def test_a_failed_attempt_is_retried_after_a_jittered_exponential_delay(
    container: Container, transport: FakeTransport
) -> None:
    transport.answers = [FAILED, FAILED]
    endpoint(container)
    pay(container)
    schedule = container.deliveries.schedule

    before = utcnow()
    assert run_due(container) == [AttemptOutcome.FAILED]
    [delivery] = deliveries(container)
    assert delivery.state == DeliveryState.PENDING
    assert delivery.last_error == "answered 503"
    assert delivery.next_attempt_at is not None
    wait = delivery.next_attempt_at - before
    assert schedule.base / 2 <= wait <= schedule.base + timedelta(seconds=2)
    assert run_due(container) == []  # not due yet

    make_due(container)
    assert run_due(container) == [AttemptOutcome.FAILED]
    make_due(container)
    assert run_due(container) == [AttemptOutcome.DELIVERED]
    assert [a.outcome for a in attempts(container)] == [
        AttemptOutcome.FAILED, AttemptOutcome.FAILED, AttemptOutcome.DELIVERED,
    ]  # fmt: skip
    assert [a.number for a in attempts(container)] == [1, 2, 3]
    assert len(transport.sent) == 3
    assert len({s.payload for s in transport.sent}) == 1


def test_the_schedule_grows_by_its_factor_up_to_the_cap_and_jitters_within_half() -> None:
    schedule = RetrySchedule()
    lowest = [schedule.delay(n, 0.0).total_seconds() for n in range(1, 10)]
    highest = [schedule.delay(n, 0.999999).total_seconds() for n in range(1, 10)]
    assert lowest[:4] == [5, 20, 80, 320]
    assert [round(h) for h in highest[:4]] == [10, 40, 160, 640]
    assert max(highest) <= schedule.cap.total_seconds()
    assert lowest[-1] == schedule.cap.total_seconds() / 2


def test_a_delivery_gives_up_when_its_retry_window_has_passed(container: Container) -> None:
    container.deliveries.transport = FakeTransport(FAILED)
    endpoint(container)
    pay(container)
    with container.uow() as uow:
        uow.session.execute(
            update(Delivery).values(window_started_at=utcnow() - timedelta(days=3, seconds=1))
        )
        uow.commit()

    assert run_due(container) == [AttemptOutcome.FAILED]
    [delivery] = deliveries(container)
    assert (delivery.state, delivery.next_attempt_at) == (DeliveryState.FAILED, None)


def test_an_endpoint_failing_longer_than_the_disable_period_is_disabled_and_says_why(
    container: Container, transport: FakeTransport
) -> None:
    transport.answers = [FAILED, FAILED]
    endpoint_id = endpoint(container)
    pay(container)
    assert run_due(container) == [AttemptOutcome.FAILED]
    with container.uow() as uow:
        uow.session.execute(
            update(WebhookEndpoint).values(failing_since=utcnow() - timedelta(days=5, seconds=1))
        )
        uow.commit()
    make_due(container)

    assert run_due(container) == [AttemptOutcome.FAILED]
    found = container.reads.endpoint(endpoint_id)
    assert found is not None
    assert found["status"] == EndpointStatus.DISABLED
    assert "every delivery failed since" in found["disabled_reason"]
    make_due(container)
    assert run_due(container) == []  # a disabled endpoint gets nothing

    container.endpoints.update(endpoint_id, EndpointChanges(enabled=True))
    again = container.reads.endpoint(endpoint_id)
    assert again is not None
    assert (again["status"], again["disabled_reason"], again["failing_since"]) == (
        EndpointStatus.ENABLED, None, None,
    )  # fmt: skip
    assert run_due(container) == [AttemptOutcome.DELIVERED]  # its pending delivery resumed


def test_a_leased_delivery_is_not_claimed_twice_until_its_lease_expires(
    container: Container,
) -> None:
    endpoint(container)
    pay(container)
    [first] = container.deliveries.claim(10)
    assert container.deliveries.claim(10) == []  # another worker finds nothing

    with container.uow() as uow:  # the first worker died: its lease runs out
        uow.session.execute(update(Delivery).values(lease_until=utcnow() - timedelta(seconds=1)))
        uow.commit()
    [again] = container.deliveries.claim(10)
    assert again.id == first.id

    container.deliveries.release([again])  # a worker stopping gives it back unattempted
    [released] = container.deliveries.claim(10)
    assert released.id == first.id


def test_an_address_the_policy_refuses_at_delivery_is_logged_as_refused_and_retried(
    container: Container,
) -> None:
    refused = Answer(status_code=None, error="refused: resolves to 10.0.0.1", excerpt=None,
                     ok=False, refused=True)  # fmt: skip
    container.deliveries.transport = FakeTransport(refused)
    endpoint(container)
    pay(container)

    assert run_due(container) == [AttemptOutcome.REFUSED]
    [attempt] = attempts(container)
    assert (attempt.outcome, attempt.status_code) == (AttemptOutcome.REFUSED, None)
    [delivery] = deliveries(container)
    assert delivery.state == DeliveryState.PENDING  # DNS may change back; the window decides


def test_a_rotated_secret_signs_beside_the_old_one_until_the_overlap_ends(
    container: Container, transport: FakeTransport
) -> None:
    endpoint_id = endpoint(container)
    rotated = container.endpoints.rotate_secret(endpoint_id, timedelta(hours=1))
    assert rotated.secret == "whsec_test2"
    assert signing_secrets(rotated) == ("whsec_test2", "whsec_test1")
    pay(container)
    run_due(container)
    assert transport.sent[-1].secrets == ("whsec_test2", "whsec_test1")

    at_once = container.endpoints.rotate_secret(endpoint_id, timedelta(0))
    assert signing_secrets(at_once) == ("whsec_test3",)
    with pytest.raises(InvalidFieldError):
        container.endpoints.rotate_secret(endpoint_id, timedelta(days=8))


def test_a_manual_retry_resends_a_delivered_event_and_reaches_an_event_before_subscribing(
    container: Container, transport: FakeTransport
) -> None:
    pay(container)  # no endpoint yet: no delivery
    assert deliveries(container) == []
    endpoint_id = endpoint(container)
    event_id = container.reads.events(limit=1, cursor=None)["data"][0]["id"]

    queued = container.endpoints.retry(endpoint_id, event_id)
    assert queued.state == DeliveryState.PENDING
    assert run_due(container) == [AttemptOutcome.DELIVERED]
    container.endpoints.retry(endpoint_id, event_id)
    assert run_due(container) == [AttemptOutcome.DELIVERED]
    assert [s.msg_id for s in transport.sent] == [event_id, event_id]

    with pytest.raises(NotFoundError):
        container.endpoints.retry(endpoint_id, "00000000-0000-0000-0000-000000000000")
    container.endpoints.update(endpoint_id, EndpointChanges(enabled=False))
    with pytest.raises(ConflictError):
        container.endpoints.retry(endpoint_id, event_id)


def test_a_url_the_policy_refuses_or_a_second_endpoint_for_one_url_is_not_registered(
    container: Container,
) -> None:
    container.endpoints.transport = FakeTransport(refuse_urls=("http://10.",))
    with pytest.raises(InvalidFieldError) as refused:
        endpoint(container, "http://10.0.0.7/hook")
    assert refused.value.field == "body.url"
    endpoint(container, "https://shop.example/one")
    with pytest.raises(ConflictError):
        endpoint(container, "https://shop.example/one")
    other = endpoint(container, "https://shop.example/other")
    with pytest.raises(ConflictError):  # moved onto a registered URL: 409, never a 500
        container.endpoints.update(other, EndpointChanges(url="https://shop.example/one"))
    container.endpoints.delete(other)
    with pytest.raises(InvalidFieldError) as unknown:
        endpoint(container, "https://shop.example/two", "payment.teleported")
    assert unknown.value.field == "body.event_types"
    assert container.reads.endpoints(limit=10, cursor=None, status=None)["next_cursor"] is None
    assert len(container.reads.endpoints(limit=10, cursor=None, status=None)["data"]) == 1


def test_deleting_an_endpoint_removes_its_deliveries_and_attempts_but_not_the_events(
    container: Container,
) -> None:
    endpoint_id = endpoint(container)
    pay(container)
    run_due(container)
    container.endpoints.delete(endpoint_id)
    assert deliveries(container) == []
    assert attempts(container) == []
    assert len(container.reads.events(limit=10, cursor=None)["data"]) == 1
    with pytest.raises(NotFoundError):
        container.endpoints.delete(endpoint_id)
