"""What the payment domain needs from outside, in its own words.

Adapters implement these protocols: `payment_api.db` the unit of work and its repositories,
`payment_api.gateways` the payment gateway (Stripe), its webhook events and the user
directory (the user service). The domain imports this module, never an adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Literal, Protocol, Self

from payment_api.domain.audit import AuditRepository
from payment_api.domain.events import EventType
from payment_api.domain.model import (
    Delivery,
    IdempotencyRecord,
    InboxEvent,
    NewDeliveryAttempt,
    NewInboxEvent,
    NewPayment,
    NewProduct,
    NewRefund,
    NewWebhookEndpoint,
    Payment,
    Product,
    Refund,
    WebhookEndpoint,
)
from payment_api.domain.states import InboxState, PaymentEvent, PaymentStatus, RefundStatus

# --- storage ---------------------------------------------------------------------------------


class ProductRepository(Protocol):
    def add(self, product: NewProduct) -> Product: ...

    def get(self, product_id: str) -> Product | None: ...

    def get_many(self, ids: Sequence[str]) -> dict[str, Product]: ...


class PaymentRepository(Protocol):
    def add(self, payment: NewPayment) -> Payment: ...

    def get(self, payment_id: str, *, for_update: bool = False) -> Payment | None:
        """With `for_update`, the row stays locked until the transaction ends."""
        ...

    def by_session_id(self, session_id: str, *, for_update: bool = False) -> Payment | None: ...

    def by_payment_intent(self, intent_id: str, *, for_update: bool = False) -> Payment | None: ...

    def record_change(
        self,
        payment: Payment,
        from_status: PaymentStatus | None,
        reason: str,
        event_id: str | None,
    ) -> None:
        """Append a status history entry (to the payment's current status)."""
        ...

    def stale_open(self, statuses: Sequence[str], older_than: datetime, limit: int) -> list[str]:
        """Ids of payments with a session in `statuses`, untouched since `older_than`."""
        ...

    def without_session(self, older_than: datetime, limit: int) -> list[str]:
        """Ids of pending payments created before `older_than` that never got a session."""
        ...


class RefundRepository(Protocol):
    def add(self, refund: NewRefund) -> Refund: ...

    def get(self, refund_id: str) -> Refund | None: ...

    def by_gateway_id(self, gateway_refund_id: str) -> Refund | None: ...

    def stale_pending(self, older_than: datetime, limit: int) -> list[str]: ...

    def reserved_amount(self, payment_id: str) -> int:
        """Refunded or in flight: what can no longer be refunded."""
        ...


class IdempotencyRepository(Protocol):
    def get(self, scope: str, key: str) -> IdempotencyRecord | None: ...

    def reserve(
        self, scope: str, key: str, request_hash: str, at: datetime, resource_id: str
    ) -> None:
        """Insert the key, in progress; DuplicateError when (scope, key) exists already."""
        ...

    def complete(
        self, scope: str, key: str, status_code: int, response: dict[str, Any]
    ) -> None: ...

    def touch_in_progress(self, row_id: int, seen: datetime, now: datetime) -> bool:
        """Compare-and-set of an in-progress key's timestamp: True for the one caller that won."""
        ...

    def in_progress_for(self, scope_prefix: str, resource_id: str) -> list[IdempotencyRecord]: ...

    def remove(self, scope: str, key: str) -> None: ...

    def purge_older_than(self, moment: datetime) -> int: ...


class InboxRepository(Protocol):
    def add(self, event: NewInboxEvent) -> None:
        """DuplicateError when an event with this id is stored already."""
        ...

    def get(self, event_id: str) -> InboxEvent | None: ...

    def state_of(self, event_id: str) -> InboxState | None:
        """The stored event's state (None: not stored), without reading the event."""
        ...

    def claim(self, event_id: str, *, force: bool) -> bool:
        """Lock the event and count an attempt; False when it is processed (and not `force`)."""
        ...

    def claim_received(self, now: datetime, lease_until: datetime, limit: int) -> list[str]:
        """Lease up to `limit` events still `received`, oldest first; ids leased by another
        worker (until a later time) are skipped."""
        ...

    def failed_ids(self, limit: int, max_attempts: int, received_before: datetime) -> list[str]:
        """Failed events, and events still `received` since before `received_before` (the
        workers take the young ones)."""
        ...


class Outbox(Protocol):
    def emit(self, event_type: EventType, subject: Payment | Refund) -> None:
        """Write the event with `subject` as the API shows it now, and one pending delivery
        to each enabled endpoint subscribed to its type, in the caller's transaction: they
        are kept only if that transaction commits."""

    def exists(self, event_id: str) -> bool: ...


class EndpointRepository(Protocol):
    def add(self, endpoint: NewWebhookEndpoint) -> WebhookEndpoint:
        """DuplicateError when an endpoint with this URL exists already."""
        ...

    def get(self, endpoint_id: str, *, for_update: bool = False) -> WebhookEndpoint | None: ...

    def change_url(self, endpoint: WebhookEndpoint, url: str) -> None:
        """DuplicateError when another endpoint has this URL."""
        ...

    def delete(self, endpoint: WebhookEndpoint) -> None:
        """The endpoint, its deliveries and their attempts."""
        ...


@dataclass(frozen=True)
class DueDelivery:
    """What one attempt needs, read in the claim's transaction."""

    id: str
    event_id: str
    endpoint_id: str
    url: str
    payload: str
    secrets: tuple[str, ...]
    attempts: int  # made before this one


class DeliveryRepository(Protocol):
    def get(self, delivery_id: str, *, for_update: bool = False) -> Delivery | None: ...

    def of(
        self, endpoint_id: str, event_id: str, *, for_update: bool = False
    ) -> Delivery | None: ...

    def add_for(self, endpoint_id: str, event_id: str, at: datetime) -> Delivery:
        """A new pending delivery of an event emitted before the endpoint asked for it."""
        ...

    def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[DueDelivery]:
        """Lease up to `limit` pending deliveries due by `now` to enabled endpoints, oldest
        due first; a delivery leased by another worker (until a later time) is skipped."""
        ...

    def release(self, delivery_ids: Sequence[str]) -> None:
        """Give leased deliveries back unattempted (a worker stopping)."""
        ...

    def record_attempt(self, attempt: NewDeliveryAttempt) -> None: ...

    def pending_count(self) -> int: ...

    def oldest_due(self, now: datetime) -> datetime | None:
        """When the longest-waiting due delivery became due (queue age)."""
        ...


class UnitOfWork(Protocol):
    """One transaction: `with uow:` begins it, `commit()` keeps it, leaving the block without
    committing rolls it back. Records read inside stay readable after the block."""

    @property
    def products(self) -> ProductRepository: ...

    @property
    def payments(self) -> PaymentRepository: ...

    @property
    def refunds(self) -> RefundRepository: ...

    @property
    def idempotency(self) -> IdempotencyRepository: ...

    @property
    def inbox(self) -> InboxRepository: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def endpoints(self) -> EndpointRepository: ...

    @property
    def deliveries(self) -> DeliveryRepository: ...

    @property
    def audit(self) -> AuditRepository: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]


