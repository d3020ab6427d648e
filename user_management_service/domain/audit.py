"""The audit trail: every admin or operator action that changes access, recorded once, in
the transaction of the change, with who, what, when, from where and the request id. Events
are only ever added (the table refuses UPDATE and DELETE, migration 0005)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from user_management_service.domain.pagination import keyset_page

if TYPE_CHECKING:
    from user_management_service.domain.unit_of_work import UnitOfWork


class ActorKind(StrEnum):
    USER = "user"  # a signed-in user through the API
    OPERATOR = "operator"  # the CLI on a server (create-admin, unlock)
    SYSTEM = "system"  # the service itself (the bootstrap admin)


class AuditAction(StrEnum):
    USER_CREATED = "user.created"  # by an admin, or an admin by the operator
    USER_UPDATED = "user.updated"  # an admin changed another user's email, name or password
    ROLE_CHANGED = "user.role_changed"
    USER_DEACTIVATED = "user.deactivated"
    USER_UNLOCKED = "user.unlocked"
    PASSWORD_RESET = "user.password_reset"  # noqa: S105 (by the owner, through a mailed link)
    MFA_ENABLED = "user.mfa_enabled"  # by the owner
    MFA_DISABLED = "user.mfa_disabled"  # by the owner, with a code
    MFA_RESET = "user.mfa_reset"  # by an admin, for a user who lost the factor
    API_CLIENT_CREATED = "api_client.created"
    API_CLIENT_REVOKED = "api_client.revoked"


@dataclass(frozen=True)
class Actor:
    """Who acts, and from where; the HTTP layer builds it from the request."""

    kind: ActorKind
    user_id: uuid.UUID | None = None
    is_admin: bool = False
    address: str | None = None
    request_id: str | None = None


OPERATOR = Actor(ActorKind.OPERATOR)
SYSTEM = Actor(ActorKind.SYSTEM)


@dataclass(frozen=True)
class AuditEvent:
    id: uuid.UUID
    at: datetime
    action: AuditAction
    actor: Actor
    target_id: uuid.UUID | None
    details: dict[str, str] = field(default_factory=dict)
    seq: int | None = None  # the order of recording; the keyset of the listing


@dataclass(frozen=True)
class AuditFilter:
    action: AuditAction | None = None
    actor_id: uuid.UUID | None = None
    target_id: uuid.UUID | None = None


class AuditRepository(Protocol):
    def add(self, event: AuditEvent) -> None: ...

    def list_after(self, after_seq: int | None, limit: int, where: AuditFilter) -> list[AuditEvent]:
        """Events in recording order after `after_seq`, at most `limit`."""
        ...


def record(
    uow: UnitOfWork,
    actor: Actor,
    action: AuditAction,
    target_id: uuid.UUID | None,
    **details: str,
) -> None:
    """Add an event in the caller's transaction (kept exactly when the change is)."""
    uow.audit.add(AuditEvent(uuid.uuid4(), datetime.now(UTC), action, actor, target_id, details))


@dataclass(frozen=True)
class AuditPage:
    items: list[AuditEvent]
    next_cursor: str | None


class AuditTrail:
    """The admins' read of the trail: oldest first, keyset pages (cursor = the last `seq`)."""

    def __init__(self, uow: Callable[[], UnitOfWork]) -> None:
        self.uow = uow

    def list(self, limit: int, cursor: str | None, where: AuditFilter) -> AuditPage:
        with self.uow() as uow:
            items, next_cursor = keyset_page(
                lambda after, n: uow.audit.list_after(after, n, where), limit, cursor
            )
        return AuditPage(items, next_cursor)
