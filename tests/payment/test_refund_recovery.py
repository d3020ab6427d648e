"""Refunds left behind by a request that died or lost the gateway's answer.

Either the client retries with its Idempotency-Key (takeover after the timeout) or nobody does
and `reconcile` asks the gateway. Fake gateway that behaves like Stripe's idempotency (same
key + same parameters replays the first refund), real SQLite database. "Dying" is an exception
that is not a GatewayError raised by the gateway fake: the first commit (refund pending + key
in progress) stays, the second never happens, exactly what a SIGKILL mid-request leaves behind.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from payment_api.container import Container
from payment_api.db.models import Payment, Refund
from payment_api.db.unit_of_work import SqlUnitOfWork
from payment_api.domain.errors import ConflictError, DependencyError
from payment_api.domain.idempotency import Idempotency
from payment_api.domain.model import utcnow
from payment_api.domain.ports import RefundInfo
from payment_api.domain.reconcile import Reconciler
from payment_api.domain.refunds import RefundRequest, RefundService, settle_gateway_refund
from payment_api.domain.states import PaymentStatus, RefundStatus
from tests.payment.fakes import DiedError, IdempotentGateway, unit_container

TIMEOUT = timedelta(seconds=60)


@pytest.fixture
def gateway() -> IdempotentGateway:
    return IdempotentGateway()


@pytest.fixture
def container(tmp_path: Path, gateway: IdempotentGateway) -> Container:
    return unit_container(tmp_path, gateway)


def idempotency(container: Container) -> Idempotency:
    return Idempotency(container.uow, retention=timedelta(hours=48), in_progress_timeout=TIMEOUT)


@pytest.fixture
def refunds(container: Container, gateway: IdempotentGateway) -> RefundService:
    return RefundService(container.uow, gateway, idempotency(container))


@pytest.fixture
def payment_id(container: Container) -> str:
    with container.uow() as uow:
        payment = Payment(
            status=PaymentStatus.SUCCEEDED,
            amount=1000,
            currency="USD",
            payment_intent_id="pi_1",
            success_url="https://shop.example/ok",
            cancel_url="https://shop.example/no",
        )
        uow.session.add(payment)
        uow.commit()
        return payment.id


def refunds_of(uow: SqlUnitOfWork, payment_id: str) -> list[Refund]:
    query = select(Refund).where(Refund.payment_id == payment_id)
    return list(uow.session.scalars(query.order_by(Refund.created_at, Refund.id)))


def age_key(container: Container, scope: str, key: str, by: timedelta) -> None:
    """Pretend the in-progress key was reserved `by` ago (the dead request's age)."""
    with container.uow() as uow:
        row = uow.idempotency.get(scope, key)
        assert row is not None
        assert row.status_code is None
        row.created_at = utcnow() - by
        uow.commit()


def state(container: Container, payment_id: str) -> tuple[int, str, list[tuple[str, str, bool]]]:
    with container.uow() as uow:
        payment = uow.payments.get(payment_id)
        assert payment is not None
        rows = [
            (r.status, r.gateway_refund_id or "", r.counted) for r in refunds_of(uow, payment_id)
        ]
        return payment.refunded_amount, payment.status, rows


def test_retry_after_a_death_past_the_gateway_replays_the_same_gateway_refund_once(
    container: Container, refunds: RefundService, gateway: IdempotentGateway, payment_id: str
) -> None:
    gateway.die_after = 1
    with pytest.raises(DiedError):
        refunds.create(payment_id, RefundRequest(amount=300), idempotency_key="k1")
    assert len(gateway.refunds) == 1  # the gateway refunded; our second commit never happened
    assert state(container, payment_id) == (0, "succeeded", [("pending", "", False)])

    # Before the timeout the dead request might still be alive: in progress, nothing resumed.
    with pytest.raises(ConflictError, match="still in progress"):
        refunds.create(payment_id, RefundRequest(amount=300), idempotency_key="k1")
    assert len(gateway.calls) == 1

    age_key(container, f"refund:{payment_id}", "k1", TIMEOUT + timedelta(seconds=1))
    resumed = refunds.create(payment_id, RefundRequest(amount=300), idempotency_key="k1")

    # Same local refund, same gateway key and parameters, one gateway refund counted once.
    first_key, _, _, first_local_id = gateway.calls[0]
    assert gateway.calls == [gateway.calls[0], gateway.calls[0]]
    assert (first_key, first_local_id) == (f"refund-{resumed.id}", resumed.id)
    assert len(gateway.refunds) == 1
    assert resumed.gateway_refund_id == "re_1"
    assert resumed.status == "succeeded"
    assert state(container, payment_id) == (
        300,
        "partially_refunded",
        [("succeeded", "re_1", True)],
    )

    # The key is complete now: a later retry replays without asking the gateway again.
    again = refunds.create(payment_id, RefundRequest(amount=300), idempotency_key="k1")
    assert again.id == resumed.id
    assert len(gateway.calls) == 2


def test_retry_after_a_death_before_the_gateway_makes_the_one_refund(
    container: Container, refunds: RefundService, gateway: IdempotentGateway, payment_id: str
) -> None:
    gateway.die_before = 1
    with pytest.raises(DiedError):
        refunds.create(payment_id, RefundRequest(), idempotency_key="k2")
    assert gateway.refunds == {}
    age_key(container, f"refund:{payment_id}", "k2", TIMEOUT * 2)

    resumed = refunds.create(payment_id, RefundRequest(), idempotency_key="k2")
    assert [c[2:] for c in gateway.calls] == [(1000, resumed.id)]  # the amount reserved first
    assert state(container, payment_id) == (1000, "refunded", [("succeeded", "re_1", True)])


def test_a_takeover_that_dies_too_is_in_progress_again_until_its_own_timeout(
    container: Container, refunds: RefundService, gateway: IdempotentGateway, payment_id: str
) -> None:
    scope = f"refund:{payment_id}"
    gateway.die_after = 2
    with pytest.raises(DiedError):
        refunds.create(payment_id, RefundRequest(amount=100), idempotency_key="k3")
    age_key(container, scope, "k3", TIMEOUT * 2)
    with pytest.raises(DiedError):  # the takeover claimed the key (fresh timestamp), then died
        refunds.create(payment_id, RefundRequest(amount=100), idempotency_key="k3")
    with pytest.raises(ConflictError, match="still in progress"):
        refunds.create(payment_id, RefundRequest(amount=100), idempotency_key="k3")
    age_key(container, scope, "k3", TIMEOUT * 2)

    done = refunds.create(payment_id, RefundRequest(amount=100), idempotency_key="k3")
    assert {c[0] for c in gateway.calls} == {f"refund-{done.id}"}
    assert len(gateway.calls) == 3
    assert len(gateway.refunds) == 1
    assert state(container, payment_id) == (
        100,
        "partially_refunded",
        [("succeeded", "re_1", True)],
    )
    assert done.counted


def test_a_refund_a_webhook_already_settled_is_answered_without_asking_the_gateway_again(
    container: Container, refunds: RefundService, gateway: IdempotentGateway, payment_id: str
) -> None:
    gateway.die_after = 1
    with pytest.raises(DiedError):
        refunds.create(payment_id, RefundRequest(amount=250), idempotency_key="k4")
    with container.uow() as uow:  # refund.created (metadata.refund_id) arrives meanwhile
        payment = uow.payments.get(payment_id, for_update=True)
        assert payment is not None
        local_id = refunds_of(uow, payment_id)[0].id
        settle_gateway_refund(
            uow,
            payment,
            RefundInfo(id="re_1", status=RefundStatus.SUCCEEDED, amount=250),
            local_refund_id=local_id,
            event_id="evt_1",
        )
        uow.commit()
    age_key(container, f"refund:{payment_id}", "k4", TIMEOUT * 2)

    resumed = refunds.create(payment_id, RefundRequest(amount=250), idempotency_key="k4")
    assert resumed.id == local_id
    assert len(gateway.calls) == 1
    assert state(container, payment_id) == (
        250,
        "partially_refunded",
        [("succeeded", "re_1", True)],
    )
    with container.uow() as uow:
        row = uow.idempotency.get(f"refund:{payment_id}", "k4")
        assert row is not None
        assert row.status_code == 201


def test_an_abandoned_key_is_not_taken_over_by_a_request_with_another_body(
    container: Container, refunds: RefundService, gateway: IdempotentGateway, payment_id: str
) -> None:
    gateway.die_after = 1
    with pytest.raises(DiedError):
        refunds.create(payment_id, RefundRequest(amount=200), idempotency_key="k5")
    age_key(container, f"refund:{payment_id}", "k5", TIMEOUT * 2)
    with pytest.raises(ConflictError, match="different request body"):
        refunds.create(payment_id, RefundRequest(amount=201), idempotency_key="k5")
    assert len(gateway.calls) == 1
    assert state(container, payment_id)[0] == 0


def test_a_gateway_timeout_keeps_the_refund_pending_and_the_retry_replays_the_gateway_refund(
    container: Container, refunds: RefundService, gateway: IdempotentGateway, payment_id: str
) -> None:
    gateway.time_out_after = 1
    with pytest.raises(DependencyError) as info:
        refunds.create(payment_id, RefundRequest(amount=300), idempotency_key="k6")
    assert info.value.status == 504
    # The gateway did refund; the amount stays reserved and the key in progress meanwhile.
    assert state(container, payment_id) == (0, "succeeded", [("pending", "", False)])
    with pytest.raises(ConflictError, match="still in progress"):
        refunds.create(payment_id, RefundRequest(amount=300), idempotency_key="k6")
    age_key(container, f"refund:{payment_id}", "k6", TIMEOUT * 2)

    resumed = refunds.create(payment_id, RefundRequest(amount=300), idempotency_key="k6")
    assert gateway.calls == [gateway.calls[0], gateway.calls[0]]  # same key and parameters
    assert gateway.calls[0][3] == resumed.id
    assert len(gateway.refunds) == 1
    assert state(container, payment_id) == (
        300,
        "partially_refunded",
        [("succeeded", "re_1", True)],
    )


# --- nobody retries: reconcile asks the gateway -------------------------------------------


def reconciler(container: Container, gateway: IdempotentGateway) -> Reconciler:
    return Reconciler(
        container.uow,
        gateway,
        container.inbox,
        idempotency(container),
        stale_after=timedelta(0),
        batch_size=100,
    )


def age_refunds(container: Container, payment_id: str, by: timedelta) -> None:
    """Pretend the payment's refunds were last touched `by` ago."""
    with container.uow() as uow:
        query = update(Refund).where(Refund.payment_id == payment_id)
        uow.session.execute(query.values(updated_at=utcnow() - by))
        uow.commit()


def test_reconcile_counts_once_a_refund_the_gateway_made_when_nobody_retried(
    container: Container, refunds: RefundService, gateway: IdempotentGateway, payment_id: str
) -> None:
    gateway.time_out_after = 1  # made at the gateway, answer lost: pending, key in progress
    with pytest.raises(DependencyError):
        refunds.create(payment_id, RefundRequest(amount=400), idempotency_key="r1")
    assert state(container, payment_id) == (0, "succeeded", [("pending", "", False)])

    fresh = reconciler(container, gateway).run()  # a live request may still be at work
    assert (fresh.refunds_checked, fresh.refunds_settled) == (0, 0)

    age_refunds(container, payment_id, TIMEOUT + timedelta(seconds=1))
    report = reconciler(container, gateway).run()
    assert (report.refunds_checked, report.refunds_settled, report.errors) == (1, 1, [])
    assert state(container, payment_id) == (
        400,
        "partially_refunded",
        [("succeeded", "re_1", True)],
    )
    # The key now holds the answer: the client's late retry replays it, the gateway untouched.
    replay = refunds.create(payment_id, RefundRequest(amount=400), idempotency_key="r1")
    assert replay.gateway_refund_id == "re_1"
    assert len(gateway.calls) == 1
    again = reconciler(container, gateway).run()
    assert again.refunds_checked == 0
    assert state(container, payment_id)[0] == 400


def test_reconcile_fails_a_refund_the_gateway_never_made_and_frees_its_amount_and_key(
    container: Container, refunds: RefundService, gateway: IdempotentGateway, payment_id: str
) -> None:
    gateway.die_before = 1  # killed before the gateway heard of it
    with pytest.raises(DiedError):
        refunds.create(payment_id, RefundRequest(), idempotency_key="r2")
    with pytest.raises(ConflictError, match="already fully refunded"):  # 1000 reserved
        refunds.create(payment_id, RefundRequest(amount=1))
    age_refunds(container, payment_id, TIMEOUT * 2)

    report = reconciler(container, gateway).run()
    assert (report.refunds_checked, report.refunds_settled) == (1, 1)
    assert state(container, payment_id) == (0, "succeeded", [("failed", "", False)])
    with container.uow() as uow:
        assert uow.idempotency.get(f"refund:{payment_id}", "r2") is None

    # The amount is free again and the key is new again: the retry makes the one refund.
    retried = refunds.create(payment_id, RefundRequest(), idempotency_key="r2")
    assert retried.status == "succeeded"
    assert len(gateway.refunds) == 1
    assert state(container, payment_id)[:2] == (1000, "refunded")


def test_reconcile_settles_a_refund_the_gateway_reported_pending_once_it_succeeds(
    container: Container, refunds: RefundService, gateway: IdempotentGateway, payment_id: str
) -> None:
    gateway.new_status = RefundStatus.PENDING  # Stripe answers pending; its webhook never comes
    made = refunds.create(payment_id, RefundRequest(amount=300), idempotency_key="r3")
    assert (made.status, made.gateway_refund_id) == ("pending", "re_1")
    r3 = f"refund-{made.id}"
    age_refunds(container, payment_id, TIMEOUT * 2)
    still = reconciler(container, gateway).run()
    assert (still.refunds_checked, still.refunds_settled) == (1, 0)
    assert state(container, payment_id)[2] == [("pending", "re_1", False)]

    gateway.refunds[r3] = replace(gateway.refunds[r3], status=RefundStatus.SUCCEEDED)
    age_refunds(container, payment_id, TIMEOUT * 2)
    done = reconciler(container, gateway).run()
    assert (done.refunds_checked, done.refunds_settled) == (1, 1)
    assert state(container, payment_id)[0] == 300
    assert state(container, payment_id)[2] == [("succeeded", "re_1", True)]
