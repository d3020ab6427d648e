"""SQLAlchemy repositories behind the domain's ports; they map rows to domain objects and back."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Table, bindparam, case, delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from user_management_service.db.models import LoginThrottleRow, RefreshTokenRow, UserRow
from user_management_service.domain.errors import EmailTakenError
from user_management_service.domain.refresh_tokens import RefreshRecord
from user_management_service.domain.throttle import Counter
from user_management_service.domain.users import Role, Status, User

USERS = UserRow.__table__
# Built once: the same statement object keeps its memoized cache key (a new `.where()` per
# call recomputes it, a visible share of a read in the profile).
USER_BY_ID = select(USERS).where(USERS.c.id == bindparam("user_id"))


def to_domain(row: UserRow | Row[Any]) -> User:
    """From an ORM row or a Core row of the table (same attribute names)."""
    return User(
        id=row.id,
        email=row.email,
        full_name=row.full_name,
        password_hash=row.password_hash,
        role=Role(row.role),
        status=Status(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
        deactivated_at=row.deactivated_at,
        email_verified_at=row.email_verified_at,
        mfa_enabled_at=row.mfa_enabled_at,
        seq=row.seq,
    )


class SqlUserRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _flush(self, email: str) -> None:
        """A concurrent insert of the same email loses here (unique index), not silently."""
        try:
            self.session.flush()
        except IntegrityError:
            self.session.rollback()
            raise EmailTakenError(email) from None

    def add(self, user: User) -> None:
        row = UserRow(
            id=user.id,
            email=user.email,
            full_name=user.full_name,
            password_hash=user.password_hash,
            role=user.role.value,
            status=user.status.value,
            created_at=user.created_at,
            updated_at=user.updated_at,
            deactivated_at=user.deactivated_at,
            email_verified_at=user.email_verified_at,
            mfa_enabled_at=user.mfa_enabled_at,
        )
        self.session.add(row)
        self._flush(user.email)
        user.seq = row.seq

    def _row(self, user_id: uuid.UUID) -> UserRow | None:
        return self.session.scalars(select(UserRow).where(UserRow.id == user_id)).one_or_none()

    def get(self, user_id: uuid.UUID) -> User | None:
        # A Core select: every authenticated request reads its caller, and ORM instances
        # (identity map, instance state) cost more than the query itself (bench/RESULTS.md).
        row = self.session.execute(USER_BY_ID, {"user_id": user_id}).one_or_none()
        return to_domain(row) if row is not None else None

    def active_with_email(self, email: str) -> User | None:
        query = select(UserRow).where(UserRow.email == email, UserRow.status == Status.ACTIVE.value)
        row = self.session.scalars(query).first()
        return to_domain(row) if row is not None else None

    def list_after(
        self, after_seq: int | None, limit: int, email: str | None, status: Status | None
    ) -> list[User]:
        query = select(USERS).order_by(USERS.c.seq).limit(limit)  # Core, as in get()
        if after_seq is not None:
            query = query.where(USERS.c.seq > after_seq)
        if email is not None:
            query = query.where(USERS.c.email == email)
        if status is not None:
            query = query.where(USERS.c.status == status.value)
        return [to_domain(row) for row in self.session.execute(query)]

    def save(self, user: User) -> None:
        row = self._row(user.id)
        if row is None:  # pragma: no cover - the service loaded it in this transaction
            raise LookupError(user.id)
        row.email = user.email
        row.full_name = user.full_name
        row.password_hash = user.password_hash
        row.role = user.role.value
        row.status = user.status.value
        row.updated_at = user.updated_at
        row.deactivated_at = user.deactivated_at
        row.email_verified_at = user.email_verified_at
        row.mfa_enabled_at = user.mfa_enabled_at
        self._flush(user.email)


class SqlRefreshTokenRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        token_hash: str,
        family_id: uuid.UUID,
        user_id: uuid.UUID,
        created_at: datetime,
        expires_at: datetime,
    ) -> None:
        self.session.add(
            RefreshTokenRow(
                id=uuid.uuid4(),
                token_hash=token_hash,
                family_id=family_id,
                user_id=user_id,
                created_at=created_at,
                expires_at=expires_at,
            )
        )
        self.session.flush()

    def find(self, token_hash: str) -> RefreshRecord | None:
        query = select(RefreshTokenRow).where(RefreshTokenRow.token_hash == token_hash)
        row = self.session.scalars(query).one_or_none()
        if row is None:
            return None
        return RefreshRecord(
            row.id, row.family_id, row.user_id, row.expires_at, row.used_at, row.revoked_at
        )

    def mark_used(self, record_id: uuid.UUID, now: datetime) -> bool:
        result = self.session.execute(
            update(RefreshTokenRow)
            .where(
                RefreshTokenRow.id == record_id,
                RefreshTokenRow.used_at.is_(None),
                RefreshTokenRow.revoked_at.is_(None),
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    def revoke_family(self, family_id: uuid.UUID, now: datetime) -> None:
        self.session.execute(
            update(RefreshTokenRow)
            .where(RefreshTokenRow.family_id == family_id, RefreshTokenRow.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )

    def revoke_user(self, user_id: uuid.UUID, now: datetime) -> None:
        self.session.execute(
            update(RefreshTokenRow)
            .where(RefreshTokenRow.user_id == user_id, RefreshTokenRow.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )

    def prune(self, expired_before: datetime) -> None:
        self.session.execute(
            delete(RefreshTokenRow)
            .where(RefreshTokenRow.expires_at < expired_before)
            .execution_options(synchronize_session=False)
        )


class SqlThrottleRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, key: str) -> Counter | None:
        row = self.session.get(LoginThrottleRow, key)
        return Counter(row.failures, row.last_failure_at) if row is not None else None

    def add_failure(self, key: str, now: float, window_seconds: int) -> None:
        dialect = self.session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        table = LoginThrottleRow.__table__
        assert isinstance(table, Table)
        forgotten = table.c.last_failure_at <= now - window_seconds
        statement = insert(table).values(key=key, last_failure_at=now, failures=1)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "failures": case((forgotten, 1), else_=table.c.failures + 1),
                "last_failure_at": now,
            },
        )
        self.session.execute(statement)

    def clear(self, key: str) -> None:
        self.session.execute(delete(LoginThrottleRow).where(LoginThrottleRow.key == key))

    def clear_prefix(self, prefix: str) -> int:
        result = self.session.execute(
            delete(LoginThrottleRow).where(LoginThrottleRow.key.startswith(prefix, autoescape=True))
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def prune(self, older_than: float) -> None:
        self.session.execute(
            delete(LoginThrottleRow).where(LoginThrottleRow.last_failure_at < older_than)
        )
