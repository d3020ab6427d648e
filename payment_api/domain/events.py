"""Outbound events: what the merchant's systems hear about, and which change emits which.

An event is written by `Outbox.emit` inside the transaction of the change that causes it (the
transactional outbox): a change that rolls back leaves no event, a committed one cannot lose
its event. `apply_event` and `settle_gateway_refund` are the only callers, so every way a
payment or refund moves (webhook, API answer, reconcile, cancel) emits the same events.
"""

from __future__ import annotations

from enum import StrEnum

from payment_api.domain.states import PaymentStatus, RefundStatus


class EventType(StrEnum):
    PAYMENT_PROCESSING = "payment.processing"
    PAYMENT_SUCCEEDED = "payment.succeeded"
    PAYMENT_FAILED = "payment.failed"
    PAYMENT_EXPIRED = "payment.expired"
    PAYMENT_CANCELED = "payment.canceled"
    PAYMENT_PARTIALLY_REFUNDED = "payment.partially_refunded"
    PAYMENT_REFUNDED = "payment.refunded"
    REFUND_SUCCEEDED = "refund.succeeded"
    REFUND_FAILED = "refund.failed"

    @property
    def object_type(self) -> str:
        """What the event's `data` holds: "payment" or "refund"."""
        return self.value.split(".", 1)[0]


_PAYMENT_EVENTS = {
    PaymentStatus.PROCESSING: EventType.PAYMENT_PROCESSING,
    PaymentStatus.SUCCEEDED: EventType.PAYMENT_SUCCEEDED,
    PaymentStatus.FAILED: EventType.PAYMENT_FAILED,
    PaymentStatus.EXPIRED: EventType.PAYMENT_EXPIRED,
    PaymentStatus.CANCELED: EventType.PAYMENT_CANCELED,
    PaymentStatus.PARTIALLY_REFUNDED: EventType.PAYMENT_PARTIALLY_REFUNDED,
    PaymentStatus.REFUNDED: EventType.PAYMENT_REFUNDED,
}
_REFUND_EVENTS = {
    RefundStatus.SUCCEEDED: EventType.REFUND_SUCCEEDED,
    RefundStatus.FAILED: EventType.REFUND_FAILED,
}


def payment_event(status: PaymentStatus) -> EventType | None:
    """The event of a payment that has just moved to `status` (pending has none)."""
    return _PAYMENT_EVENTS.get(status)


def refund_event(status: RefundStatus) -> EventType | None:
    """The event of a refund that has just become final with `status`."""
    return _REFUND_EVENTS.get(status)
