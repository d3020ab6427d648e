"""Pydantic models mirroring components.schemas of specs/payment_api.yaml (drift-tested)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic_core import PydanticCustomError

from payment_api.domain.audit import ActorType, AuditAction
from payment_api.domain.events import EventType as DomainEventType
from payment_api.domain.money import CURRENCIES
from payment_api.domain.states import PaymentStatus as DomainPaymentStatus

Currency = StrEnum("Currency", {c: c for c in CURRENCIES})  # type: ignore[misc]
Currency.__doc__ = "ISO 4217 currency code (upper case) of a supported currency."
LowerCurrency = StrEnum("LowerCurrency", {c.lower(): c.lower() for c in CURRENCIES})  # type: ignore[misc]
LowerCurrency.__doc__ = "ISO 4217 currency code in lower case, as Stripe writes it."


def _currency_in_either_case(value: object, handler: ValidatorFunctionWrapHandler) -> object:
    try:
        return handler(value)
    except ValidationError:
        raise PydanticCustomError(
            "currency",
            "must be a supported ISO 4217 code in upper or lower case, such as USD or usd "
            "(one of {codes})",
            {"codes": ", ".join(CURRENCIES)},
        ) from None


# GET /checkout/?currency=: the one place that also takes lower case (the curl shortcut
# always did); normalise with `.value.upper()`. JSON bodies take `Currency` (upper case) only.
QueryCurrency = Annotated[Currency | LowerCurrency, WrapValidator(_currency_in_either_case)]
QUERY_CURRENCY_DESCRIPTION = (
    "ISO 4217 code of `price`, in upper or lower case (`USD` or `usd`; mixed case is refused), "
    "normalised to upper case. Only this query shortcut takes lower case: JSON bodies take "
    "upper case only (`Currency`)."
)

PaymentStatus = StrEnum("PaymentStatus", {s.value: s.value for s in DomainPaymentStatus})  # type: ignore[misc]
PaymentStatus.__doc__ = "Where a payment stands in the payment state machine."


class RefundStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class RefundReason(StrEnum):
    DUPLICATE = "duplicate"
    FRAUDULENT = "fraudulent"
    REQUESTED_BY_CUSTOMER = "requested_by_customer"


class InboxState(StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    FAILED = "failed"


Closed = ConfigDict(extra="forbid")


def _json_integer(value: object) -> object:
    """JSON Schema integers: 5 and 5.0 yes; "5", true and 5.5 no (no silent coercion)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Amount = Annotated[int, Field(ge=0, le=99_999_999), Strict(), BeforeValidator(_json_integer)]
# Free text and ids never hold NUL (PostgreSQL text cannot store it): the contract says so.
NO_NUL = r"^[^\x00]*$"
NO_CONTROL = "^[^\\x00-\\x1f\\x7f]+$"  # one line of text: no control characters
Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=NO_NUL)]
Url = Annotated[
    str, Field(max_length=2048, pattern=r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\s]*)?$")
]


class Money(BaseModel):
    model_config = Closed
    amount: Amount
    currency: Currency


class ProductCreate(BaseModel):
    model_config = Closed
    name: Annotated[str, Field(min_length=1, max_length=200, pattern=NO_NUL)]
    description: Annotated[str | None, Field(max_length=2000, pattern=NO_NUL)] = None
    price: Money
    active: StrictBool = True


class ProductUpdate(BaseModel):
    model_config = Closed
    name: Annotated[str, Field(min_length=1, max_length=200, pattern=NO_NUL)] | None = None
    description: Annotated[str | None, Field(max_length=2000, pattern=NO_NUL)] = None
    price: Money | None = None
    active: StrictBool | None = None


class Product(BaseModel):
    id: str
    name: str
    description: str | None
    price: Money
    active: bool
    created_at: datetime
    updated_at: datetime


class ProductList(BaseModel):
    data: list[Product]
    next_cursor: str | None


class LineItemInput(BaseModel):
    model_config = Closed
    product_id: Identifier
    quantity: Annotated[int, Field(ge=1, le=1000), Strict(), BeforeValidator(_json_integer)]


class LineItemsCheckout(BaseModel):
    model_config = Closed
    line_items: Annotated[list[LineItemInput], Field(min_length=1, max_length=100)]
    user_id: Identifier | None = None
    success_url: Url | None = None
    cancel_url: Url | None = None


class CustomAmountCheckout(BaseModel):
    model_config = Closed
    custom_amount: Money
    description: Annotated[str, Field(min_length=1, max_length=500, pattern=NO_NUL)] | None = None
    user_id: Identifier | None = None
    success_url: Url | None = None
    cancel_url: Url | None = None


class CheckoutSession(BaseModel):
    payment_id: str
    session_id: str
    url: str
    expires_at: datetime
    status: PaymentStatus
    amount: Money


class LineItem(BaseModel):
    product_id: str | None
    name: str
    quantity: int
    unit_amount: Money


class StatusChange(BaseModel):
    from_status: PaymentStatus | None
    to_status: PaymentStatus
    reason: str
    event_id: str | None
    at: datetime


class GatewayRefs(BaseModel):
    checkout_session_id: str | None
    payment_intent_id: str | None
    checkout_url: str | None


class Payment(BaseModel):
    id: str
    status: PaymentStatus
    amount: Money
    refunded_amount: Money
    line_items: list[LineItem]
    user_id: str | None
    customer_email: str | None
    description: str | None
    gateway: GatewayRefs
    failure_reason: str | None
    expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    status_history: list[StatusChange]


class PaymentList(BaseModel):
    data: list[Payment]
    next_cursor: str | None


