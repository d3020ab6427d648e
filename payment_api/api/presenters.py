"""ORM rows -> response models (one function per schema)."""

from __future__ import annotations

from payment_api.api import schemas
from payment_api.db import models


def money(amount: int, currency: str) -> schemas.Money:
    return schemas.Money(amount=amount, currency=currency)


def product(row: models.Product) -> schemas.Product:
    return schemas.Product(
        id=row.id,
        name=row.name,
        description=row.description,
        price=money(row.unit_amount, row.currency),
        active=row.active,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def refund(row: models.Refund) -> schemas.Refund:
    return schemas.Refund(
        id=row.id,
        payment_id=row.payment_id,
        amount=money(row.amount, row.currency),
        status=schemas.RefundStatus(row.status),
        reason=schemas.RefundReason(row.reason) if row.reason else None,
        gateway_refund_id=row.gateway_refund_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def inbox_event(row: models.WebhookEvent) -> schemas.WebhookEventRecord:
    return schemas.WebhookEventRecord(
        id=row.id,
        type=row.type,
        state=schemas.InboxState(row.state),
        outcome=row.outcome,
        error=row.error,
        attempts=row.attempts,
        received_at=row.received_at,
        processed_at=row.processed_at,
    )
