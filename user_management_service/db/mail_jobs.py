"""The mail queue's table behind domain/mail.py; a claim is the platform's leasing statement."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from service_kit.leasing import lease
from user_management_service.db.models import MailJobRow
from user_management_service.domain.mail import MailJob, MailKind, MailState

PENDING = MailState.PENDING.value


class SqlMailJobRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, job: MailJob) -> None:
        self.session.add(
            MailJobRow(
                id=job.id,
                kind=job.kind.value,
                recipient=job.recipient,
                user_id=job.user_id,
                state=PENDING,
                attempts=job.attempts,
                created_at=job.created_at,
                next_attempt_at=job.created_at,
            )
        )
        self.session.flush()

    def claim(self, now: datetime, limit: int, lease_until: datetime) -> list[MailJob]:
        due = (
            select(MailJobRow.id)
            .where(
                MailJobRow.state == PENDING,
                MailJobRow.next_attempt_at <= now,
                or_(MailJobRow.lease_until.is_(None), MailJobRow.lease_until <= now),
            )
            .order_by(MailJobRow.next_attempt_at)
            .limit(limit)
        )
        ids = lease(self.session, MailJobRow, due, lease_until)
        if not ids:
            return []
        rows = self.session.scalars(
            select(MailJobRow).where(MailJobRow.id.in_(ids)).order_by(MailJobRow.created_at)
        )
        return [
            MailJob(r.id, MailKind(r.kind), r.recipient, r.user_id, r.created_at, r.attempts)
            for r in rows
        ]

    def finish(self, job_id: uuid.UUID, state: MailState, now: datetime, note: str | None) -> None:
        self.session.execute(
            update(MailJobRow)
            .where(MailJobRow.id == job_id)
            .values(state=state.value, finished_at=now, lease_until=None, note=note)
            .execution_options(synchronize_session=False)
        )

    def retry(
        self, job_id: uuid.UUID, attempts: int, next_attempt_at: datetime, error: str
    ) -> None:
        self.session.execute(
            update(MailJobRow)
            .where(MailJobRow.id == job_id)
            .values(
                attempts=attempts, next_attempt_at=next_attempt_at, lease_until=None, note=error
            )
            .execution_options(synchronize_session=False)
        )

    def sent_since(self, recipient: str, kind: MailKind, since: datetime) -> int:
        return int(
            self.session.scalar(
                select(func.count()).where(
                    MailJobRow.recipient == recipient,
                    MailJobRow.kind == kind.value,
                    MailJobRow.state == MailState.SENT.value,
                    MailJobRow.finished_at >= since,
                )
            )
            or 0
        )

    def pending_count(self) -> int:
        count = self.session.scalar(select(func.count()).where(MailJobRow.state == PENDING))
        return int(count or 0)
