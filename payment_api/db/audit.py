"""The audit trail's table behind domain/audit.py: inserts only (reads: views.ReadModel)."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.orm import Session

from payment_api.db.models import AuditEventRow
from payment_api.domain.audit import AuditEvent


class SqlAuditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, event: AuditEvent) -> None:
        self.session.execute(
            insert(AuditEventRow).values(
                id=event.id,
                at=event.at,
                action=event.action.value,
                actor_id=event.actor.id,
                actor_type=event.actor.type.value,
                address=event.actor.address,
                request_id=event.actor.request_id,
                target_id=event.target_id,
                details=event.details,
            )
        )
