"""The one-time account tokens' table behind domain/account_tokens.py."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from user_management_service.db.models import AccountTokenRow
from user_management_service.domain.account_tokens import AccountToken, Purpose


class SqlAccountTokenRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, token_hash: str, token: AccountToken, created_at: datetime) -> None:
        self.session.add(
            AccountTokenRow(
                id=token.id,
                token_hash=token_hash,
                purpose=token.purpose.value,
                user_id=token.user_id,
                email=token.email,
                created_at=created_at,
                expires_at=token.expires_at,
            )
        )
        self.session.flush()

    def find(self, token_hash: str, purpose: Purpose) -> AccountToken | None:
        row = self.session.scalars(
            select(AccountTokenRow).where(
                AccountTokenRow.token_hash == token_hash, AccountTokenRow.purpose == purpose.value
            )
        ).one_or_none()
        if row is None:
            return None
        return AccountToken(
            row.id, Purpose(row.purpose), row.user_id, row.email, row.expires_at, row.used_at
        )

    def use(self, token_id: uuid.UUID, now: datetime) -> bool:
        result = self.session.execute(
            update(AccountTokenRow)
            .where(AccountTokenRow.id == token_id, AccountTokenRow.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    def use_all(self, user_id: uuid.UUID, purpose: Purpose, now: datetime) -> None:
        self.session.execute(
            update(AccountTokenRow)
            .where(
                AccountTokenRow.user_id == user_id,
                AccountTokenRow.purpose == purpose.value,
                AccountTokenRow.used_at.is_(None),
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
