"""Stripe's wire format in, the domain's facts out: the only code that reads Stripe objects.

Webhook bodies (JSON) and SDK answers (`.to_dict()`) are read by the same functions, so a rule
such as "paid or no_payment_required means the session is paid" is written once, here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import stripe

from payment_api.domain.ports import (
    BadSignatureError,
    EventFact,
    GatewayEvent,
    Malformed,
    PaymentAttemptFailed,
    RefundInfo,
    RefundsReported,
    SessionChanged,
    SessionInfo,
    Unhandled,
)
from payment_api.domain.states import PaymentEvent, RefundStatus

FAILURE_REASON_MAX = 300
CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")  # the StripeEvent pattern, negated
PAID = frozenset({"paid", "no_payment_required"})
# A completed session whose (async) payment intent wants a new payment method has failed.
INTENT_FAILED = frozenset({"requires_payment_method", "canceled"})
REFUND_FAILED = frozenset({"failed", "canceled"})
SESSION_EVENTS = {
    "checkout.session.async_payment_succeeded": PaymentEvent.ASYNC_PAYMENT_SUCCEEDED,
    "checkout.session.async_payment_failed": PaymentEvent.ASYNC_PAYMENT_FAILED,
    "checkout.session.expired": PaymentEvent.SESSION_EXPIRED,
}
REFUND_EVENTS = frozenset({"refund.created", "refund.updated"})
# What an event body may be: its id and type must fit their columns (PostgreSQL text cannot
# hold NUL either).
ID_MAX, TYPE_MAX = 255, 100


def completed(payment_status: object) -> PaymentEvent:
    """A completed session: paid now, or an async method still waiting for the funds."""
    if payment_status in PAID:
        return PaymentEvent.SESSION_COMPLETED_PAID
    return PaymentEvent.SESSION_COMPLETED_UNPAID


def failure_reason(error: Any) -> str | None:
    """A short human reason from `last_payment_error` (a dict or a StripeObject):
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
    """An object's id, whether the field holds the id or the expanded object."""
    if not value:
        return None
    return value if isinstance(value, str) else str(value["id"])


def _text(value: Any) -> str | None:
    return None if not value else str(value)


def session_info(session: Mapping[str, Any]) -> SessionInfo:
    """A Checkout Session read from the API (its payment intent expanded, when it was)."""
    intent = session.get("payment_intent")
    expanded: Mapping[str, Any] | None = intent if isinstance(intent, Mapping) else None
    status = session.get("status")
    change: PaymentEvent | None
    if status == "expired":
        change = PaymentEvent.SESSION_EXPIRED
    elif status != "complete":
        change = None
    else:
        change = completed(session.get("payment_status"))
        failed = expanded is not None and expanded.get("status") in INTENT_FAILED
        if change is PaymentEvent.SESSION_COMPLETED_UNPAID and failed:
            change = PaymentEvent.ASYNC_PAYMENT_FAILED
    expires_at = session.get("expires_at")
    return SessionInfo(
        id=str(session["id"]),
        url=session.get("url"),
        expires_at=datetime.fromtimestamp(expires_at, UTC) if expires_at else None,
        payment_intent_id=_id_of(intent),
        change=change,
        payment_error=failure_reason(expanded.get("last_payment_error")) if expanded else None,
    )


def refund_status(value: object) -> RefundStatus:
    if value == "succeeded":
        return RefundStatus.SUCCEEDED
    if value in REFUND_FAILED:
        return RefundStatus.FAILED
    return RefundStatus.PENDING  # pending, requires_action


def refund_info(refund: Mapping[str, Any]) -> RefundInfo:
    return RefundInfo(
        id=str(refund["id"]),
        status=refund_status(refund.get("status")),
        amount=int(refund["amount"]),
        payment_intent_id=_text(refund.get("payment_intent")),
        refund_id=_text((refund.get("metadata") or {}).get("refund_id")),
    )


