"""Fakes of the payment domain's ports for unit tests, and a container wired with them.

Each fake implements a port of payment_api/domain/ports.py; what a test does not need raises
NotImplementedError, so a test that starts relying on it notices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from devstack.services import SANDBOX_WEBHOOK_SECRET
from payment_api.container import Container, build_container
from payment_api.db.models import Base
from payment_api.domain.ports import (
    DirectoryUser,
    GatewayError,
    LookupResult,
    RefundInfo,
    SessionInfo,
    SessionRequest,
)
from payment_api.domain.states import PaymentEvent, RefundStatus
from payment_api.settings import Settings

ACTIVE = DirectoryUser(id="7", email="ada@example.com", full_name="Ada", active=True)


class FakeUsers:
    """A user directory with one answer (or failure) for every lookup."""

    def __init__(self, result: LookupResult | Exception = ACTIVE) -> None:
        self.result = result
        self.tokens: list[str | None] = []

    def lookup(self, user_id: str, *, bearer_token: str | None = None) -> LookupResult:
        self.tokens.append(bearer_token)
        if isinstance(self.result, Exception):
            raise self.result
        return self.result

    def ping(self) -> None:
        pass


class FakeGateway:
    """Opens a session per request (or fails with `failure`); the rest is not faked."""

    def __init__(self, failure: GatewayError | None = None) -> None:
        self.failure = failure
        self.requests: list[SessionRequest] = []

    def create_session(self, request: SessionRequest) -> SessionInfo:
        self.requests.append(request)
        if self.failure:
            raise self.failure
        return SessionInfo(
            id=f"cs_{len(self.requests)}",
            url="https://pay.example/cs",
            expires_at=request.expires_at,
            payment_intent_id=None,
            change=None,
        )

    def get_session(self, session_id: str) -> SessionInfo:
        raise NotImplementedError

    def expire_session(self, session_id: str, *, idempotency_key: str) -> SessionInfo:
        raise NotImplementedError

    def create_refund(
        self, *, payment_intent_id: str, amount: int, refund_id: str, idempotency_key: str
    ) -> RefundInfo:
        raise NotImplementedError

    def get_refund(self, gateway_refund_id: str) -> RefundInfo:
        raise NotImplementedError

    def find_refund(self, *, payment_intent_id: str, refund_id: str) -> RefundInfo | None:
        raise NotImplementedError

    def ping(self) -> None:
        pass


class DiedError(Exception):
    """The process died here (not a GatewayError: nothing is cleaned up)."""


class IdempotentGateway(FakeGateway):
    """Refunds keyed like Stripe: a repeated key with the same parameters replays the first."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, str, int, str]] = []  # key, intent, amount, refund_id
        self.refunds: dict[str, RefundInfo] = {}
        self.die_before: int = 0  # the next N calls die before reaching the gateway
        self.die_after: int = 0  # the next N calls die after the gateway made the refund
        self.time_out_after: int = 0  # the next N calls time out after it made the refund
        self.new_status = RefundStatus.SUCCEEDED  # what the gateway says of a new refund

    def create_refund(
        self, *, payment_intent_id: str, amount: int, refund_id: str, idempotency_key: str
    ) -> RefundInfo:
        if self.die_before:
            self.die_before -= 1
            raise DiedError
        self.calls.append((idempotency_key, payment_intent_id, amount, refund_id))
        first = next(c for c in self.calls if c[0] == idempotency_key)
        assert first[1:] == (payment_intent_id, amount, refund_id), "same key, other parameters"
        if idempotency_key not in self.refunds:
            self.refunds[idempotency_key] = RefundInfo(
                id=f"re_{len(self.refunds) + 1}",
                status=self.new_status,
                amount=amount,
                payment_intent_id=payment_intent_id,
                refund_id=refund_id,
            )
        if self.die_after:
            self.die_after -= 1
            raise DiedError
        if self.time_out_after:
            self.time_out_after -= 1
            raise GatewayError("timeout", "payment gateway timed out")
        return self.refunds[idempotency_key]

    def get_refund(self, gateway_refund_id: str) -> RefundInfo:
        return next(r for r in self.refunds.values() if r.id == gateway_refund_id)

    def find_refund(self, *, payment_intent_id: str, refund_id: str) -> RefundInfo | None:
        for key, info in self.refunds.items():
            first = next(c for c in self.calls if c[0] == key)
            if (first[1], first[3]) == (payment_intent_id, refund_id):
                return info
        return None


class ReasonGateway(FakeGateway):
    """Answers get_session like Stripe with `expand[]=payment_intent` on a failed async
    payment: the intent wants a new payment method, and says why the last attempt failed."""

    def __init__(self, reason: str | None) -> None:
        super().__init__()
        self.error: GatewayError | None = None
        self.asked: list[str] = []
        self.reason = reason

    def get_session(self, session_id: str) -> SessionInfo:
        self.asked.append(session_id)
        if self.error:
            raise self.error
        return SessionInfo(
            id=session_id,
            url=None,
            expires_at=None,
            payment_intent_id="pi_1",
            change=PaymentEvent.ASYNC_PAYMENT_FAILED,
            payment_error=self.reason,
        )


@dataclass(frozen=True)
class Sent:
    url: str
    payload: str
    secrets: tuple[str, ...]
    msg_id: str


@dataclass(frozen=True)
class Answer:
    """An AttemptResult."""

    status_code: int | None = 200
    latency_ms: int = 3
    error: str | None = None
    excerpt: str | None = "ok"
    ok: bool = True
    refused: bool = False


FAILED = Answer(status_code=503, error="answered 503", excerpt="busy", ok=False)


class FakeTransport:
    """A webhook transport that records every POST and answers from a script (then 200)."""

    def __init__(self, *answers: Answer, refuse_urls: tuple[str, ...] = ()) -> None:
        self.answers = list(answers)
        self.refuse_urls = refuse_urls
        self.sent: list[Sent] = []
        self._secrets = 0

    def url_problem(self, url: str) -> str | None:
        return "refused by the test policy" if url.startswith(self.refuse_urls) else None

    def deliver(
        self, url: str, payload: str, secrets: Sequence[str], msg_id: str, timestamp: datetime
    ) -> Answer:
        self.sent.append(Sent(url, payload, tuple(secrets), msg_id))
        return self.answers.pop(0) if self.answers else Answer()

    def new_secret(self) -> str:
        self._secrets += 1
        return f"whsec_test{self._secrets}"


def unit_container(
    tmp_path: Path,
    gateway: FakeGateway,
    users: FakeUsers | None = None,
    transport: FakeTransport | None = None,
) -> Container:
    """The real container (services, repositories, read model) on a fresh SQLite file, with
    fakes for the gateway, the user directory and the webhook transport; Stripe webhooks
    signed with the sandbox's secret."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'unit.sqlite3'}",
        stripe_webhook_secrets=[SANDBOX_WEBHOOK_SECRET],
    )
    container = build_container(
        settings,
        gateway=gateway,
        users=users or FakeUsers(),
        transport=transport or FakeTransport(),
    )
    Base.metadata.create_all(container.engine)
    return container
