"""Reconciliation: fetch the truth for stale open payments and pending refunds, retry failed
inbox events.

Safe to run concurrently with webhooks and with itself: every change goes through the same
locked transaction + state machine, so repeating it changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from payment_api.domain.checkout import CHECKOUT_SCOPES
from payment_api.domain.idempotency import Idempotency
from payment_api.domain.model import utcnow
from payment_api.domain.payments import apply_event, get_payment
from payment_api.domain.ports import GatewayError, PaymentGateway, UnitOfWorkFactory
from payment_api.domain.refunds import (
    fail_refund,
    refund_record,
    refund_scope,
    settle_gateway_refund,
)
from payment_api.domain.states import OPEN, InboxState, PaymentEvent, RefundStatus
from payment_api.domain.webhooks import WebhookInbox

MAX_EVENT_ATTEMPTS = 10


@dataclass
class ReconcileReport:
    payments_checked: int = 0
    payments_changed: int = 0
    checkouts_abandoned: int = 0
    refunds_checked: int = 0
    refunds_settled: int = 0
    events_retried: int = 0
    events_processed: int = 0
    keys_purged: int = 0
    errors: list[str] = field(default_factory=list)


class Reconciler:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        gateway: PaymentGateway,
        inbox: WebhookInbox,
        idempotency: Idempotency,
        *,
        stale_after: timedelta,
        batch_size: int,
    ) -> None:
        self.uow = uow
        self.gateway = gateway
        self.inbox = inbox
        self.idempotency = idempotency
        self.stale_after = stale_after
        self.batch_size = batch_size
        # A payment or refund left pending this long has no request left talking to the
        # gateway about it (the same bound as an abandoned Idempotency-Key).
        self.quiet = max(stale_after, idempotency.in_progress_timeout)

    def run(self) -> ReconcileReport:
        report = ReconcileReport()
        self._payments(report)
        self._abandoned_checkouts(report)
        self._refunds(report)
        self._events(report)
        report.keys_purged = self.idempotency.purge_expired()
        return report

    def _payments(self, report: ReconcileReport) -> None:
        with self.uow() as uow:
            ids = uow.payments.stale_open(
                [s.value for s in OPEN], utcnow() - self.stale_after, self.batch_size
            )
        for payment_id in ids:
            report.payments_checked += 1
            with self.uow() as uow:
                payment = uow.payments.get(payment_id)
                session_id = payment.checkout_session_id if payment else None
            if not session_id:
                continue
            try:
                session = self.gateway.get_session(session_id)
            except GatewayError as exc:
                report.errors.append(f"payment {payment_id}: {exc.detail}")
                continue
            change = session.change
            with self.uow() as uow:
                payment = uow.payments.get(payment_id, for_update=True)
                if payment is None:
                    continue
                if session.payment_intent_id and not payment.payment_intent_id:
                    payment.payment_intent_id = session.payment_intent_id
                moved = change is not None and apply_event(
                    uow, payment, change, event_id="reconcile"
                )
                if moved and change is PaymentEvent.ASYNC_PAYMENT_FAILED:
                    payment.failure_reason = session.payment_error or payment.failure_reason
                if not moved:
                    payment.updated_at = utcnow()  # checked: next run looks at others first
                uow.commit()
                report.payments_changed += int(moved)

    def _abandoned_checkouts(self, report: ReconcileReport) -> None:
        """Fail payments whose session call died or timed out and that nobody retried. A session
        the gateway may still have made belongs to nobody (its URL never reached anyone) and
        expires unpaid; the client's key is released, so a late retry is a new checkout (with
        a new gateway key: no conflict at the gateway)."""
        cutoff = utcnow() - self.quiet
        with self.uow() as uow:
            ids = uow.payments.without_session(cutoff, self.batch_size)
        for payment_id in ids:
            with self.uow() as uow:
                payment = uow.payments.get(payment_id, for_update=True)
                if payment is None or payment.checkout_session_id is not None:
                    continue
                keys = self.idempotency.keys_for(uow, CHECKOUT_SCOPES, payment_id)
                if any(key.created_at >= cutoff for key in keys):
                    continue  # a retry claimed the key lately and may be finishing it now
                payment.failure_reason = "the payment gateway never answered; not retried"
                if apply_event(uow, payment, PaymentEvent.GATEWAY_REJECTED, event_id="reconcile"):
                    self.idempotency.release(uow, keys)
                    report.checkouts_abandoned += 1
                uow.commit()

    def _refunds(self, report: ReconcileReport) -> None:
        """Settle refunds left pending: Stripe still pending (no webhook came), or our call's
        answer lost (gateway timeout, process killed) and no client retried. The gateway's
        record decides; a refund it never made is failed, its amount freed and its
        Idempotency-Key released, so nothing stays reserved forever and nothing is doubled."""
        with self.uow() as uow:
            ids = uow.refunds.stale_pending(utcnow() - self.quiet, self.batch_size)
        for refund_id in ids:
            report.refunds_checked += 1
            with self.uow() as uow:
                refund = uow.refunds.get(refund_id)
                payment = uow.payments.get(refund.payment_id) if refund else None
                if refund is None or payment is None or not payment.payment_intent_id:
                    continue
                payment_id, gateway_id = payment.id, refund.gateway_refund_id
                intent_id = payment.payment_intent_id
            try:
                info = (
                    self.gateway.get_refund(gateway_id)
                    if gateway_id
                    else self.gateway.find_refund(payment_intent_id=intent_id, refund_id=refund_id)
                )
            except GatewayError as exc:
                report.errors.append(f"refund {refund_id}: {exc.detail}")
                continue
            with self.uow() as uow:
                payment = get_payment(uow, payment_id, for_update=True)
                refund = uow.refunds.get(refund_id)
                if refund is None or refund.status != RefundStatus.PENDING:
                    continue  # settled meanwhile (webhook, a retried request)
                keys = self.idempotency.keys_for(uow, refund_scope(payment_id), refund_id)
                if info is None:
                    fail_refund(uow, refund)
                    self.idempotency.release(uow, keys)
                else:
                    settle_gateway_refund(
                        uow, payment, info, local_refund_id=refund_id, event_id="reconcile"
                    )
                    self.idempotency.settle(uow, keys, refund_record(refund))
                refund.updated_at = utcnow()  # checked: next run looks at others first
                uow.commit()
                report.refunds_settled += int(refund.status != RefundStatus.PENDING)

    def _events(self, report: ReconcileReport) -> None:
        with self.uow() as uow:
            ids = uow.inbox.failed_ids(
                self.batch_size, MAX_EVENT_ATTEMPTS, utcnow() - self.stale_after
            )
        for event_id in ids:
            report.events_retried += 1
            row = self.inbox.process(event_id)
            report.events_processed += int(row.state == InboxState.PROCESSED)
