"""The audit trail of the payment service: every admin action that changes money or what
merchants receive (refunds, product and price changes, webhook endpoint changes, delivery
retries, event replays), recorded once, in the transaction of the change, with who, from
where and the request id. Events are only ever added (triggers refuse UPDATE and DELETE)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from payment_api.domain.model import new_id, utcnow

if TYPE_CHECKING:
    from payment_api.domain.ports import UnitOfWork


class AuditAction(StrEnum):
    PRODUCT_CREATED = "product.created"
    PRODUCT_UPDATED = "product.updated"
    REFUND_CREATED = "refund.created"
    ENDPOINT_CREATED = "webhook_endpoint.created"
    ENDPOINT_UPDATED = "webhook_endpoint.updated"
    ENDPOINT_DELETED = "webhook_endpoint.deleted"
    ENDPOINT_SECRET_ROTATED = "webhook_endpoint.secret_rotated"  # noqa: S105 (an action name)
    DELIVERY_RETRIED = "webhook_delivery.retried"
    EVENT_REPLAYED = "webhook_event.replayed"


@dataclass(frozen=True)
class Actor:
    """Who acts (the token's subject), from where, under which request id."""

    user_id: str | None
    address: str | None = None
    request_id: str | None = None


@dataclass(frozen=True)
class AuditEvent:
    id: str
    at: datetime
    action: AuditAction
    actor: Actor
    target_id: str
    details: dict[str, str] = field(default_factory=dict)


class AuditRepository(Protocol):
    """Writes only: admins read the trail through the read model (views.ReadModel)."""

    def add(self, event: AuditEvent) -> None: ...


def record(
    uow: UnitOfWork, actor: Actor | None, action: AuditAction, target_id: str, **details: str
) -> None:
    """Add an event in the caller's transaction; nothing without an actor (a job, a test)."""
    if actor is not None:
        uow.audit.add(AuditEvent(new_id(), utcnow(), action, actor, target_id, details))
