"""The audit trail of the payment service: every action of an admin or an API client that changes
money or what merchants receive (refunds, product and price changes, webhook endpoint changes,
delivery retries, event replays), recorded once, in the transaction of the change, with who (a user
or an API client), from where and the request id. Events are only ever added (triggers refuse UPDATE
and DELETE)."""

from __future__ import annotations

from collections.abc import Mapping
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


class ActorType(StrEnum):
    USER = "user"  # a person: an admin's token
    API_CLIENT = "api_client"  # a machine: an API client's token (client credentials)


@dataclass(frozen=True)
class Actor:
    """Who acts (a person's user id, or an API client's id), from where, under which
    request id."""

    user_id: str | None
    address: str | None = None
    request_id: str | None = None
    client_id: str | None = None  # an API client's id (`cli_...`); then `user_id` is None

    @property
    def type(self) -> ActorType:
        return ActorType.API_CLIENT if self.client_id is not None else ActorType.USER

    @property
    def id(self) -> str | None:
        """The user's or the API client's id: what the trail records and filters by."""
        return self.client_id if self.client_id is not None else self.user_id


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


def changed_fields(before: Mapping[str, object], after: Mapping[str, object]) -> dict[str, str]:
    """What an update changed, as the trail shows it: `field: "old -> new"`, unchanged ones left
    out (an update that changes nothing records nothing)."""
    return {k: f"{before[k]} -> {after[k]}" for k in after if before[k] != after[k]}


def record(
    uow: UnitOfWork, actor: Actor | None, action: AuditAction, target_id: str, **details: str
) -> None:
    """Add an event in the caller's transaction; nothing without an actor (a job, a test)."""
    if actor is not None:
        uow.audit.add(AuditEvent(new_id(), utcnow(), action, actor, target_id, details))
