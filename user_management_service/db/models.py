"""Tables of the user service (prefix `ums_`, so it can share a database with others)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from user_management_service.domain.users import Role, Status

ACTIVE_ONLY = f"status = '{Status.ACTIVE.value}'"


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, also on SQLite (which drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class UserRow(Base):
    __tablename__ = "ums_users"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    full_name: Mapped[str] = mapped_column(String(200), nullable=False)
    password_hash: Mapped[str] = mapped_column(Text, nullable=False)
    role: Mapped[str] = mapped_column(
        String(20), nullable=False, server_default=Role.CUSTOMER.value
    )
    status: Mapped[str] = mapped_column(
        String(20), nullable=False, server_default=Status.ACTIVE.value
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    mfa_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        PrimaryKeyConstraint("seq", name="pk_ums_users"),
        UniqueConstraint("id", name="uq_ums_users_id"),
        # Email uniqueness holds among active users only: a deactivated user frees its email.
        Index("ix_ums_users_email", "email"),
        Index(
            "uq_ums_users_active_email",
            "email",
            unique=True,
            sqlite_where=text(ACTIVE_ONLY),
            postgresql_where=text(ACTIVE_ONLY),
        ),
    )


class RefreshTokenRow(Base):
    """A refresh token, by its SHA-256 only; tokens of one login chain share a family."""

    __tablename__ = "ums_refresh_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    family_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_ums_refresh_tokens"),
        UniqueConstraint("token_hash", name="uq_ums_refresh_tokens_token_hash"),
        Index("ix_ums_refresh_tokens_family_id", "family_id"),
        Index("ix_ums_refresh_tokens_user_id", "user_id"),
    )


class LoginThrottleRow(Base):
    """Failed logins of one key (`pair:<account>:<ip>`, `address:<ip>`, `account:<account>`;
    the account as a SHA-256 of the email) since the counter was last forgotten."""

    __tablename__ = "ums_login_throttle"

    key: Mapped[str] = mapped_column(String(320), nullable=False)
    last_failure_at: Mapped[float] = mapped_column(Float, nullable=False)
    failures: Mapped[int] = mapped_column(Integer, nullable=False)

    __table_args__ = (PrimaryKeyConstraint("key", name="pk_ums_login_throttle"),)


class AccountTokenRow(Base):
    """A password-reset or email-verification token, by its SHA-256 only."""

    __tablename__ = "ums_account_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    purpose: Mapped[str] = mapped_column(String(32), nullable=False)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_ums_account_tokens"),
        UniqueConstraint("token_hash", name="uq_ums_account_tokens_token_hash"),
        Index("ix_ums_account_tokens_user_id", "user_id", "purpose"),
    )


class MailJobRow(Base):
    """A mail to send (domain/mail.py): pending until the worker sent it, dropped it (nothing
    to send) or gave up on it."""

    __tablename__ = "ums_mail_jobs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    recipient: Mapped[str] = mapped_column(String(254), nullable=False)
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)  # why dropped/failed

    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_ums_mail_jobs"),
        Index("ix_ums_mail_jobs_due", "state", "next_attempt_at"),
        Index("ix_ums_mail_jobs_recipient", "recipient", "kind", "finished_at"),
    )


class AuditEventRow(Base):
    """One audited action (domain/audit.py). Append-only: triggers refuse UPDATE and DELETE."""

    __tablename__ = "ums_audit_events"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    actor_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    target_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    details: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False)

    __table_args__ = (
        PrimaryKeyConstraint("seq", name="pk_ums_audit_events"),
        UniqueConstraint("id", name="uq_ums_audit_events_id"),
        Index("ix_ums_audit_events_actor_id", "actor_id"),
        Index("ix_ums_audit_events_target_id", "target_id"),
        Index("ix_ums_audit_events_action", "action"),
    )


class ApiClientRow(Base):
    """An API client (domain/api_clients.py), its secret by SHA-256 only; kept when revoked."""

    __tablename__ = "ums_api_clients"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    id: Mapped[str] = mapped_column(String(32), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    secret_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    scopes: Mapped[str] = mapped_column(String(500), nullable=False)  # space separated
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        PrimaryKeyConstraint("seq", name="pk_ums_api_clients"),
        UniqueConstraint("id", name="uq_ums_api_clients_id"),
    )


class MfaSecretRow(Base):
    """A user's TOTP secret, sealed (adapters/secret_box.py), and the last step accepted."""

    __tablename__ = "ums_mfa_secrets"

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    sealed_secret: Mapped[str] = mapped_column(Text, nullable=False)
    last_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (PrimaryKeyConstraint("user_id", name="pk_ums_mfa_secrets"),)


class RecoveryCodeRow(Base):
    """A single-use recovery code of a second factor, by its SHA-256 only."""

    __tablename__ = "ums_mfa_recovery_codes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_ums_mfa_recovery_codes"),
        UniqueConstraint("user_id", "code_hash", name="uq_ums_mfa_recovery_codes_code"),
    )
