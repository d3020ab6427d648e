"""What the domain works on: the stored records as protocols, and the drafts it creates.

The records are the ORM rows of `payment_api.db.models`, seen through these protocols: the
domain reads and changes the attributes listed here and nothing else (plain attributes are the
ones it may change, properties the ones it only reads). It never constructs a row; it hands a
`New*` draft to a repository, which returns the stored record.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from payment_api.domain.states import (
    AttemptOutcome,
    DeliveryState,
    EndpointStatus,
    InboxState,
    PaymentStatus,
    RefundStatus,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


class Product(Protocol):
    @property
    def id(self) -> str: ...

    name: str
    description: str | None
    unit_amount: int
    currency: str
    active: bool

    @property
    def created_at(self) -> datetime: ...

    updated_at: datetime


class LineItem(Protocol):
    @property
    def product_id(self) -> str | None: ...

    @property
    def name(self) -> str: ...

    @property
    def quantity(self) -> int: ...

    @property
    def unit_amount(self) -> int: ...


class Payment(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def amount(self) -> int: ...

    @property
    def currency(self) -> str: ...

    @property
    def user_id(self) -> str | None: ...

    @property
    def customer_email(self) -> str | None: ...

    @property
    def description(self) -> str | None: ...

    @property
    def success_url(self) -> str: ...

    @property
    def cancel_url(self) -> str: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def line_items(self) -> Sequence[LineItem]: ...

    status: PaymentStatus
    refunded_amount: int
    checkout_session_id: str | None
    checkout_url: str | None
    payment_intent_id: str | None
    failure_reason: str | None
    expires_at: datetime | None
    updated_at: datetime


class Refund(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def payment_id(self) -> str: ...

    @property
    def amount(self) -> int: ...

    @property
    def currency(self) -> str: ...

    @property
    def reason(self) -> str | None: ...

    @property
    def created_at(self) -> datetime: ...

    status: RefundStatus
    gateway_refund_id: str | None
    counted: bool  # added to the payment's refunded_amount (exactly once)
    updated_at: datetime


class IdempotencyRecord(Protocol):
    """One (scope, key): the request's body hash and, once done, the answer to repeat. While
    in progress, `response` holds only the id of the resource being created."""

    @property
    def id(self) -> int: ...

    @property
    def scope(self) -> str: ...

    @property
    def key(self) -> str: ...

    @property
    def request_hash(self) -> str: ...

    @property
    def status_code(self) -> int | None: ...  # None: in progress

    @property
    def response(self) -> dict[str, Any] | None: ...

    @property
    def created_at(self) -> datetime: ...


class InboxEvent(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def type(self) -> str: ...

    @property
    def payload(self) -> str: ...

    @property
    def attempts(self) -> int: ...

    @property
    def received_at(self) -> datetime: ...

    state: InboxState
    outcome: str | None
    error: str | None
    processed_at: datetime | None


class WebhookEndpoint(Protocol):
    """A merchant's URL that receives the events it subscribed to, signed with `secret` (and,
    until `previous_secret_expires_at`, with the secret it replaced)."""

    @property
    def id(self) -> str: ...

    @property
    def created_at(self) -> datetime: ...

    url: str
    description: str | None
    event_types: list[str]  # EventType values, or ["*"] for every type
    status: EndpointStatus
    disabled_reason: str | None
    failing_since: datetime | None  # first failure since the last success
    secret: str
    previous_secret: str | None
    previous_secret_expires_at: datetime | None
    updated_at: datetime


class Delivery(Protocol):
    """One event to one endpoint: created with the event, retried until delivered."""

    @property
    def id(self) -> str: ...

    @property
    def event_id(self) -> str: ...

    @property
    def endpoint_id(self) -> str: ...

    @property
    def created_at(self) -> datetime: ...

    state: DeliveryState
    attempts: int
    window_started_at: datetime  # retries go on until RetrySchedule.window after this
    next_attempt_at: datetime | None
    lease_until: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None


@dataclass(frozen=True)
class NewProduct:
    id: str
    name: str
    description: str | None
    unit_amount: int
    currency: str
    active: bool
    created_at: datetime


@dataclass(frozen=True)
class NewLineItem:
    position: int
    product_id: str | None
    name: str
    quantity: int
    unit_amount: int


@dataclass(frozen=True)
class NewPayment:
    id: str
    amount: int
    currency: str
    user_id: str | None
    customer_email: str | None
    description: str | None
    success_url: str
    cancel_url: str
    created_at: datetime
    line_items: list[NewLineItem] = field(default_factory=list)
    status: PaymentStatus = PaymentStatus.PENDING


@dataclass(frozen=True)
class NewRefund:
    id: str
    payment_id: str
    amount: int
    currency: str
    created_at: datetime
    reason: str | None = None
    gateway_refund_id: str | None = None
    status: RefundStatus = RefundStatus.PENDING


@dataclass(frozen=True)
class NewInboxEvent:
    id: str
    type: str
    payload: str
    received_at: datetime
    state: InboxState = InboxState.RECEIVED


@dataclass(frozen=True)
class NewWebhookEndpoint:
    id: str
    url: str
    description: str | None
    event_types: list[str]
    secret: str
    created_at: datetime
    status: EndpointStatus = EndpointStatus.ENABLED


@dataclass(frozen=True)
class NewDeliveryAttempt:
    delivery_id: str
    endpoint_id: str
    event_id: str
    number: int
    attempted_at: datetime
    outcome: AttemptOutcome
    status_code: int | None
    latency_ms: int
    error: str | None
    response_excerpt: str | None
