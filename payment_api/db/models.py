"""Tables of the payment service; every name starts with `pay_` so a shared database is safe."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from payment_api.domain.model import new_id, utcnow
from payment_api.domain.states import (
    AttemptOutcome,
    DeliveryState,
    EndpointStatus,
    InboxState,
    PaymentStatus,
    RefundStatus,
)

E = TypeVar("E", bound=StrEnum)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on SQLite (which drops tzinfo) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class EnumString(TypeDecorator[E], Generic[E]):
    """A status enum stored as its plain string value in a VARCHAR: the same column and rows
    as before the enum (no migration), and never a value outside the enum."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: E | str | None, dialect: Any) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: str | None, dialect: Any) -> E | None:
        return None if value is None else self.enum(value)


class Base(DeclarativeBase):
    pass


class Product(Base):
    __tablename__ = "pay_products"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    unit_amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (CheckConstraint("unit_amount >= 0", name="ck_pay_products_amount"),)


class Payment(Base):
    __tablename__ = "pay_payments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    status: Mapped[PaymentStatus] = mapped_column(EnumString(PaymentStatus, 32), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    user_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    customer_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    description: Mapped[str | None] = mapped_column(String(500), nullable=True)
    checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    checkout_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), index=True)
    success_url: Mapped[str] = mapped_column(Text)
    cancel_url: Mapped[str] = mapped_column(Text)
    failure_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    line_items: Mapped[list[PaymentLineItem]] = relationship(
        order_by="PaymentLineItem.position", cascade="all, delete-orphan", lazy="selectin"
    )
    history: Mapped[list[StatusChange]] = relationship(
        order_by="StatusChange.id", cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (
        CheckConstraint("refunded_amount <= amount", name="ck_pay_payments_refund_le_amount"),
        CheckConstraint("refunded_amount >= 0", name="ck_pay_payments_refund_ge_0"),
        Index("ix_pay_payments_created_id", "created_at", "id"),
    )


class PaymentLineItem(Base):
    __tablename__ = "pay_line_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("pay_payments.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[str | None] = mapped_column(ForeignKey("pay_products.id"), nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_amount: Mapped[int] = mapped_column(BigInteger)


class StatusChange(Base):
    __tablename__ = "pay_status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("pay_payments.id"), index=True)
    from_status: Mapped[PaymentStatus | None] = mapped_column(
        EnumString(PaymentStatus, 32), nullable=True
    )
    to_status: Mapped[PaymentStatus] = mapped_column(EnumString(PaymentStatus, 32))
    reason: Mapped[str] = mapped_column(String(100))
    event_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Refund(Base):
    __tablename__ = "pay_refunds"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    payment_id: Mapped[str] = mapped_column(ForeignKey("pay_payments.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[RefundStatus] = mapped_column(EnumString(RefundStatus, 32))
    reason: Mapped[str | None] = mapped_column(String(50), nullable=True)
    gateway_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    counted: Mapped[bool] = mapped_column(default=False)  # added to payment.refunded_amount
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (CheckConstraint("amount > 0", name="ck_pay_refunds_amount"),)


class IdempotencyKey(Base):
    """One row per (scope, key): the body hash and, once done, the answer to repeat."""

    __tablename__ = "pay_idempotency_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None = in progress
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    __table_args__ = (UniqueConstraint("scope", "key", name="uq_pay_idempotency_scope_key"),)


class WebhookEvent(Base):
    """The inbox: every verified gateway event once, unique on its id."""

    __tablename__ = "pay_webhook_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # Stripe's evt_ id
    type: Mapped[str] = mapped_column(String(100), index=True)
    payload: Mapped[str] = mapped_column(Text)  # the raw verified body
    state: Mapped[InboxState] = mapped_column(EnumString(InboxState, 16), index=True)
    outcome: Mapped[str | None] = mapped_column(String(200), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # worker's


class OutboundEvent(Base):
    """The outbox: every event we emit, written in the transaction of the change it reports.

    `payload` is the whole envelope as receivers get it (the resource as the API showed it at
    that moment), so a redelivery days later sends the same bytes under the same id.
    """

    __tablename__ = "pay_events"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    type: Mapped[str] = mapped_column(String(40), index=True)
    object_type: Mapped[str] = mapped_column(String(16))
    object_id: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_pay_events_created_id", "created_at", "id"),)


class WebhookEndpoint(Base):
    """A merchant's URL for outbound events. The secret is kept as is: signing needs it."""

    __tablename__ = "pay_webhook_endpoints"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    description: Mapped[str | None] = mapped_column(String(500), nullable=True)
    event_types: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[EndpointStatus] = mapped_column(EnumString(EndpointStatus, 16))
    disabled_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100), nullable=True)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_pay_webhook_endpoints_created_id", "created_at", "id"),)


class Delivery(Base):
    """One event to one endpoint; the worker's queue is this table (see domain/deliveries)."""

    __tablename__ = "pay_deliveries"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    event_id: Mapped[str] = mapped_column(ForeignKey("pay_events.id"))
    endpoint_id: Mapped[str] = mapped_column(
        ForeignKey("pay_webhook_endpoints.id", ondelete="CASCADE")
    )
    state: Mapped[DeliveryState] = mapped_column(EnumString(DeliveryState, 16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id", name="uq_pay_deliveries_endpoint_event"),
        Index("ix_pay_deliveries_due", "state", "next_attempt_at"),
        Index("ix_pay_deliveries_endpoint_created", "endpoint_id", "created_at", "id"),
    )


class DeliveryAttempt(Base):
    """The log: every POST, with how the receiver answered (a bounded excerpt)."""

    __tablename__ = "pay_delivery_attempts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("pay_deliveries.id", ondelete="CASCADE"), index=True
    )
    endpoint_id: Mapped[str] = mapped_column(
        ForeignKey("pay_webhook_endpoints.id", ondelete="CASCADE")
    )
    event_id: Mapped[str] = mapped_column(String(40))
    number: Mapped[int] = mapped_column(Integer)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[AttemptOutcome] = mapped_column(EnumString(AttemptOutcome, 16))
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    latency_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    response_excerpt: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        Index("ix_pay_delivery_attempts_endpoint_at", "endpoint_id", "attempted_at", "id"),
    )


class Lease(Base):
    """A named job one worker at a time may run (the scheduled reconcile), until `until`."""

    __tablename__ = "pay_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str | None] = mapped_column(String(100), nullable=True)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AuditEventRow(Base):
    """One audited admin action (domain/audit.py). Append-only: triggers refuse UPDATE and
    DELETE (migration f3b8c1d2e4a5)."""

    __tablename__ = "pay_audit_events"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    id: Mapped[str] = mapped_column(String(36), unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(64), index=True)
    actor_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    # `user` (actor_id a user id) or `api_client` (actor_id a client id); migration a9c4e2f7b1d3
    actor_type: Mapped[str] = mapped_column(String(16), server_default="user")
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    target_id: Mapped[str] = mapped_column(String(255), index=True)
    details: Mapped[dict[str, str]] = mapped_column(JSON)
