"""The payment gateway port and the Stripe adapter behind it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, TypeVar

import stripe
from stripe import RequestOptions
from stripe.params import RefundListParams
from stripe.params.checkout import SessionCreateParams

from payment_api.observability import record_dependency_failure
from service_kit.logs import current_request_id, get_logger

T = TypeVar("T")
log = get_logger("payment_api.gateway")

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
    # Why the payment intent's last attempt failed ("card_declined: Your card was declined."),
    # when the session was read with its payment intent expanded and the gateway said so.
    payment_error: str | None = None


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

    def expire_session(self, session_id: str) -> SessionInfo: ...

    def create_refund(
        self, *, payment_intent_id: str, amount: int, refund_id: str, idempotency_key: str
    ) -> RefundInfo: ...

    def get_refund(self, gateway_refund_id: str) -> RefundInfo: ...

    def find_refund(self, *, payment_intent_id: str, refund_id: str) -> RefundInfo | None: ...

    def get_event(self, event_id: str) -> GatewayEvent: ...

    def ping(self) -> None: ...


def _ts(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value else None


FAILURE_REASON_MAX = 300


def failure_reason(error: Any) -> str | None:
    """A short human reason from Stripe's `last_payment_error` (a dict or a StripeObject):
    "card_declined: Your card was declined."; None when the gateway gave none."""
    if error is None:
        return None
    if not isinstance(error, dict):
        error = error.to_dict() if hasattr(error, "to_dict") else {}

    def text(key: str) -> str:  # one line of printable text (NUL cannot be stored)
        value = error.get(key)
        if not isinstance(value, str):
            return ""
        return " ".join("".join(c if c.isprintable() else " " for c in value).split())

    code = text("code") or text("decline_code") or text("type")
    message = text("message")
    reason = f"{code}: {message}" if code and message else code or message
    if len(reason) > FAILURE_REASON_MAX:
        reason = reason[: FAILURE_REASON_MAX - 1].rstrip() + "…"
    return reason or None


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
            "checkout.sessions.create",
            lambda: self.client.v1.checkout.sessions.create(
                params=params, options=_options(request.idempotency_key)
            ),
        )
        return self._session_info(session)

    def get_session(self, session_id: str) -> SessionInfo:
        session = self._call(
            "checkout.sessions.retrieve",
            lambda: self.client.v1.checkout.sessions.retrieve(
                session_id, params={"expand": ["payment_intent"]}, options=_options()
            ),
        )
        return self._session_info(session)

    def expire_session(self, session_id: str) -> SessionInfo:
        """Close an open session (Stripe: only `open` ones; anything else is `rejected`)."""
        session = self._call(
            "checkout.sessions.expire",
            lambda: self.client.v1.checkout.sessions.expire(session_id, options=_options()),
        )
        return self._session_info(session)

    def create_refund(
        self, *, payment_intent_id: str, amount: int, refund_id: str, idempotency_key: str
    ) -> RefundInfo:
        refund = self._call(
            "refunds.create",
            lambda: self.client.v1.refunds.create(
                params={
                    "payment_intent": payment_intent_id,
                    "amount": amount,
                    "metadata": {"refund_id": refund_id},
                },
                options=_options(idempotency_key),
            ),
        )
        return _refund_info(refund)

    def get_refund(self, gateway_refund_id: str) -> RefundInfo:
        refund = self._call(
            "refunds.retrieve",
            lambda: self.client.v1.refunds.retrieve(gateway_refund_id, options=_options()),
        )
        return _refund_info(refund)

    def find_refund(self, *, payment_intent_id: str, refund_id: str) -> RefundInfo | None:
        """The gateway's refund made for our refund `refund_id` (its metadata says so), or
        None: how to learn whether a call whose answer was lost made the refund."""
        params: RefundListParams = {"payment_intent": payment_intent_id, "limit": 100}
        while True:
            page = self._call(
                "refunds.list",
                lambda: self.client.v1.refunds.list(params=params, options=_options()),
            )
            for refund in page.data:
                if (refund.to_dict().get("metadata") or {}).get("refund_id") == refund_id:
                    return _refund_info(refund)
            if not page.has_more or not page.data:
                return None
            params["starting_after"] = page.data[-1].id

    def get_event(self, event_id: str) -> GatewayEvent:
        event = self._call(
            "events.retrieve",
            lambda: self.client.v1.events.retrieve(event_id, options=_options()),
        )
        return GatewayEvent(id=event.id, type=event.type, payload=str(event))

    def ping(self) -> None:
        self._call(
            "events.list",
            lambda: self.client.v1.events.list(params={"limit": 1}, options=_options()),
        )

    @staticmethod
    def _session_info(session: stripe.checkout.Session) -> SessionInfo:
        intent = session.payment_intent
        expanded = None if intent is None or isinstance(intent, str) else intent
        return SessionInfo(
            id=session.id,
            url=session.url,
            status=str(session.status),
            payment_status=str(session.payment_status),
            payment_intent_id=_id_of(intent),
            expires_at=_ts(session.expires_at),
            payment_intent_status=expanded.status if expanded else None,
            payment_error=failure_reason(getattr(expanded, "last_payment_error", None)),
        )

    @staticmethod
    def _call(operation: str, fn: Callable[[], T]) -> T:
        """Run one SDK call; log Stripe's Request-Id next to ours (the request log's
        request_id), count and translate failures."""
        try:
            result = fn()
        except stripe.StripeError as exc:
            kind = type(exc).__name__
            record_dependency_failure("payment_gateway", kind)
            log.warning(
                "gateway call failed",
                operation=operation,
                error=kind,
                http_status=exc.http_status,
                stripe_request_id=exc.request_id,
            )
            raise StripeGateway._translate(exc) from exc
        last = getattr(result, "last_response", None)
        # readiness pings (events.list) come every few seconds: debug only
        (log.debug if operation == "events.list" else log.info)(
            "gateway call",
            operation=operation,
            stripe_request_id=getattr(last, "request_id", None),
        )
        return result

    @staticmethod
    def _translate(exc: stripe.StripeError) -> GatewayError:
        if isinstance(exc, stripe.IdempotencyError):
            return GatewayError("conflict", f"payment gateway: {exc.user_message or exc}")
        if isinstance(exc, stripe.InvalidRequestError):
            return GatewayError("rejected", f"payment gateway refused: {exc.user_message or exc}")
        if isinstance(exc, stripe.APIConnectionError):
            if "timed out" in str(exc).lower() or "timeout" in str(exc).lower():
                return GatewayError("timeout", "payment gateway timed out")
            return GatewayError("unavailable", "payment gateway unreachable")
        if isinstance(exc, stripe.RateLimitError):
            return GatewayError("unavailable", "payment gateway rate limit")
        return GatewayError("bad_gateway", f"payment gateway error: {exc.user_message or exc}")


def _refund_info(refund: stripe.Refund) -> RefundInfo:
    return RefundInfo(id=refund.id, status=str(refund.status), amount=int(refund.amount))


def _options(idempotency_key: str | None = None) -> RequestOptions:
    """Per-call options: our request id travels to the gateway as X-Request-Id (Stripe
    ignores unknown headers; the sandbox and any proxy in between can log it)."""
    options: RequestOptions = {}
    if idempotency_key:
        options["idempotency_key"] = idempotency_key
    request_id = current_request_id()
    if request_id:
        options["headers"] = {"X-Request-Id": request_id}
    return options
