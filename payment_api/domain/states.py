"""Statuses of payments, refunds, inbox events and webhook deliveries, and the payment state
machine: ONE explicit table of allowed transitions.

Everything not in `TRANSITIONS` is refused by `next_status`, which returns None: the event is
recorded by the caller but the payment does not move. That is how a late or out-of-order
webhook (e.g. `expired` after `succeeded`) can never move a payment backwards.
"""

from __future__ import annotations

from enum import StrEnum


class PaymentStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELED = "canceled"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


class PaymentEvent(StrEnum):
    """What can happen to a payment, whatever its source (webhook, gateway answer, reconcile)."""

    SESSION_COMPLETED_PAID = "session_completed_paid"
    SESSION_COMPLETED_UNPAID = "session_completed_unpaid"  # async method, waiting for funds
    ASYNC_PAYMENT_SUCCEEDED = "async_payment_succeeded"
    ASYNC_PAYMENT_FAILED = "async_payment_failed"
    SESSION_EXPIRED = "session_expired"
    GATEWAY_REJECTED = "gateway_rejected"  # the session could not be created
    CANCELED = "canceled"
    PARTIALLY_REFUNDED = "partially_refunded"
    FULLY_REFUNDED = "fully_refunded"


S, E = PaymentStatus, PaymentEvent

TRANSITIONS: dict[tuple[PaymentStatus, PaymentEvent], PaymentStatus] = {
    (S.PENDING, E.SESSION_COMPLETED_PAID): S.SUCCEEDED,
    (S.PENDING, E.SESSION_COMPLETED_UNPAID): S.PROCESSING,
    (S.PENDING, E.ASYNC_PAYMENT_SUCCEEDED): S.SUCCEEDED,
    (S.PENDING, E.ASYNC_PAYMENT_FAILED): S.FAILED,
    (S.PENDING, E.SESSION_EXPIRED): S.EXPIRED,
    (S.PENDING, E.GATEWAY_REJECTED): S.FAILED,
    (S.PENDING, E.CANCELED): S.CANCELED,
    (S.PROCESSING, E.SESSION_COMPLETED_PAID): S.SUCCEEDED,
    (S.PROCESSING, E.ASYNC_PAYMENT_SUCCEEDED): S.SUCCEEDED,
    (S.PROCESSING, E.ASYNC_PAYMENT_FAILED): S.FAILED,
    (S.SUCCEEDED, E.PARTIALLY_REFUNDED): S.PARTIALLY_REFUNDED,
    (S.SUCCEEDED, E.FULLY_REFUNDED): S.REFUNDED,
    (S.PARTIALLY_REFUNDED, E.PARTIALLY_REFUNDED): S.PARTIALLY_REFUNDED,
    (S.PARTIALLY_REFUNDED, E.FULLY_REFUNDED): S.REFUNDED,
}

TERMINAL = frozenset({S.FAILED, S.EXPIRED, S.CANCELED, S.REFUNDED})
OPEN = frozenset({S.PENDING, S.PROCESSING})  # the reconciler looks at these
REFUNDABLE = frozenset({S.SUCCEEDED, S.PARTIALLY_REFUNDED})


class RefundStatus(StrEnum):
    PENDING = "pending"  # reserved locally, the gateway's word not final yet
    SUCCEEDED = "succeeded"  # counted towards the payment's refunded amount
    FAILED = "failed"  # refused or canceled at the gateway; its amount is free again


class InboxState(StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    FAILED = "failed"  # retried by reconcile, or replayed by an admin


class EndpointStatus(StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"  # by an admin, or by the worker after failing too long


class DeliveryState(StrEnum):
    """One event to one endpoint."""

    PENDING = "pending"  # due at next_attempt_at (again, after a failed attempt)
    DELIVERED = "delivered"  # the endpoint answered 2xx
    FAILED = "failed"  # every attempt of the retry window failed; an admin may retry it


class AttemptOutcome(StrEnum):
    DELIVERED = "delivered"  # 2xx
    FAILED = "failed"  # another status, a timeout or a network error
    REFUSED = "refused"  # the URL resolved to an address the policy forbids: nothing sent


def next_status(current: PaymentStatus, event: PaymentEvent) -> PaymentStatus | None:
    """The status after `event`, or None when the table does not allow it (ignore the event)."""
    return TRANSITIONS.get((current, event))
