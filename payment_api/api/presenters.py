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


def payment(row: models.Payment) -> schemas.Payment:
    return schemas.Payment(
        id=row.id,
        status=row.status,
        amount=money(row.amount, row.currency),
        refunded_amount=money(row.refunded_amount, row.currency),
        line_items=[
            schemas.LineItem(
                product_id=li.product_id,
                name=li.name,
                quantity=li.quantity,
                unit_amount=money(li.unit_amount, row.currency),
            )
            for li in row.line_items
        ],
        user_id=row.user_id,
        customer_email=row.customer_email,
        description=row.description,
        gateway=schemas.GatewayRefs(
            checkout_session_id=row.checkout_session_id,
            payment_intent_id=row.payment_intent_id,
            checkout_url=row.checkout_url,
        ),
        failure_reason=row.failure_reason,
        expires_at=row.expires_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        status_history=[
            schemas.StatusChange(
                from_status=h.from_status,
                to_status=h.to_status,
                reason=h.reason,
                event_id=h.event_id,
                at=h.at,
            )
            for h in row.history
        ],
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
