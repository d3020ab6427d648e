"""The webhook inbox: verify, store once, process in one transaction with the state change.

Receiving and processing are separate steps: the request stores the event (unique on its id)
and answers 2xx once it is safely stored; processing failures leave the row `failed` for the
reconciler or a replay. Two deliveries racing on two workers: the loser of the INSERT answers
"duplicate", and `InboxRepository.claim` serialises processing of one event.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import stripe
from sqlalchemy.exc import IntegrityError

from payment_api.db.models import Payment, WebhookEvent, utcnow
from payment_api.db.unit_of_work import UnitOfWork
from payment_api.domain.errors import NotFoundError
from payment_api.domain.payments import apply_event
from payment_api.domain.refunds import settle_gateway_refund
from payment_api.domain.states import PaymentEvent
from payment_api.gateways.payment_gateway import GatewayError, PaymentGateway, failure_reason
from service_kit.logs import get_logger

log = get_logger("payment_api.webhooks")

CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")  # the spec's pattern, negated


class BadSignatureError(Exception):
    """Missing, forged or stale `Stripe-Signature`, or a body that is not an event."""


SESSION_EVENTS = {
    "checkout.session.async_payment_succeeded": PaymentEvent.ASYNC_PAYMENT_SUCCEEDED,
    "checkout.session.async_payment_failed": PaymentEvent.ASYNC_PAYMENT_FAILED,
    "checkout.session.expired": PaymentEvent.SESSION_EXPIRED,
}


@dataclass(frozen=True)
class Receipt:
    event_id: str
    type: str
    outcome: Literal["stored", "duplicate"]
    state: str


def verify(payload: bytes, signature: str | None, secrets: list[str], tolerance: int) -> None:
    """Accept the payload if ANY configured secret (rotation) verifies the signature."""
    if not signature:
        raise BadSignatureError("missing Stripe-Signature header")
    if not secrets:
        raise BadSignatureError("no webhook secret is configured")
    for secret in secrets:
        try:
            stripe.Webhook.construct_event(payload, signature, secret, tolerance=tolerance)
            return
        except stripe.SignatureVerificationError:
            continue
        except (ValueError, TypeError, AttributeError, RecursionError) as exc:
            # The SDK parses the body after the signature verified; a signed body that is not
            # a JSON object (`null`, a list, nested too deep) must not become a 500.
            raise BadSignatureError(f"payload is not a JSON event: {exc!r}"[:300]) from None
    raise BadSignatureError("Stripe-Signature does not verify (forged, wrong secret or too old)")


class WebhookInbox:
    def __init__(
        self, uow: Callable[[], UnitOfWork], gateway: PaymentGateway | None = None
    ) -> None:
        self.uow = uow
        # Asked only for what an event does not carry: why an async payment failed.
        self.gateway = gateway

    def receive(self, payload: bytes) -> Receipt:
        """Store a VERIFIED event once; a second delivery changes nothing."""
        try:
            event = json.loads(payload)
            event_id, event_type, data = event["id"], event["type"], event["data"]
        except (ValueError, KeyError, TypeError) as exc:
            raise BadSignatureError(f"payload is not a Stripe event: {exc}") from None
        # The StripeEvent contract: a signed `"type": [null]` or `"data": 5` is no event either
        # (str() made one of it and it was stored).
        if not isinstance(event_id, str) or not isinstance(event_type, str):
            raise BadSignatureError("payload is not a Stripe event: id and type must be strings")
        if not isinstance(data, dict):
            raise BadSignatureError("payload is not a Stripe event: data must be an object")
        for name, value, limit in (("id", event_id, 255), ("type", event_type, 100)):
            # Must fit its column; PostgreSQL text cannot hold NUL (a 500 before this check).
            if not value or len(value) > limit or CONTROL_CHARACTER.search(value):
                raise BadSignatureError(f"payload is not a Stripe event: bad {name}")
        with self.uow() as uow:
            existing = uow.inbox.get(event_id)
            if existing is not None:
                return Receipt(event_id, event_type, "duplicate", existing.state)
            try:
                uow.inbox.add(
                    WebhookEvent(
                        id=event_id,
                        type=event_type,
                        payload=payload.decode(),
                        state="received",
                        attempts=0,
                        received_at=utcnow(),
                    )
                )
                uow.commit()
            except IntegrityError:
                return Receipt(event_id, event_type, "duplicate", "received")
        return Receipt(event_id, event_type, "stored", "received")

    def process(self, event_id: str, *, force: bool = False) -> WebhookEvent:
        """Apply one stored event; idempotent (the state machine ignores what it has seen)."""
        reason = self._gateway_failure_reason(event_id, force=force)
        with self.uow() as uow:
            if uow.inbox.get(event_id) is None:
                raise NotFoundError(f"event {event_id} is not in the inbox")
            claimed = uow.inbox.claim(event_id, force=force)
            row = uow.inbox.get(event_id)
            assert row is not None
            if not claimed:
                return row
            try:
                event = json.loads(row.payload)
                outcome = self._apply(uow, event, failure=reason)
            except Exception as exc:
                uow.rollback()
                return self._mark_failed(event_id, f"{type(exc).__name__}: {exc}")
            # outcome is VARCHAR(200): PostgreSQL refuses longer (charge.refunded lists refunds).
            row.state, row.outcome, row.error = "processed", outcome[:200], None
            row.processed_at = utcnow()
            uow.commit()
            return row

    def _mark_failed(self, event_id: str, error: str) -> WebhookEvent:
        with self.uow() as uow:
            uow.inbox.claim(event_id, force=True)
            row = uow.inbox.get(event_id)
            assert row is not None
            row.state, row.error = "failed", error[:2000]
            uow.commit()
            return row

    def _gateway_failure_reason(self, event_id: str, *, force: bool) -> str | None:
        """Why an async payment failed, asked of the gateway BEFORE the event's transaction
        (no lock is held while it answers): `checkout.session.async_payment_failed` carries
        the session, whose payment intent (with `last_payment_error`) is only an id. None when
        not needed, already processed, or the gateway cannot say (the payment still fails;
        a later `payment_intent.payment_failed` or a replay fills the reason in)."""
        if self.gateway is None:
            return None
        with self.uow() as uow:
            row = uow.inbox.get(event_id)
            if row is None or (row.state == "processed" and not force):
                return None
            payload = row.payload
        try:
            event = json.loads(payload)
            if event.get("type") != "checkout.session.async_payment_failed":
                return None
            session = event["data"]["object"]
            intent = session.get("payment_intent")
            if isinstance(intent, dict):  # expanded: the reason is already there
                return failure_reason(intent.get("last_payment_error"))
            session_id = str(session["id"])
        except (ValueError, KeyError, TypeError, AttributeError):
            return None  # _apply records the malformed event as failed
        try:
            return self.gateway.get_session(session_id).payment_error
        except GatewayError as exc:
            log.warning(
                "failure reason unavailable", event_id=event_id, error=exc.kind, detail=exc.detail
            )
            return None

    def _apply(self, uow: UnitOfWork, event: dict[str, Any], *, failure: str | None) -> str:
        event_type, event_id = str(event["type"]), str(event["id"])
        obj: dict[str, Any] = event["data"]["object"]
        if event_type == "payment_intent.payment_failed":
            return self._intent_failed(uow, obj)
        if event_type.startswith("checkout.session."):
            payment = self._payment_for_session(uow, obj)
            if payment is None:
                return "ignored: no matching payment"
            if obj.get("payment_intent"):
                intent = obj["payment_intent"]
                payment.payment_intent_id = intent if isinstance(intent, str) else intent["id"]
            if event_type == "checkout.session.completed":
                paid = obj.get("payment_status") in ("paid", "no_payment_required")
                change = (
                    PaymentEvent.SESSION_COMPLETED_PAID
                    if paid
                    else PaymentEvent.SESSION_COMPLETED_UNPAID
                )
            elif event_type in SESSION_EVENTS:
                change = SESSION_EVENTS[event_type]
            else:
                return f"ignored: unhandled type {event_type}"
            moved = apply_event(uow, payment, change, event_id=event_id)
            if change is PaymentEvent.ASYNC_PAYMENT_FAILED and payment.status == "failed":
                payment.failure_reason = failure or payment.failure_reason
            return f"{change.value}: {payment.status}" if moved else f"ignored: {payment.status}"
        if event_type in ("refund.created", "refund.updated"):
            return self._refund(uow, obj, event_id)
        if event_type == "charge.refunded":
            refunds = (obj.get("refunds") or {}).get("data") or []
            outcomes = [self._refund(uow, r, event_id) for r in refunds]
            return "; ".join(outcomes) or "ignored: no refunds listed"
        return f"ignored: unhandled type {event_type}"

    @staticmethod
    def _intent_failed(uow: UnitOfWork, intent: dict[str, Any]) -> str:
        """`payment_intent.payment_failed`: keep the gateway's reason. It moves nothing: on an
        open checkout the shopper may still pay with another card (the session's own events
        decide); only a payment whose async attempt failed (processing, failed) takes it."""
        reason = failure_reason(intent.get("last_payment_error"))
        payment_id = (intent.get("metadata") or {}).get("payment_id")
        payment = uow.payments.get(str(payment_id), for_update=True) if payment_id else None
        if payment is None and intent.get("id"):
            payment = uow.payments.by_payment_intent(str(intent["id"]), for_update=True)
        if payment is None:
            return "ignored: no matching payment"
        if reason is None or payment.status not in ("processing", "failed"):
            return f"ignored: {payment.status}"
        payment.failure_reason = reason
        payment.updated_at = utcnow()
        return f"failure reason recorded: {payment.status}"

    @staticmethod
    def _payment_for_session(uow: UnitOfWork, session: dict[str, Any]) -> Payment | None:
        payment_id = (session.get("metadata") or {}).get("payment_id") or session.get(
            "client_reference_id"
        )
        if payment_id:
            found = uow.payments.get(str(payment_id), for_update=True)
            if found is not None:
                return found
        return uow.payments.by_session_id(str(session.get("id")), for_update=True)

    @staticmethod
    def _refund(uow: UnitOfWork, refund: dict[str, Any], event_id: str) -> str:
        intent = refund.get("payment_intent")
        payment = uow.payments.by_payment_intent(str(intent), for_update=True) if intent else None
        if payment is None:
            return "ignored: refund of an unknown payment"
        local = settle_gateway_refund(
            uow,
            payment,
            gateway_refund_id=str(refund["id"]),
            status=str(refund.get("status")),
            amount=int(refund["amount"]),
            local_refund_id=(refund.get("metadata") or {}).get("refund_id"),
            event_id=event_id,
        )
        return f"refund {local.id} {local.status}; payment {payment.status}"
