"""Repositories: the only place that knows SQL; the domain asks them in its own words."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session, joinedload

from payment_api.db.models import (
    IdempotencyKey,
    Payment,
    Product,
    Refund,
    StatusChange,
    WebhookEvent,
    utcnow,
)


class ProductRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, product: Product) -> None:
        self.session.add(product)
        self.session.flush()

    def get(self, product_id: str) -> Product | None:
        return self.session.get(Product, product_id)

    def get_many(self, ids: Sequence[str]) -> dict[str, Product]:
        rows = self.session.scalars(select(Product).where(Product.id.in_(set(ids))))
        return {p.id: p for p in rows}

    def page(
        self, *, limit: int, after: tuple[datetime, str] | None, active: bool | None
    ) -> list[Product]:
        query = select(Product)
        if active is not None:
            query = query.where(Product.active.is_(active))
        if after is not None:
            at, last_id = after
            query = query.where(
                or_(Product.created_at < at, and_(Product.created_at == at, Product.id < last_id))
            )
        query = query.order_by(Product.created_at.desc(), Product.id.desc()).limit(limit)
        return list(self.session.scalars(query))


class PaymentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, payment: Payment) -> None:
        self.session.add(payment)
        self.session.flush()

    def _locked(self, condition: ColumnElement[bool], for_update: bool) -> Payment | None:
        """Read one payment; with `for_update`, hold its lock until the transaction ends.

        PostgreSQL: SELECT ... FOR UPDATE. SQLite ignores FOR UPDATE, so a no-op UPDATE is
        issued first: it opens the write transaction and takes the database write lock, and
        the SELECT that follows reads the latest committed row (no lost update between two
        workers that read the same status and both write).
        """
        query = select(Payment).where(condition)
        if for_update:
            if self.session.get_bind().dialect.name == "sqlite":
                self.session.execute(
                    update(Payment)
                    .where(condition)
                    .values(status=Payment.status)
                    .execution_options(synchronize_session=False)
                )
            query = query.with_for_update().execution_options(populate_existing=True)
        return self.session.scalars(query).first()

    def get(self, payment_id: str, *, for_update: bool = False) -> Payment | None:
        """One payment with its line items and status history.

        Without `for_update` the three are read in ONE round trip (the payment LEFT JOINed to
        both collections; rows = max(1, items) x max(1, changes), at most 100 items and a
        handful of changes) instead of the relationships' default of three SELECTs (`selectin`).
        The locked read keeps `selectin`: PostgreSQL refuses FOR UPDATE on the nullable side
        of an outer join.
        """
        if for_update:
            return self._locked(Payment.id == payment_id, True)
        query = (
            select(Payment)
            .where(Payment.id == payment_id)
            .options(joinedload(Payment.line_items), joinedload(Payment.history))
        )
        return self.session.scalars(query).unique().one_or_none()

    def by_session_id(self, session_id: str, *, for_update: bool = False) -> Payment | None:
        return self._locked(Payment.checkout_session_id == session_id, for_update)

    def by_payment_intent(self, intent_id: str, *, for_update: bool = False) -> Payment | None:
        return self._locked(Payment.payment_intent_id == intent_id, for_update)

    def record_change(
        self, payment: Payment, from_status: str | None, reason: str, event_id: str | None
    ) -> None:
        self.session.add(
            StatusChange(
                payment_id=payment.id,
                from_status=from_status,
                to_status=payment.status,
                reason=reason,
                event_id=event_id,
                at=utcnow(),
            )
        )

    def page(
        self,
        *,
        limit: int,
        after: tuple[datetime, str] | None,
        status: str | None,
        user_id: str | None,
        created_gte: datetime | None,
        created_lt: datetime | None,
    ) -> list[Payment]:
        query = select(Payment)
        if status is not None:
            query = query.where(Payment.status == status)
        if user_id is not None:
            query = query.where(Payment.user_id == user_id)
        if created_gte is not None:
            query = query.where(Payment.created_at >= created_gte)
        if created_lt is not None:
            query = query.where(Payment.created_at < created_lt)
        if after is not None:
            at, last_id = after
            query = query.where(
                or_(Payment.created_at < at, and_(Payment.created_at == at, Payment.id < last_id))
            )
        query = query.order_by(Payment.created_at.desc(), Payment.id.desc()).limit(limit)
        return list(self.session.scalars(query))

    def stale_open(self, statuses: Sequence[str], older_than: datetime, limit: int) -> list[str]:
        query = (
            select(Payment.id)
            .where(Payment.status.in_(list(statuses)), Payment.updated_at < older_than)
            .where(Payment.checkout_session_id.is_not(None))
            .order_by(Payment.updated_at)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def without_session(self, older_than: datetime, limit: int) -> list[str]:
        """Pending payments that never got a gateway session (its call died or timed out)."""
        query = (
            select(Payment.id)
            .where(
                Payment.status == "pending",
                Payment.checkout_session_id.is_(None),
                Payment.created_at < older_than,
            )
            .order_by(Payment.created_at)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def has_payments_for_product(self, product_id: str) -> bool:
        from payment_api.db.models import PaymentLineItem

        count = self.session.scalar(
            select(func.count())
            .select_from(PaymentLineItem)
            .where(PaymentLineItem.product_id == product_id)
        )
        return bool(count)


class RefundRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, refund: Refund) -> None:
        self.session.add(refund)
        self.session.flush()

    def get(self, refund_id: str) -> Refund | None:
        return self.session.get(Refund, refund_id)

    def by_gateway_id(self, gateway_refund_id: str) -> Refund | None:
        return self.session.scalars(
            select(Refund).where(Refund.gateway_refund_id == gateway_refund_id)
        ).first()

    def page_for_payment(
        self, payment_id: str, *, limit: int, after: tuple[datetime, str] | None
    ) -> list[Refund]:
        """Oldest first, `limit` rows after the keyset position `after`."""
        query = select(Refund).where(Refund.payment_id == payment_id)
        if after is not None:
            at, last_id = after
            query = query.where(
                or_(Refund.created_at > at, and_(Refund.created_at == at, Refund.id > last_id))
            )
        return list(self.session.scalars(query.order_by(Refund.created_at, Refund.id).limit(limit)))

    def for_payment(self, payment_id: str) -> list[Refund]:
        return list(
            self.session.scalars(
                select(Refund)
                .where(Refund.payment_id == payment_id)
                .order_by(Refund.created_at, Refund.id)
            )
        )

    def stale_pending(self, older_than: datetime, limit: int) -> list[str]:
        """Refunds still pending, untouched since `older_than`, least recently checked first."""
        query = (
            select(Refund.id)
            .where(Refund.status == "pending", Refund.updated_at < older_than)
            .order_by(Refund.updated_at)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def reserved_amount(self, payment_id: str) -> int:
        """Refunded or in flight: what can no longer be refunded."""
        total = self.session.scalar(
            select(func.coalesce(func.sum(Refund.amount), 0)).where(
                Refund.payment_id == payment_id, Refund.status.in_(["pending", "succeeded"])
            )
        )
        return int(total or 0)


class IdempotencyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, scope: str, key: str) -> IdempotencyKey | None:
        return self.session.scalars(
            select(IdempotencyKey).where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
        ).first()

    def add(self, row: IdempotencyKey) -> None:
        self.session.add(row)
        self.session.flush()

    def complete(self, scope: str, key: str, status_code: int, response: dict[str, Any]) -> None:
        self.session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
            .values(status_code=status_code, response=response)
        )

    def touch_in_progress(self, row_id: int, seen: datetime, now: datetime) -> bool:
        """Compare-and-set of an in-progress key's timestamp: True for the one caller that won."""
        result = self.session.execute(
            update(IdempotencyKey)
            .where(
                IdempotencyKey.id == row_id,
                IdempotencyKey.created_at == seen,
                IdempotencyKey.status_code.is_(None),
            )
            .values(created_at=now)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1

    def in_progress_for(self, scope_prefix: str, resource_id: str) -> list[IdempotencyKey]:
        """Keys still in progress, in a scope starting with `scope_prefix`, whose request was
        creating `resource_id`."""
        rows = self.session.scalars(
            select(IdempotencyKey).where(
                IdempotencyKey.scope.startswith(scope_prefix, autoescape=True),
                IdempotencyKey.status_code.is_(None),
            )
        )
        return [r for r in rows if (r.response or {}).get("resource_id") == resource_id]

    def remove(self, scope: str, key: str) -> None:
        self.session.execute(
            delete(IdempotencyKey).where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
        )

    def purge_older_than(self, moment: datetime) -> int:
        result = self.session.execute(
            delete(IdempotencyKey).where(IdempotencyKey.created_at < moment)
        )
        return int(getattr(result, "rowcount", 0) or 0)


class InboxRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, event: WebhookEvent) -> None:
        self.session.add(event)
        self.session.flush()

    def get(self, event_id: str) -> WebhookEvent | None:
        return self.session.get(WebhookEvent, event_id)

    def claim(self, event_id: str, *, force: bool) -> bool:
        """Take the row's write lock and count an attempt; False when already processed.

        The UPDATE is the first write of the transaction, so on PostgreSQL it locks the row and
        on SQLite it takes the database write lock: two workers never process one event twice.
        """
        query = update(WebhookEvent).where(WebhookEvent.id == event_id)
        if not force:
            query = query.where(WebhookEvent.state != "processed")
        result = self.session.execute(query.values(attempts=WebhookEvent.attempts + 1))
        return bool(getattr(result, "rowcount", 0))

    def failed_ids(self, limit: int, max_attempts: int) -> list[str]:
        return list(
            self.session.scalars(
                select(WebhookEvent.id)
                .where(
                    WebhookEvent.state.in_(["failed", "received"]),
                    WebhookEvent.attempts < max_attempts,
                )
                .order_by(WebhookEvent.received_at)
                .limit(limit)
            )
        )
