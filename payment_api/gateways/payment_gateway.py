"""The payment gateway port and the Stripe adapter behind it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, TypeVar

import stripe
from stripe.params.checkout import SessionCreateParams

T = TypeVar("T")

GatewayFailure = Literal["bad_gateway", "unavailable", "timeout", "conflict", "rejected"]


class GatewayError(Exception):
    """The gateway failed or refused; `kind` picks the HTTP status (502/503/504/409/422)."""

    def __init__(self, kind: GatewayFailure, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class SessionLine:
    name: str
    unit_amount: int
    quantity: int


@dataclass(frozen=True)
class SessionRequest:
    payment_id: str
    currency: str
    lines: list[SessionLine]
    success_url: str
    cancel_url: str
    expires_at: datetime
    customer_email: str | None
    idempotency_key: str


@dataclass(frozen=True)
class SessionInfo:
    """What we need to know of a Checkout Session (created or fetched)."""

    id: str
    url: str | None
    status: str  # open, complete, expired
    payment_status: str  # paid, unpaid, no_payment_required
    payment_intent_id: str | None
    expires_at: datetime | None
    payment_intent_status: str | None = None


@dataclass(frozen=True)
class RefundInfo:
    id: str
    status: str  # pending, succeeded, failed, canceled, requires_action
    amount: int


@dataclass(frozen=True)
class GatewayEvent:
    id: str
    type: str
    payload: str


class PaymentGateway(Protocol):
    def create_session(self, request: SessionRequest) -> SessionInfo: ...

    def get_session(self, session_id: str) -> SessionInfo: ...

    def create_refund(
        self, *, payment_intent_id: str, amount: int, refund_id: str, idempotency_key: str
    ) -> RefundInfo: ...

    def get_event(self, event_id: str) -> GatewayEvent: ...

    def ping(self) -> None: ...


def _ts(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value else None


def _id_of(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    found = getattr(value, "id", None)
    return str(found) if found else None


class StripeGateway:
    """Real `stripe` SDK; `api_base` points it at the sandbox, None means api.stripe.com."""

    def __init__(
        self, api_key: str, *, api_base: str | None, max_retries: int, timeout: float
    ) -> None:
        http_client = stripe.RequestsClient(timeout=timeout)
        self.client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base} if api_base else {},
            max_network_retries=max_retries,
            http_client=http_client,
        )

    def create_session(self, request: SessionRequest) -> SessionInfo:
        params: SessionCreateParams = {
            "mode": "payment",
            "client_reference_id": request.payment_id,
            "metadata": {"payment_id": request.payment_id},
            "payment_intent_data": {"metadata": {"payment_id": request.payment_id}},
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "expires_at": int(request.expires_at.timestamp()),
            "line_items": [
                {
                    "quantity": line.quantity,
                    "price_data": {
                        "currency": request.currency.lower(),
                        "unit_amount": line.unit_amount,
                        "product_data": {"name": line.name},
                    },
                }
                for line in request.lines
            ],
        }
        if request.customer_email:
            params["customer_email"] = request.customer_email
        session = self._call(
            lambda: self.client.v1.checkout.sessions.create(
                params=params, options={"idempotency_key": request.idempotency_key}
            )
        )
        return self._session_info(session)

    def get_session(self, session_id: str) -> SessionInfo:
        session = self._call(
            lambda: self.client.v1.checkout.sessions.retrieve(
                session_id, params={"expand": ["payment_intent"]}
            )
        )
        return self._session_info(session)

    def create_refund(
        self, *, payment_intent_id: str, amount: int, refund_id: str, idempotency_key: str
    ) -> RefundInfo:
        refund = self._call(
            lambda: self.client.v1.refunds.create(
                params={
                    "payment_intent": payment_intent_id,
                    "amount": amount,
                    "metadata": {"refund_id": refund_id},
                },
                options={"idempotency_key": idempotency_key},
            )
        )
        return RefundInfo(id=refund.id, status=str(refund.status), amount=int(refund.amount))

    def get_event(self, event_id: str) -> GatewayEvent:
        event = self._call(lambda: self.client.v1.events.retrieve(event_id))
        return GatewayEvent(id=event.id, type=event.type, payload=str(event))

    def ping(self) -> None:
        self._call(lambda: self.client.v1.events.list(params={"limit": 1}))

    @staticmethod
    def _session_info(session: stripe.checkout.Session) -> SessionInfo:
        intent = session.payment_intent
        intent_status = None if intent is None or isinstance(intent, str) else intent.status
        return SessionInfo(
            id=session.id,
            url=session.url,
            status=str(session.status),
            payment_status=str(session.payment_status),
            payment_intent_id=_id_of(intent),
            expires_at=_ts(session.expires_at),
            payment_intent_status=intent_status,
        )

    @staticmethod
    def _call(fn: Callable[[], T]) -> T:
        try:
            return fn()
        except stripe.IdempotencyError as exc:
            raise GatewayError("conflict", f"payment gateway: {exc.user_message or exc}") from exc
        except stripe.InvalidRequestError as exc:
            msg = f"payment gateway refused: {exc.user_message or exc}"
            raise GatewayError("rejected", msg) from exc
        except stripe.APIConnectionError as exc:
            if "timed out" in str(exc).lower() or "timeout" in str(exc).lower():
                raise GatewayError("timeout", "payment gateway timed out") from exc
            raise GatewayError("unavailable", "payment gateway unreachable") from exc
        except stripe.RateLimitError as exc:
            raise GatewayError("unavailable", "payment gateway rate limit") from exc
        except stripe.StripeError as exc:
            msg = f"payment gateway error: {exc.user_message or exc}"
            raise GatewayError("bad_gateway", msg) from exc
