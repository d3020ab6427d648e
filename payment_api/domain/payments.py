"""The one place that moves a payment through the state machine, and the write side's lookup."""

from __future__ import annotations

from payment_api.domain.errors import NotFoundError
from payment_api.domain.events import payment_event
from payment_api.domain.model import Payment, utcnow
from payment_api.domain.ports import UnitOfWork
from payment_api.domain.states import PaymentEvent, PaymentStatus, next_status


def apply_event(
    uow: UnitOfWork, payment: Payment, event: PaymentEvent, *, event_id: str | None = None
) -> bool:
    """Move `payment` if the table allows `event`; False (and no change) otherwise.

    The caller holds the payment row lock (`for_update=True`) inside its transaction; the
    outbound event of the move is written in that same transaction.
    """
    target = next_status(PaymentStatus(payment.status), event)
    if target is None:
        return False
    previous = payment.status
    payment.status = target
    payment.updated_at = utcnow()
    uow.payments.record_change(payment, previous, event.value, event_id)
    emitted = payment_event(target)
    if emitted is not None:
        uow.outbox.emit(emitted, payment)
    return True


def get_payment(
    uow: UnitOfWork, payment_id: str, *, for_update: bool = False, owner: str | None = None
) -> Payment:
    """The payment; with `owner`, only if it belongs to that user (else the same 404)."""
    payment = uow.payments.get(payment_id, for_update=for_update)
    if payment is None or (owner is not None and payment.user_id != owner):
        raise NotFoundError(f"payment {payment_id} does not exist")
    return payment
