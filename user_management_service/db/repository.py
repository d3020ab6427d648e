"""SQLAlchemy repository of users; maps rows to domain objects and back."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from user_management_service.db.models import UserRow
from user_management_service.domain.errors import EmailTakenError
from user_management_service.domain.users import Role, Status, User


def to_domain(row: UserRow) -> User:
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
        )
        self.session.add(row)
        self._flush(user.email)
        user.seq = row.seq

    def _row(self, user_id: uuid.UUID) -> UserRow | None:
        return self.session.scalars(select(UserRow).where(UserRow.id == user_id)).one_or_none()

    def get(self, user_id: uuid.UUID) -> User | None:
        row = self._row(user_id)
        return to_domain(row) if row is not None else None

    def active_with_email(self, email: str) -> User | None:
        query = select(UserRow).where(UserRow.email == email, UserRow.status == "active")
        row = self.session.scalars(query).first()
        return to_domain(row) if row is not None else None

    def list_after(
        self, after_seq: int | None, limit: int, email: str | None, status: Status | None
    ) -> list[User]:
        query = select(UserRow).order_by(UserRow.seq).limit(limit)
        if after_seq is not None:
            query = query.where(UserRow.seq > after_seq)
        if email is not None:
            query = query.where(UserRow.email == email)
        if status is not None:
            query = query.where(UserRow.status == status.value)
        return [to_domain(row) for row in self.session.scalars(query)]

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
        self._flush(user.email)
