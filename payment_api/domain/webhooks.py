"""The webhook inbox: verify, store once, then process in one transaction with the state change.

A delivery is answered 2xx as soon as its event is stored (`receive`), as Stripe recommends;
the worker processes stored events off the request path (`process_received`). A processing
failure leaves the event `failed` for reconcile or an admin replay. Two deliveries racing on
two replicas: the loser of the INSERT answers "duplicate"; `InboxRepository.claim` serialises
processing of one event. The gateway adapter turns the body into a `GatewayEvent` (typed
facts) once per delivery.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from payment_api.domain.audit import Actor, AuditAction, record
from payment_api.domain.checkout import cancel_key
from payment_api.domain.errors import DuplicateError, NotFoundError
from payment_api.domain.model import InboxEvent, NewInboxEvent, Payment, utcnow
from payment_api.domain.payments import apply_event
from payment_api.domain.ports import (
    BadSignatureError,
    GatewayError,
    GatewayEvent,
    Malformed,
    PaymentAttemptFailed,
    PaymentGateway,
    RefundInfo,
    RefundsReported,
    SessionChanged,
    UnitOfWork,
    UnitOfWorkFactory,
    WebhookEvents,
)
from payment_api.domain.refunds import settle_gateway_refund
from payment_api.domain.states import InboxState, PaymentEvent, PaymentStatus

log = logging.getLogger("payment_api.webhooks")

OUTCOME_MAX = 200  # the column's size (a charge.refunded outcome lists every refund)
ERROR_MAX = 2000


@dataclass(frozen=True)
class Receipt:
    event_id: str
    type: str
    duplicate: bool
    state: InboxState
    created: float | None = None  # the event's own time, for the lag metric


class MalformedEventError(Exception):
    """The verified event's object could not be read (its error is the fact's)."""


class WebhookInbox:
    def __init__(
        self, uow: UnitOfWorkFactory, events: WebhookEvents, gateway: PaymentGateway
    ) -> None:
        self.uow = uow
        self.events = events
        # Asked only for what an event does not carry: why an async payment failed.
        self.gateway = gateway

    def receive(self, payload: bytes, signature: str | None) -> Receipt:
        """Verify a delivery and store its event once; a second delivery of the same event
        changes nothing. BadSignatureError for anything that is not a signed event."""
        event = self.events.verify(payload, signature)
        with self.uow() as uow:
            existing = uow.inbox.state_of(event.id)
            if existing is not None:
                return Receipt(event.id, event.type, True, existing)
            try:
                uow.inbox.add(NewInboxEvent(event.id, event.type, event.payload, utcnow()))
            except DuplicateError:
                return Receipt(event.id, event.type, True, InboxState.RECEIVED)
            uow.commit()
        return Receipt(event.id, event.type, False, InboxState.RECEIVED, event.created)

    def process_received(self, limit: int, lease: timedelta) -> list[InboxEvent]:
        """Process up to `limit` stored events not processed yet, oldest first (the worker).
        Each is leased first, so workers share the backlog; one whose worker died is taken
        again when its lease expires."""
        now = utcnow()
        with self.uow() as uow:
            ids = uow.inbox.claim_received(now, now + lease, limit)
            uow.commit()
        return [self.process(event_id) for event_id in ids]

    def replay(self, event_id: str, actor: Actor | None = None) -> InboxEvent:
        """An admin's replay: recorded (who asked, for which event), then processed again."""
        with self.uow() as uow:
            if uow.inbox.get(event_id) is None:
                raise NotFoundError(f"event {event_id} is not in the inbox")
            record(uow, actor, AuditAction.EVENT_REPLAYED, event_id)
            uow.commit()
        return self.process(event_id, force=True)

    def process(self, event_id: str, *, force: bool = False) -> InboxEvent:
        """Apply one stored event again (reconcile, admin replay); idempotent: the state
        machine ignores what it has seen. `force` also reprocesses a processed event."""
        with self.uow() as uow:
            row = uow.inbox.get(event_id)
            if row is None:
                raise NotFoundError(f"event {event_id} is not in the inbox")
            payload = row.payload
        try:
            event = self.events.parse(payload)
        except BadSignatureError as exc:  # stored before the envelope was checked this way
            return self._mark_failed(event_id, str(exc))
        return self._process(event, force=force)

    def _process(self, event: GatewayEvent, *, force: bool) -> InboxEvent:
        reason = self._failure_reason(event, force=force)
        with self.uow() as uow:
            claimed = uow.inbox.claim(event.id, force=force)
            row = uow.inbox.get(event.id)
            assert row is not None  # events are never deleted
            if not claimed:
                return row
            try:
                outcome = self._apply(uow, event, failure=reason)
            except Exception as exc:
                uow.rollback()
                error = (
                    str(exc)
                    if isinstance(exc, MalformedEventError)
                    else f"{type(exc).__name__}: {exc}"
                )
                return self._mark_failed(event.id, error)
            row.state, row.outcome, row.error = InboxState.PROCESSED, outcome[:OUTCOME_MAX], None
            row.processed_at = utcnow()
            uow.commit()
            return row

    def _mark_failed(self, event_id: str, error: str) -> InboxEvent:
        with self.uow() as uow:
            uow.inbox.claim(event_id, force=True)
            row = uow.inbox.get(event_id)
            assert row is not None
            row.state, row.error = InboxState.FAILED, error[:ERROR_MAX]
            uow.commit()
            return row

    def _failure_reason(self, event: GatewayEvent, *, force: bool) -> str | None:
        """Why an async payment failed, asked of the gateway BEFORE the event's transaction
        (no lock held while it answers): the session event carries its payment intent only
        as an id. None when not needed or already processed, or when the gateway cannot say
        (the payment still fails; a later payment_intent.payment_failed fills it in)."""
        fact = event.fact
        if (
            not isinstance(fact, SessionChanged)
            or fact.change is not PaymentEvent.ASYNC_PAYMENT_FAILED
        ):
            return None
        if not force:
            with self.uow() as uow:
                row = uow.inbox.get(event.id)
                if row is None or row.state == InboxState.PROCESSED:
                    return None
        if fact.intent_expanded:
            return fact.failure_reason
        if fact.session_id is None:
            return None
        try:
            return self.gateway.get_session(fact.session_id).payment_error
        except GatewayError as exc:
            log.warning(
                "failure reason unavailable: event %s, gateway %s: %s",
                event.id,
                exc.kind,
                exc.detail,
            )
            return None

    def _apply(self, uow: UnitOfWork, event: GatewayEvent, *, failure: str | None) -> str:
        fact = event.fact
        if isinstance(fact, Malformed):
            raise MalformedEventError(fact.error)
        if isinstance(fact, PaymentAttemptFailed):
            return self._attempt_failed(uow, fact)
        if isinstance(fact, SessionChanged):
            return self._session_changed(uow, fact, event, failure)
        if isinstance(fact, RefundsReported):
            outcomes = [self._refund(uow, r, event.id) for r in fact.refunds]
            return "; ".join(outcomes) or "ignored: no refunds listed"
        return f"ignored: unhandled type {event.type}"

    @staticmethod
    def _session_changed(
        uow: UnitOfWork, fact: SessionChanged, event: GatewayEvent, failure: str | None
    ) -> str:
        payment = _payment_of_session(uow, fact)
        if payment is None:
            return "ignored: no matching payment"
        if fact.payment_intent_id:
            payment.payment_intent_id = fact.payment_intent_id
        change = fact.change
        if change is None:
            return f"ignored: unhandled type {event.type}"
        if change is PaymentEvent.SESSION_EXPIRED and fact.request_key == cancel_key(payment.id):
            change = PaymentEvent.CANCELED  # our cancel closed it: its echo may come first
        moved = apply_event(uow, payment, change, event_id=event.id)
        if change is PaymentEvent.ASYNC_PAYMENT_FAILED and payment.status == PaymentStatus.FAILED:
            payment.failure_reason = failure or payment.failure_reason
        return f"{change.value}: {payment.status}" if moved else f"ignored: {payment.status}"

    @staticmethod
    def _attempt_failed(uow: UnitOfWork, fact: PaymentAttemptFailed) -> str:
        """Keep the gateway's reason. It moves nothing: on an open checkout the shopper may
        still pay with another card; only a payment whose async attempt failed (processing,
        failed) takes it."""
        payment = uow.payments.get(fact.payment_id, for_update=True) if fact.payment_id else None
        if payment is None and fact.payment_intent_id:
            payment = uow.payments.by_payment_intent(fact.payment_intent_id, for_update=True)
        if payment is None:
            return "ignored: no matching payment"
        if fact.reason is None or payment.status not in (
            PaymentStatus.PROCESSING,
            PaymentStatus.FAILED,
        ):
            return f"ignored: {payment.status}"
        payment.failure_reason = fact.reason
        payment.updated_at = utcnow()
        return f"failure reason recorded: {payment.status}"

    @staticmethod
    def _refund(uow: UnitOfWork, info: RefundInfo, event_id: str) -> str:
        intent = info.payment_intent_id
        payment = uow.payments.by_payment_intent(intent, for_update=True) if intent else None
        if payment is None:
            return "ignored: refund of an unknown payment"
        local = settle_gateway_refund(
            uow, payment, info, local_refund_id=info.refund_id, event_id=event_id
        )
        return f"refund {local.id} {local.status}; payment {payment.status}"


def _payment_of_session(uow: UnitOfWork, fact: SessionChanged) -> Payment | None:
    if fact.payment_id:
        found = uow.payments.get(fact.payment_id, for_update=True)
        if found is not None:
            return found
    if fact.session_id is None:
        return None
    return uow.payments.by_session_id(fact.session_id, for_update=True)