# --- payment gateway ---------------------------------------------------------------------------

GatewayFailure = Literal["bad_gateway", "unavailable", "timeout", "conflict", "rejected"]


class GatewayError(Exception):
    """The gateway failed or refused; `kind` decides the answer (see errors.gateway_failure)."""

    def __init__(self, kind: GatewayFailure, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class SessionLine:
    name: str
    unit_amount: int
    quantity: int


@dataclass(frozen=True)
class SessionRequest:
    payment_id: str
    currency: str
    lines: list[SessionLine]
    success_url: str
    cancel_url: str
    expires_at: datetime
    customer_email: str | None
    idempotency_key: str


@dataclass(frozen=True)
class SessionInfo:
    """A hosted checkout session as the gateway has it now."""

    id: str
    url: str | None
    expires_at: datetime | None
    payment_intent_id: str | None
    change: PaymentEvent | None  # what the session says happened; None while it is open
    payment_error: str | None = None  # why the last payment attempt failed, when known


@dataclass(frozen=True)
class RefundInfo:
    id: str  # the gateway's
    status: RefundStatus
    amount: int
    payment_intent_id: str | None = None
    refund_id: str | None = None  # ours, when the gateway refund was made by this service


class PaymentGateway(Protocol):
    def create_session(self, request: SessionRequest) -> SessionInfo: ...

    def get_session(self, session_id: str) -> SessionInfo: ...

    def expire_session(self, session_id: str, *, idempotency_key: str) -> SessionInfo:
        """Close an open session; `rejected` when it is not open any more. Its expiry event
        names `idempotency_key` (`SessionChanged.request_key`)."""
        ...

    def create_refund(
        self, *, payment_intent_id: str, amount: int, refund_id: str, idempotency_key: str
    ) -> RefundInfo: ...

    def get_refund(self, gateway_refund_id: str) -> RefundInfo: ...

    def find_refund(self, *, payment_intent_id: str, refund_id: str) -> RefundInfo | None:
        """The gateway refund made for our `refund_id`, or None: whether a lost call made it."""
        ...

    def ping(self) -> None: ...


# --- gateway events (webhooks), as facts ---------------------------------------------------------


class BadSignatureError(Exception):
    """Missing, forged or stale signature, or a signed body that is not an event."""


@dataclass(frozen=True)
class SessionChanged:
    """A checkout session event. `change` is None for a session event we do not act on."""

    session_id: str | None
    payment_id: str | None  # ours, from the session's metadata
    payment_intent_id: str | None
    change: PaymentEvent | None
    intent_expanded: bool = False  # the event carries the payment intent, with its error
    failure_reason: str | None = None  # from the expanded payment intent
    # The Idempotency-Key of the API call that caused the event (ours, for a session we closed).
    request_key: str | None = None


@dataclass(frozen=True)
class PaymentAttemptFailed:
    """One payment attempt failed (a declined card); the session's own events decide more."""

    payment_intent_id: str | None
    payment_id: str | None
    reason: str | None


@dataclass(frozen=True)
class RefundsReported:
    refunds: tuple[RefundInfo, ...]


@dataclass(frozen=True)
class Unhandled:
    """An event type this service does not act on."""


@dataclass(frozen=True)
class Malformed:
    """A verified event whose object cannot be read; it is stored and recorded as failed."""

    error: str


EventFact = SessionChanged | PaymentAttemptFailed | RefundsReported | Unhandled | Malformed


@dataclass(frozen=True)
class GatewayEvent:
    id: str
    type: str
    payload: str  # the raw verified body, stored as is
    fact: EventFact
    created: float | None = None  # when the gateway made it (Unix seconds), if it says


class WebhookEvents(Protocol):
    def verify(self, payload: bytes, signature: str | None) -> GatewayEvent:
        """The event of a signed body; BadSignatureError for anything else."""
        ...

    def parse(self, payload: str) -> GatewayEvent:
        """The event of a body verified before (a stored one)."""
        ...


# --- outbound webhook delivery -------------------------------------------------------------------


class AttemptResult(Protocol):
    """How one POST to a receiver went."""

    @property
    def status_code(self) -> int | None: ...

    @property
    def latency_ms(self) -> int: ...

    @property
    def error(self) -> str | None: ...

    @property
    def excerpt(self) -> str | None: ...  # the start of the answer, bounded

    @property
    def ok(self) -> bool: ...  # 2xx

    @property
    def refused(self) -> bool: ...  # refused by the URL policy; nothing was sent


class WebhookTransport(Protocol):
    def url_problem(self, url: str) -> str | None:
        """Why `url` may not receive webhooks (scheme, private address...), or None."""
        ...

    def deliver(
        self, url: str, payload: str, secrets: Sequence[str], msg_id: str, timestamp: datetime
    ) -> AttemptResult:
        """POST `payload` signed under every secret; every outcome is a result, none raises."""
        ...

    def new_secret(self) -> str: ...


# --- user directory ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DirectoryUser:
    id: str
    email: str
    full_name: str
    active: bool


class UserDirectoryUnavailableError(Exception):
    """The user service did not answer usefully (down, timeout, 5xx)."""


class ForwardedTokenRejectedError(Exception):
    """The user service refused the caller's token we forwarded (user deactivated, revoked)."""


LookupResult = DirectoryUser | Literal["not_found"]


class UserDirectory(Protocol):
    def lookup(self, user_id: str, *, bearer_token: str | None = None) -> LookupResult: ...

    def ping(self) -> None: ...