def _session_changed(
    event_type: str, session: Mapping[str, Any], request_key: str | None
) -> SessionChanged:
    metadata = session.get("metadata") or {}
    intent = session.get("payment_intent")
    expanded: Mapping[str, Any] | None = intent if isinstance(intent, Mapping) else None
    if event_type == "checkout.session.completed":
        change: PaymentEvent | None = completed(session.get("payment_status"))
    else:
        change = SESSION_EVENTS.get(event_type)
    return SessionChanged(
        session_id=_text(session.get("id")),
        payment_id=_text(metadata.get("payment_id") or session.get("client_reference_id")),
        payment_intent_id=_id_of(intent),
        change=change,
        intent_expanded=expanded is not None,
        failure_reason=failure_reason(expanded.get("last_payment_error")) if expanded else None,
        request_key=request_key,
    )


def _attempt_failed(intent: Mapping[str, Any]) -> PaymentAttemptFailed:
    return PaymentAttemptFailed(
        payment_intent_id=_text(intent.get("id")),
        payment_id=_text((intent.get("metadata") or {}).get("payment_id")),
        reason=failure_reason(intent.get("last_payment_error")),
    )


def request_key(request: Any) -> str | None:
    """The Idempotency-Key of the API request an event came from (`event.request`); None for
    an event nobody's request caused (a session that reached its expiry time)."""
    key = request.get("idempotency_key") if isinstance(request, Mapping) else None
    return key if isinstance(key, str) and key else None


def event_fact(event_type: str, data: Mapping[str, Any], caused_by: str | None = None) -> EventFact:
    """What an event of `event_type` with `data` says, for the inbox to act on; `caused_by`
    is the key of the request behind it."""
    try:
        obj = data["object"]
        if event_type == "payment_intent.payment_failed":
            return _attempt_failed(obj)
        if event_type.startswith("checkout.session."):
            return _session_changed(event_type, obj, caused_by)
        if event_type in REFUND_EVENTS:
            return RefundsReported((refund_info(obj),))
        if event_type == "charge.refunded":
            listed = (obj.get("refunds") or {}).get("data") or []
            return RefundsReported(tuple(refund_info(r) for r in listed))
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as exc:
        return Malformed(f"{type(exc).__name__}: {exc}")
    return Unhandled()


def parse_event(text: str) -> GatewayEvent:
    """The event of a verified body: one JSON parse, the envelope checked, the facts read."""
    try:
        event = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BadSignatureError(f"payload is not a JSON event: {exc!r}"[:300]) from None
    if not isinstance(event, dict) or event.get("object") == "v2.core.event":
        raise BadSignatureError("payload is not a JSON event: not a v1 event object")
    try:
        event_id, event_type, data = event["id"], event["type"], event["data"]
    except KeyError as exc:
        raise BadSignatureError(f"payload is not a Stripe event: {exc}") from None
    if not isinstance(event_id, str) or not isinstance(event_type, str):
        raise BadSignatureError("payload is not a Stripe event: id and type must be strings")
    if not isinstance(data, dict):
        raise BadSignatureError("payload is not a Stripe event: data must be an object")
    for name, value, limit in (("id", event_id, ID_MAX), ("type", event_type, TYPE_MAX)):
        if not value or len(value) > limit or CONTROL_CHARACTER.search(value):
            raise BadSignatureError(f"payload is not a Stripe event: bad {name}")
    fact = event_fact(event_type, data, request_key(event.get("request")))
    created = event.get("created")
    if not isinstance(created, int | float) or isinstance(created, bool):
        created = None
    return GatewayEvent(event_id, event_type, text, fact, created)


class StripeWebhooks:
    """Verifies `Stripe-Signature` against every configured secret (rotation: any verifies)."""

    def __init__(self, secrets: list[str], tolerance: int) -> None:
        self.secrets = secrets
        self.tolerance = tolerance

    def verify(self, payload: bytes, signature: str | None) -> GatewayEvent:
        if not signature:
            raise BadSignatureError("missing Stripe-Signature header")
        if not self.secrets:
            raise BadSignatureError("no webhook secret is configured")
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadSignatureError(f"payload is not a JSON event: {exc!r}"[:300]) from None
        if not any(self._signed(text, signature, secret) for secret in self.secrets):
            raise BadSignatureError(
                "Stripe-Signature does not verify (forged, wrong secret or too old)"
            )
        return parse_event(text)

    def parse(self, payload: str) -> GatewayEvent:
        return parse_event(payload)

    def _signed(self, text: str, signature: str, secret: str) -> bool:
        try:
            stripe.WebhookSignature.verify_header(text, signature, secret, self.tolerance)
        except stripe.SignatureVerificationError:
            return False
        return True