class RefundCreate(BaseModel):
    model_config = Closed
    amount: (
        Annotated[int, Field(ge=1, le=99_999_999), Strict(), BeforeValidator(_json_integer)] | None
    ) = None
    reason: RefundReason | None = None


class Refund(BaseModel):
    id: str
    payment_id: str
    amount: Money
    status: RefundStatus
    reason: RefundReason | None
    gateway_refund_id: str | None
    created_at: datetime
    updated_at: datetime


class RefundList(BaseModel):
    data: list[Refund]
    next_cursor: str | None


class WebhookAck(BaseModel):
    event_id: str
    type: str
    duplicate: bool
    state: InboxState


class WebhookEventRecord(BaseModel):
    id: str
    type: str
    state: InboxState
    outcome: str | None
    error: str | None
    attempts: int
    received_at: datetime
    processed_at: datetime | None


class WebhookEventList(BaseModel):
    data: list[WebhookEventRecord]
    next_cursor: str | None


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready"]
    checks: dict[str, str]


EventType = StrEnum("EventType", {t.value: t.value for t in DomainEventType})  # type: ignore[misc]
EventType.__doc__ = "What happened: `<object>.<change>`, e.g. `payment.succeeded`."
PaymentEventType = StrEnum(  # type: ignore[misc]
    "PaymentEventType", {t.value: t.value for t in DomainEventType if t.object_type == "payment"}
)
PaymentEventType.__doc__ = "The payment events: the payment moved to the status in the name."
RefundEventType = StrEnum(  # type: ignore[misc]
    "RefundEventType", {t.value: t.value for t in DomainEventType if t.object_type == "refund"}
)
RefundEventType.__doc__ = "The refund events: the gateway's final word on a refund."


class PaymentEventPayload(BaseModel):
    """What a merchant's endpoint receives for a payment event: the payment at that moment."""

    id: str
    type: PaymentEventType
    created: datetime
    api_version: str
    data: Payment


class RefundEventPayload(BaseModel):
    """What a merchant's endpoint receives for a refund event: the refund at that moment."""

    id: str
    type: RefundEventType
    created: datetime
    api_version: str
    data: Refund


class OutboundEvent(BaseModel):
    """An event we emitted, exactly as its receivers get it."""

    id: str
    type: EventType
    created: datetime
    api_version: str
    data: Payment | Refund


class OutboundEventList(BaseModel):
    data: list[OutboundEvent]
    next_cursor: str | None


SubscribedType = StrEnum(  # type: ignore[misc]
    "SubscribedType", {"*": "*", **{t.value: t.value for t in DomainEventType}}
)
SubscribedType.__doc__ = "An event type an endpoint takes, or `*` for every type (future ones too)."


class EndpointStatus(StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"


class DeliveryState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class AttemptOutcome(StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"
    REFUSED = "refused"


EventTypes = Annotated[list[SubscribedType], Field(min_length=1, max_length=20)]
EndpointDescription = Annotated[str | None, Field(max_length=500, pattern=NO_NUL)]


class WebhookEndpointCreate(BaseModel):
    model_config = Closed
    url: Url
    event_types: EventTypes
    description: EndpointDescription = None


class WebhookEndpointUpdate(BaseModel):
    model_config = Closed
    url: Url | None = None
    event_types: EventTypes | None = None
    description: EndpointDescription = None
    enabled: StrictBool | None = None


class WebhookEndpoint(BaseModel):
    id: str
    url: str
    description: str | None
    event_types: list[SubscribedType]
    status: EndpointStatus
    disabled_reason: str | None
    failing_since: datetime | None
    previous_secret_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime


class WebhookEndpointWithSecret(WebhookEndpoint):
    """An endpoint with its signing secret: only when the secret was just made."""

    secret: str


class WebhookEndpointList(BaseModel):
    data: list[WebhookEndpoint]
    next_cursor: str | None


class SecretRotation(BaseModel):
    model_config = Closed
    expire_previous_after_seconds: Annotated[
        int, Field(ge=0, le=604_800), Strict(), BeforeValidator(_json_integer)
    ] = 86_400


class WebhookDelivery(BaseModel):
    id: str
    endpoint_id: str
    event_id: str
    event_type: EventType
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


class WebhookDeliveryList(BaseModel):
    data: list[WebhookDelivery]
    next_cursor: str | None


class DeliveryAttempt(BaseModel):
    id: str
    delivery_id: str
    event_id: str
    number: int
    attempted_at: datetime
    outcome: AttemptOutcome
    status_code: int | None
    latency_ms: int
    error: str | None
    response_excerpt: str | None


class DeliveryAttemptList(BaseModel):
    data: list[DeliveryAttempt]
    next_cursor: str | None


class AuditActor(BaseModel):
    type: ActorType = Field(
        description="Who acted: `user` (a person, an admin) or `api_client` (a machine's "
        "client-credentials token)."
    )
    user_id: str | None = Field(
        description="The acting admin (the token's `sub`); null when an API client acted."
    )
    client_id: str | None = Field(
        description="The acting API client (`cli_…`, the token's `client_id`); null when a "
        "user acted."
    )
    address: str | None = Field(description="The client address the service saw.")
    request_id: str | None = Field(description="The request's `X-Request-ID`, as in the logs.")


class AuditEvent(BaseModel):
    id: str
    at: datetime
    action: AuditAction
    actor: AuditActor
    target_id: str = Field(description="The product, refund, endpoint or event acted on.")
    details: dict[str, str]


class AuditEventList(BaseModel):
    data: list[AuditEvent]
    next_cursor: str | None
