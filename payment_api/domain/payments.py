"""Payment records: queries and the one place that moves a payment through the state machine."""

from __future__ import annotations

from datetime import datetime

from payment_api.db.models import Payment, utcnow
from payment_api.db.unit_of_work import UnitOfWork
from payment_api.domain.errors import NotFoundError
from payment_api.domain.pagination import decode_cursor, encode_cursor
from payment_api.domain.states import PaymentEvent, PaymentStatus, next_status


def apply_event(
    uow: UnitOfWork, payment: Payment, event: PaymentEvent, *, event_id: str | None = None
) -> bool:
    """Move `payment` if the table allows `event`; False (and no change) otherwise.

    The caller holds the payment row lock (`for_update=True`) inside its transaction.
    """
    target = next_status(PaymentStatus(payment.status), event)
    if target is None:
        return False
    previous = payment.status
    payment.status = target.value
    payment.updated_at = utcnow()
    uow.payments.record_change(payment, previous, event.value, event_id)
    return True


def get_payment(
    uow: UnitOfWork, payment_id: str, *, for_update: bool = False, owner: str | None = None
) -> Payment:
    """The payment; with `owner`, only if it belongs to that user (else the same 404)."""
    payment = uow.payments.get(payment_id, for_update=for_update)
    if payment is None or (owner is not None and payment.user_id != owner):
        raise NotFoundError(f"payment {payment_id} does not exist")
    return payment


def list_payments(
    uow: UnitOfWork,
    *,
    limit: int,
    cursor: str | None,
    status: str | None,
    user_id: str | None,
    created_gte: datetime | None,
    created_lt: datetime | None,
) -> tuple[list[Payment], str | None]:
    rows = uow.payments.page(
        limit=limit + 1,
        after=decode_cursor(cursor),
        status=status,
        user_id=user_id,
        created_gte=created_gte,
        created_lt=created_lt,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].created_at, rows[-1].id) if more and rows else None
