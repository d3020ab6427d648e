"""Repositories of the write side (the ports in payment_api/domain/ports.py) over the ORM.

They turn drafts into rows, and a unique-key clash into the domain's DuplicateError.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from payment_api.db.models import (
    IdempotencyKey,
    Payment,
    PaymentLineItem,
    Product,
    Refund,
    StatusChange,
    WebhookEvent,
)
from payment_api.domain import model
from payment_api.domain.errors import DuplicateError
from payment_api.domain.model import utcnow
from payment_api.domain.states import InboxState, PaymentStatus, RefundStatus
from service_kit.leasing import lease


def _flush_new(session: Session, row: object) -> None:
    """Insert `row` now, so that a unique clash is raised here, as a DuplicateError."""
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        raise DuplicateError(str(exc.orig)) from exc


class ProductRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, product: model.NewProduct) -> Product:
        row = Product(
            id=product.id,
            name=product.name,
            description=product.description,
            unit_amount=product.unit_amount,
            currency=product.currency,
            active=product.active,
            created_at=product.created_at,
            updated_at=product.created_at,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, product_id: str) -> Product | None:
        return self.session.get(Product, product_id)

    def get_many(self, ids: Sequence[str]) -> dict[str, model.Product]:
        rows = self.session.scalars(select(Product).where(Product.id.in_(set(ids))))
        return {p.id: p for p in rows}


class PaymentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, payment: model.NewPayment) -> Payment:
        row = Payment(
            id=payment.id,
            status=payment.status,
            amount=payment.amount,
            currency=payment.currency,
            refunded_amount=0,
            user_id=payment.user_id,
            customer_email=payment.customer_email,
            description=payment.description,
            success_url=payment.success_url,
            cancel_url=payment.cancel_url,
            created_at=payment.created_at,
            updated_at=payment.created_at,
            line_items=[
                PaymentLineItem(
                    position=li.position,
                    product_id=li.product_id,
                    name=li.name,
                    quantity=li.quantity,
                    unit_amount=li.unit_amount,
                )
                for li in payment.line_items
            ],
        )
        self.session.add(row)
        self.session.flush()
        return row

    def _locked(self, condition: ColumnElement[bool], for_update: bool) -> Payment | None:
        """Read one payment; with `for_update`, hold its lock until the transaction ends.

        SQLite ignores FOR UPDATE: a no-op UPDATE first takes the database write lock, so the
        SELECT after it reads the latest committed row (no lost update between two workers).
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
        """One payment with its line items and status history. Unlocked: one round trip (a
        LEFT JOIN of both). Locked: `selectin`, as PostgreSQL refuses FOR UPDATE on the
        nullable side of an outer join."""
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
        self,
        payment: model.Payment,
        from_status: PaymentStatus | None,
        reason: str,
        event_id: str | None,
    ) -> None:
        # Appended to the loaded collection (selectin: loaded with the row), so the payment's
        # history is current in this session without a query (the outbox renders it).
        assert isinstance(payment, Payment)
        payment.history.append(
            StatusChange(
                payment_id=payment.id,
                from_status=from_status,
                to_status=payment.status,
                reason=reason,
                event_id=event_id,
                at=utcnow(),
            )
        )

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
        query = (
            select(Payment.id)
            .where(
                Payment.status == PaymentStatus.PENDING,
                Payment.checkout_session_id.is_(None),
                Payment.created_at < older_than,
            )
            .order_by(Payment.created_at)
            .limit(limit)
        )
        return list(self.session.scalars(query))


class RefundRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, refund: model.NewRefund) -> Refund:
        row = Refund(
            id=refund.id,
            payment_id=refund.payment_id,
            amount=refund.amount,
            currency=refund.currency,
            status=refund.status,
            reason=refund.reason,
            gateway_refund_id=refund.gateway_refund_id,
            counted=False,
            created_at=refund.created_at,
            updated_at=refund.created_at,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, refund_id: str) -> Refund | None:
        return self.session.get(Refund, refund_id)

    def by_gateway_id(self, gateway_refund_id: str) -> Refund | None:
        return self.session.scalars(
            select(Refund).where(Refund.gateway_refund_id == gateway_refund_id)
        ).first()

    def stale_pending(self, older_than: datetime, limit: int) -> list[str]:
        """Refunds still pending, untouched since `older_than`, least recently checked first."""
        query = (
            select(Refund.id)
            .where(Refund.status == RefundStatus.PENDING, Refund.updated_at < older_than)
            .order_by(Refund.updated_at)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def reserved_amount(self, payment_id: str) -> int:
        total = self.session.scalar(
            select(func.coalesce(func.sum(Refund.amount), 0)).where(
                Refund.payment_id == payment_id,
                Refund.status.in_([RefundStatus.PENDING, RefundStatus.SUCCEEDED]),
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

    def reserve(
        self, scope: str, key: str, request_hash: str, at: datetime, resource_id: str
    ) -> None:
        # While in progress, `response` holds the resource being created: a retry after the
        # process died resumes it.
        row = IdempotencyKey(
            scope=scope,
            key=key,
            request_hash=request_hash,
            created_at=at,
            response={"resource_id": resource_id},
        )
        _flush_new(self.session, row)

    def complete(self, scope: str, key: str, status_code: int, response: dict[str, Any]) -> None:
        self.session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
            .values(status_code=status_code, response=response)
        )

    def touch_in_progress(self, row_id: int, seen: datetime, now: datetime) -> bool:
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

    def in_progress_for(self, scope_prefix: str, resource_id: str) -> list[model.IdempotencyRecord]:
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

    # The acknowledgement's two statements, built once on the table and run on the session's
    # connection: Core, not the ORM's statement path (the hottest write; bench/RESULTS.md).
    _TABLE = cast(Table, WebhookEvent.__table__)
    _STATE_OF = select(_TABLE.c.state).where(_TABLE.c.id == bindparam("event_id"))
    _ADD = insert(_TABLE)

    def add(self, event: model.NewInboxEvent) -> None:
        row = {
            "id": event.id,
            "type": event.type,
            "payload": event.payload,
            "state": event.state,
            "attempts": 0,
            "received_at": event.received_at,
        }
        try:
            self.session.connection().execute(self._ADD, row)
        except IntegrityError as exc:
            raise DuplicateError(str(exc.orig)) from exc

    def get(self, event_id: str) -> WebhookEvent | None:
        return self.session.get(WebhookEvent, event_id)

    def state_of(self, event_id: str) -> InboxState | None:
        found = self.session.connection().execute(self._STATE_OF, {"event_id": event_id})
        state: InboxState | None = found.scalar()
        return state

    def claim(self, event_id: str, *, force: bool) -> bool:
        """The UPDATE is the transaction's first write: on PostgreSQL it locks the row, on
        SQLite it takes the database write lock; two workers never process one event twice."""
        query = update(WebhookEvent).where(WebhookEvent.id == event_id)
        if not force:
            query = query.where(WebhookEvent.state != InboxState.PROCESSED)
        result = self.session.execute(query.values(attempts=WebhookEvent.attempts + 1))
        return bool(getattr(result, "rowcount", 0))

    def claim_received(self, now: datetime, lease_until: datetime, limit: int) -> list[str]:
        due = (
            select(WebhookEvent.id)
            .where(
                WebhookEvent.state == InboxState.RECEIVED,
                (WebhookEvent.lease_until.is_(None)) | (WebhookEvent.lease_until < now),
            )
            .order_by(WebhookEvent.received_at)
            .limit(limit)
        )
        claimed = lease(self.session, WebhookEvent, due, lease_until)
        if len(claimed) < 2:
            return claimed
        # RETURNING keeps no order: processed oldest first, as they arrived.
        return list(
            self.session.scalars(
                select(WebhookEvent.id)
                .where(WebhookEvent.id.in_(claimed))
                .order_by(WebhookEvent.received_at, WebhookEvent.id)
            )
        )

    def failed_ids(self, limit: int, max_attempts: int, received_before: datetime) -> list[str]:
        left = (WebhookEvent.state == InboxState.FAILED) | (
            (WebhookEvent.state == InboxState.RECEIVED)
            & (WebhookEvent.received_at < received_before)
        )
        return list(
            self.session.scalars(
                select(WebhookEvent.id)
                .where(left, WebhookEvent.attempts < max_attempts)
                .order_by(WebhookEvent.received_at)
                .limit(limit)
            )
        )
