"""Read side: payments as the API shows them, straight from SQL into plain dicts.

The hot reads (`getPayment`, `listPayments`) need no identity map, no change tracking and no
domain behaviour, so they skip the ORM (the CQRS "views" of Percival & Gregory, chapter 12):
one Core SELECT for a payment with its line items and status history, shaped as the `Payment`
schema; the response model validates and serialises the dict once. Writes keep going through
the repositories and the ORM.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, select

from payment_api.db.models import Payment, PaymentLineItem, StatusChange
from payment_api.db.unit_of_work import UnitOfWork
from payment_api.domain.payments import list_payments

PaymentDict = dict[str, Any]

P = Payment.__table__.c
LI = PaymentLineItem.__table__.c
SC = StatusChange.__table__.c
_PAYMENT_COLUMNS = [
    P.id, P.status, P.amount, P.currency, P.refunded_amount, P.user_id, P.customer_email,
    P.description, P.checkout_session_id, P.payment_intent_id, P.checkout_url,
    P.failure_reason, P.expires_at, P.created_at, P.updated_at,
]  # fmt: skip
_ITEM_COLUMNS = [LI.id, LI.product_id, LI.name, LI.quantity, LI.unit_amount]
_CHANGE_COLUMNS = [SC.id, SC.from_status, SC.to_status, SC.reason, SC.event_id, SC.at]
# One round trip: the payment LEFT JOIN both collections (rows = max(1, items) x max(1,
# changes): at most 100 items and a handful of changes). Built once with a bound parameter:
# the same statement object keeps its memoized cache key and compiled form (a fresh
# `.where()` per call cost 6% of the request in the profile, recomputing the key).
_ONE_PAYMENT = (
    select(
        *_PAYMENT_COLUMNS,
        *(c.label(f"li_{c.name}") for c in _ITEM_COLUMNS),
        *(c.label(f"sc_{c.name}") for c in _CHANGE_COLUMNS),
    )
    .select_from(
        Payment.__table__.outerjoin(PaymentLineItem.__table__, LI.payment_id == P.id).outerjoin(
            StatusChange.__table__, SC.payment_id == P.id
        )
    )
    .where(P.id == bindparam("payment_id"))
    .order_by(LI.position, SC.id)
)


# What the shopper's own landing pages (/checkout/success, /checkout/cancel) may show of a
# payment to whoever holds its gateway session id: no user, email, items or history.
_BY_SESSION = select(P.status, P.amount, P.currency, P.description, P.failure_reason).where(
    P.checkout_session_id == bindparam("session_id")
)


class _PaymentRow(Protocol):
    id: str
    status: str
    amount: int
    currency: str
    refunded_amount: int
    user_id: str | None
    customer_email: str | None
    description: str | None
    checkout_session_id: str | None
    payment_intent_id: str | None
    checkout_url: str | None
    failure_reason: str | None
    expires_at: Any
    created_at: Any
    updated_at: Any


def payment_dict(p: _PaymentRow, items: Iterable[Any], history: Iterable[Any]) -> PaymentDict:
    """The `Payment` schema's shape from a payment row (ORM object or Core row) and its
    children (objects with the columns as attributes)."""
    currency = p.currency
    return {
        "id": p.id,
        "status": p.status,
        "amount": {"amount": p.amount, "currency": currency},
        "refunded_amount": {"amount": p.refunded_amount, "currency": currency},
        "line_items": [
            {
                "product_id": li.product_id,
                "name": li.name,
                "quantity": li.quantity,
                "unit_amount": {"amount": li.unit_amount, "currency": currency},
            }
            for li in items
        ],
        "user_id": p.user_id,
        "customer_email": p.customer_email,
        "description": p.description,
        "gateway": {
            "checkout_session_id": p.checkout_session_id,
            "payment_intent_id": p.payment_intent_id,
            "checkout_url": p.checkout_url,
        },
        "failure_reason": p.failure_reason,
        "expires_at": p.expires_at,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
        "status_history": [
            {
                "from_status": h.from_status,
                "to_status": h.to_status,
                "reason": h.reason,
                "event_id": h.event_id,
                "at": h.at,
            }
            for h in history
        ],
    }


class _Child:
    """A line item or status change picked out of a joined row by its label prefix."""

    __slots__ = ("_prefix", "_row")

    def __init__(self, row: Any, prefix: str) -> None:
        self._row, self._prefix = row, prefix

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, self._prefix + name)


def payment(uow: UnitOfWork, payment_id: str) -> PaymentDict | None:
    """One payment with its line items and status history, or None."""
    with uow:
        rows = uow.session.execute(_ONE_PAYMENT, {"payment_id": payment_id}).all()
    if not rows:
        return None
    items: dict[int, _Child] = {}
    changes: dict[int, _Child] = {}
    for row in rows:  # the cross product repeats each child: keep the first, in order
        if row.li_id is not None and row.li_id not in items:
            items[row.li_id] = _Child(row, "li_")
        if row.sc_id is not None and row.sc_id not in changes:
            changes[row.sc_id] = _Child(row, "sc_")
    return payment_dict(rows[0], items.values(), changes.values())


def payment_page(
    uow: UnitOfWork,
    *,
    limit: int,
    cursor: str | None,
    status: str | None,
    user_id: str | None,
    created_gte: datetime | None,
    created_lt: datetime | None,
) -> tuple[list[PaymentDict], str | None]:
    """A page of payments (the filters and cursor of `list_payments`) and the next cursor."""
    with uow:
        rows, next_cursor = list_payments(
            uow,
            limit=limit,
            cursor=cursor,
            status=status,
            user_id=user_id,
            created_gte=created_gte,
            created_lt=created_lt,
        )
        return [payment_dict(r, r.line_items, r.history) for r in rows], next_cursor


def checkout_outcome(uow: UnitOfWork, session_id: str) -> dict[str, Any] | None:
    """The status, amount, currency, description and failure reason of the payment of a
    gateway checkout session, or None for a session id we do not know."""
    with uow:
        row = uow.session.execute(_BY_SESSION, {"session_id": session_id}).first()
    return dict(row._mapping) if row is not None else None
