"""Second factors' tables behind domain/mfa.py: sealed secrets and recovery-code hashes."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import Session

from user_management_service.db.models import MfaSecretRow, RecoveryCodeRow
from user_management_service.domain.mfa import MfaSecret
from user_management_service.domain.users import utc_now

SECRETS = MfaSecretRow.__table__
CODES = RecoveryCodeRow.__table__


class SqlMfaRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, user_id: uuid.UUID) -> MfaSecret | None:
        row = self.session.execute(
            select(SECRETS).where(SECRETS.c.user_id == user_id)
        ).one_or_none()
        return None if row is None else MfaSecret(row.user_id, row.sealed_secret, row.last_step)

    def put(self, secret: MfaSecret) -> None:
        self.delete(secret.user_id)
        self.session.execute(
            insert(MfaSecretRow).values(
                user_id=secret.user_id,
                sealed_secret=secret.sealed_secret,
                last_step=secret.last_step,
                created_at=utc_now(),
            )
        )

    def use_step(self, user_id: uuid.UUID, step: int) -> bool:
        result = self.session.execute(
            update(MfaSecretRow)
            .where(
                SECRETS.c.user_id == user_id,
                or_(SECRETS.c.last_step.is_(None), SECRETS.c.last_step < step),
            )
            .values(last_step=step)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    def delete(self, user_id: uuid.UUID) -> None:
        self.session.execute(delete(MfaSecretRow).where(SECRETS.c.user_id == user_id))
        self.session.execute(delete(RecoveryCodeRow).where(CODES.c.user_id == user_id))

    def add_recovery_codes(self, user_id: uuid.UUID, hashes: list[str]) -> None:
        self.session.execute(
            insert(RecoveryCodeRow),
            [{"id": uuid.uuid4(), "user_id": user_id, "code_hash": h} for h in hashes],
        )

    def use_recovery_code(self, user_id: uuid.UUID, code_hash: str, now: datetime) -> bool:
        result = self.session.execute(
            update(RecoveryCodeRow)
            .where(
                CODES.c.user_id == user_id,
                CODES.c.code_hash == code_hash,
                CODES.c.used_at.is_(None),
            )
            .values(used_at=now)
        )
        return bool(getattr(result, "rowcount", 0) == 1)
