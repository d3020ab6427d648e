"""Checkout domain logic in isolation: fake gateway and user directory, real SQLite database."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from payment_api.container import Container
from payment_api.domain.checkout import (
    CheckoutRequest,
    CheckoutService,
    cancel_key,
    gateway_key,
)
from payment_api.domain.errors import ConflictError, DependencyError, InvalidFieldError
from payment_api.domain.model import utcnow
from payment_api.domain.money import Money
from payment_api.domain.ports import (
    DirectoryUser,
    GatewayError,
    LookupResult,
    SessionInfo,
    SessionRequest,
    UserDirectoryUnavailableError,
)
from payment_api.settings import Settings
from tests.payment.fakes import ACTIVE, FakeGateway, FakeUsers, unit_container
from tests.payment.helpers import event_payload, receive_and_process


def service(
    tmp_path: Path, users: FakeUsers, gateway: FakeGateway
) -> tuple[CheckoutService, Container]:
    container = unit_container(tmp_path, gateway, users)
    return container.checkout, container


def payments_in(container: Container, status: str | None = None) -> list[str]:
    """Ids of the payments (with `status`), through the read model."""
    page = container.reads.payments(limit=100, cursor=None, status=status)
    return [p["id"] for p in page["data"]]


REQUEST = CheckoutRequest(custom_amount=Money(500, "USD"), user_id="7")


def test_active_user_prefills_email_and_the_callers_token_is_forwarded(tmp_path: Path) -> None:
    users, gateway = FakeUsers(ACTIVE), FakeGateway()
    checkout, _ = service(tmp_path, users, gateway)
    checkout.start(REQUEST, bearer_token="tok123")
    assert gateway.requests[0].customer_email == "ada@example.com"
    assert users.tokens == ["tok123"]


@pytest.mark.parametrize(
    "result", ["not_found", DirectoryUser(id="7", email="x@y.z", full_name="X", active=False)]
)
def test_unknown_or_deactivated_user_is_invalid_and_nothing_is_stored(
    tmp_path: Path, result: LookupResult
) -> None:
    gateway = FakeGateway()
    checkout, container = service(tmp_path, FakeUsers(result), gateway)
    with pytest.raises(InvalidFieldError) as info:
        checkout.start(REQUEST)
    assert info.value.field == "body.user_id"
    assert payments_in(container) == []
    assert gateway.requests == []


def test_user_service_down_is_503_and_nothing_is_stored(tmp_path: Path) -> None:
    checkout, container = service(
        tmp_path, FakeUsers(UserDirectoryUnavailableError("down")), FakeGateway()
    )
    with pytest.raises(DependencyError) as info:
        checkout.start(REQUEST)
    assert info.value.status == 503
    assert payments_in(container) == []


@pytest.mark.parametrize(
    ("kind", "status"),
    [("bad_gateway", 502), ("rejected", 502), ("unavailable", 503)],
)
def test_gateway_failures_map_to_5xx_and_leave_the_payment_failed(
    tmp_path: Path, kind: str, status: int
) -> None:
    gateway = FakeGateway(GatewayError(kind, "boom"))  # type: ignore[arg-type]
    checkout, container = service(tmp_path, FakeUsers(ACTIVE), gateway)
    with pytest.raises(DependencyError) as info:
        checkout.start(REQUEST, idempotency_key="k")
    assert info.value.status == status
    assert len(payments_in(container, "failed")) == 1
    with container.uow() as uow:
        assert uow.idempotency.get("checkout:anonymous", "k") is None  # released for a retry
    gateway.failure = None
    assert checkout.start(REQUEST, idempotency_key="k").session_id == "cs_2"


def _only(container: Container, status: str) -> str:
    ids = payments_in(container, status)
    assert len(ids) == 1
    return ids[0]


def test_a_timed_out_checkout_stays_pending_and_the_keyed_retry_resumes_that_payment(
    tmp_path: Path,
) -> None:
    """A timeout is ambiguous (the gateway may have made the session): no failed payment, no
    released key, so the retry cannot make a second payment; it finishes this one with the
    same gateway key, which the gateway answers with the session it made."""
    gateway = FakeGateway(GatewayError("timeout", "payment gateway timed out"))
    checkout, container = service(tmp_path, FakeUsers(ACTIVE), gateway)
    with pytest.raises(DependencyError) as info:
        checkout.start(REQUEST, idempotency_key="t1")
    assert info.value.status == 504
    pending = _only(container, "pending")
    gateway.failure = None
    with pytest.raises(ConflictError, match="still in progress"):  # it may still be in flight
        checkout.start(REQUEST, idempotency_key="t1")
    with container.uow() as uow:
        key = uow.idempotency.get("checkout:anonymous", "t1")
        assert key is not None
        key.created_at = utcnow() - checkout.idempotency.in_progress_timeout - timedelta(seconds=1)
        uow.commit()
    resumed = checkout.start(REQUEST, idempotency_key="t1")
    assert resumed.payment_id == pending
    assert [r.idempotency_key for r in gateway.requests] == [f"checkout-{pending}"] * 2
    assert payments_in(container) == [pending]


def test_reconcile_fails_a_timed_out_checkout_nobody_retried_and_frees_its_key(
    tmp_path: Path,
) -> None:
    gateway = FakeGateway(GatewayError("timeout", "payment gateway timed out"))
    checkout, container = service(tmp_path, FakeUsers(ACTIVE), gateway)
    with pytest.raises(DependencyError):
        checkout.start(REQUEST, idempotency_key="t2")
    pending = _only(container, "pending")
    reconciler = container.reconciler()
    assert reconciler.run().checkouts_abandoned == 0  # too recent: a request may still be at it
    with container.uow() as uow:
        payment, key = uow.payments.get(pending), uow.idempotency.get("checkout:anonymous", "t2")
        assert payment is not None
        assert key is not None
        payment.created_at = key.created_at = utcnow() - timedelta(hours=1)
        uow.commit()
    assert reconciler.run().checkouts_abandoned == 1
    assert _only(container, "failed") == pending
    gateway.failure = None
    again = checkout.start(REQUEST, idempotency_key="t2")  # the key is free: a new checkout
    assert again.payment_id != pending
    assert gateway.requests[-1].idempotency_key == f"checkout-{again.payment_id}"
    assert reconciler.run().checkouts_abandoned == 0


def test_reconcile_leaves_a_timed_out_checkout_alone_while_a_retry_has_just_claimed_it(
    tmp_path: Path,
) -> None:
    gateway = FakeGateway(GatewayError("timeout", "payment gateway timed out"))
    checkout, container = service(tmp_path, FakeUsers(ACTIVE), gateway)
    with pytest.raises(DependencyError):
        checkout.start(REQUEST, idempotency_key="t3")
    pending = _only(container, "pending")
    with container.uow() as uow:
        payment = uow.payments.get(pending)
        assert payment is not None
        payment.created_at = utcnow() - timedelta(hours=1)
        uow.commit()  # old payment, but its key was claimed just now (created_at = now)
    assert container.reconciler().run().checkouts_abandoned == 0
    assert _only(container, "pending") == pending


def test_a_session_made_for_a_payment_closed_meanwhile_is_never_handed_out(
    tmp_path: Path,
) -> None:
    """Reconcile failed the payment while the (resumed) gateway call ran: no URL to pay a
    payment that is already `failed`; the key is freed for a new checkout."""
    gateway = FakeGateway()
    checkout, container = service(tmp_path, FakeUsers(ACTIVE), gateway)
    original = gateway.create_session

    def close_then_answer(request: SessionRequest) -> SessionInfo:
        with container.uow() as uow:
            payment = uow.payments.get(request.payment_id)
            assert payment is not None
            payment.status = "failed"  # type: ignore[assignment]
            uow.commit()
        return original(request)

    gateway.create_session = close_then_answer  # type: ignore[method-assign]
    with pytest.raises(ConflictError, match="closed meanwhile"):
        checkout.start(REQUEST, idempotency_key="t4")
    with container.uow() as uow:
        assert uow.idempotency.get("checkout:anonymous", "t4") is None
    assert _only(container, "failed")


def test_equal_keys_of_two_callers_are_two_checkouts_with_a_gateway_key_per_payment(
    tmp_path: Path,
) -> None:
    gateway = FakeGateway()
    checkout, _ = service(tmp_path, FakeUsers(ACTIVE), gateway)
    first = checkout.start(REQUEST, idempotency_key="abc", caller="user-a")
    assert checkout.start(REQUEST, idempotency_key="abc", caller="user-a") == first  # replay
    other = checkout.start(REQUEST, idempotency_key="abc", caller="user-b")  # not a replay
    assert other.payment_id != first.payment_id
    keys = [r.idempotency_key for r in gateway.requests]
    assert keys == [gateway_key(first.payment_id), gateway_key(other.payment_id)]
    assert keys == [f"checkout-{first.payment_id}", f"checkout-{other.payment_id}"]


def test_settings_refuse_bad_values_with_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    from payment_api.settings import SettingsError, get_settings

    monkeypatch.setenv("STRIPE_WEBHOOK_SECRETS", "not_a_whsec")
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsError, match="STRIPE_WEBHOOK_SECRETS"):
            get_settings()
    finally:
        get_settings.cache_clear()


def test_a_publishable_key_is_refused() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="sk_"):
        Settings(stripe_api_key="pk_test_123")


def test_postgres_urls_are_normalised_to_psycopg() -> None:
    settings = Settings(database_url="postgresql://u@h/db")
    assert settings.database_url == "postgresql+psycopg://u@h/db"


def expiry(payment_id: str, session_id: str, request_key: str | None) -> bytes:
    event = json.loads(event_payload("checkout.session.expired", {"id": session_id}))
    event["data"]["object"]["metadata"] = {"payment_id": payment_id}
    event["request"] = {"id": "req_1" if request_key else None, "idempotency_key": request_key}
    return json.dumps(event).encode()


@pytest.mark.parametrize(
    ("request_key", "status"),
    [("ours", "canceled"), (None, "expired"), ("cancel-someone-else", "expired")],
)
def test_the_expiry_event_of_a_session_a_cancel_closed_cancels_even_when_it_comes_first(
    tmp_path: Path, request_key: str | None, status: str
) -> None:
    """cancelPayment expires the session, then marks the payment canceled; the gateway's
    expiry event of that session may be processed in between. It names the cancel's key, so
    it cancels the payment itself; an expiry nobody asked for (the session's time ran out)
    or another key still expires it."""
    checkout, container = service(tmp_path, FakeUsers(ACTIVE), FakeGateway())
    started = checkout.start(REQUEST)
    key = cancel_key(started.payment_id) if request_key == "ours" else request_key
    payload = expiry(started.payment_id, started.session_id, key)
    assert receive_and_process(container, payload).state == "processed"
    found = container.reads.payment(started.payment_id)
    assert found is not None
    assert found["status"] == status
