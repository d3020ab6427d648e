"""The audit trail's table behind domain/audit.py: inserts and keyset reads, nothing else."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, insert, select
from sqlalchemy.orm import Session

from user_management_service.db.models import AuditEventRow
from user_management_service.domain.audit import (
    Actor,
    ActorKind,
    AuditAction,
    AuditEvent,
    AuditFilter,
)

EVENTS = AuditEventRow.__table__


def to_domain(row: Row[Any]) -> AuditEvent:
    actor = Actor(ActorKind(row.actor_kind), row.actor_id, address=row.address,
                  request_id=row.request_id)  # fmt: skip
    return AuditEvent(
        row.id, row.at, AuditAction(row.action), actor, row.target_id, dict(row.details), row.seq
    )


class SqlAuditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, event: AuditEvent) -> None:
        self.session.execute(
            insert(AuditEventRow).values(
                id=event.id,
                at=event.at,
                action=event.action.value,
                actor_kind=event.actor.kind.value,
                actor_id=event.actor.user_id,
                target_id=event.target_id,
                address=event.actor.address,
                request_id=event.actor.request_id,
                details=event.details,
            )
        )

    def list_after(self, after_seq: int | None, limit: int, where: AuditFilter) -> list[AuditEvent]:
        query = select(EVENTS).order_by(EVENTS.c.seq).limit(limit)
        if after_seq is not None:
            query = query.where(EVENTS.c.seq > after_seq)
        if where.action is not None:
            query = query.where(EVENTS.c.action == where.action.value)
        if where.actor_id is not None:
            query = query.where(EVENTS.c.actor_id == where.actor_id)
        if where.target_id is not None:
            query = query.where(EVENTS.c.target_id == where.target_id)
        return [to_domain(row) for row in self.session.execute(query)]
