"""Users: email normalisation, soft delete, keyset pages, and the users resource's use cases."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from user_management_service.domain.audit import (
    OPERATOR,
    SYSTEM,
    Actor,
    ActorKind,
    AuditAction,
    record,
)
from user_management_service.domain.errors import (
    EmailTakenError,
    SelfLockoutError,
    UserDeactivatedError,
    UserNotFoundError,
)
from user_management_service.domain.mail import MailKind, queue
from user_management_service.domain.pagination import keyset_page
from user_management_service.domain.passwords import PasswordHasher

if TYPE_CHECKING:  # the port names the repositories defined here
    from user_management_service.domain.unit_of_work import UnitOfWork

MAX_CURSOR = 10**18  # cursors are positive integers below this (fits a BIGINT)


class Role(StrEnum):
    CUSTOMER = "customer"
    ADMIN = "admin"


class Status(StrEnum):
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding blanks."""
    return email.strip().lower()


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class User:
    id: uuid.UUID
    email: str
    full_name: str
    password_hash: str
    role: Role = Role.CUSTOMER
    status: Status = Status.ACTIVE
    created_at: datetime = field(default_factory=utc_now)
    updated_at: datetime = field(default_factory=utc_now)
    deactivated_at: datetime | None = None
    email_verified_at: datetime | None = None  # when the owner opened a verification link
    mfa_enabled_at: datetime | None = None  # when a second factor was enabled (domain/mfa.py)
    seq: int | None = None  # creation order; the keyset of the listing

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def mfa_enabled(self) -> bool:
        return self.mfa_enabled_at is not None


@dataclass(frozen=True)
class Page:
    items: list[User]
    next_cursor: str | None


class UserRepository(Protocol):
    def add(self, user: User) -> None: ...

    def get(self, user_id: uuid.UUID) -> User | None: ...

    def active_with_email(self, email: str) -> User | None: ...

    def list_after(
        self, after_seq: int | None, limit: int, email: str | None, status: Status | None
    ) -> list[User]: ...

    def save(self, user: User) -> None: ...


def set_password(uow: UnitOfWork, user: User, password_hash: str, now: datetime) -> None:
    """A new password signs the user out everywhere (refresh tokens revoked) and is told to
    the owner by mail: a change they did not make is a takeover they can act on."""
    user.password_hash = password_hash
    user.updated_at = now
    uow.users.save(user)
    uow.refresh_tokens.revoke_user(user.id, now)
    queue(uow, MailKind.PASSWORD_CHANGED, user.email, user.id)


class UserService:
    """Use cases of the users resource, each one transaction (committed here).

    Who may call what is the HTTP layer's; this keeps the data rules. A new password or a
    deactivation revokes the user's refresh tokens; a new account or a new email is sent a
    verification link.
    """

    def __init__(self, uow: Callable[[], UnitOfWork], passwords: PasswordHasher) -> None:
        self.uow = uow
        self.passwords = passwords

    def create(
        self,
        email: str,
        full_name: str,
        password: str,
        role: Role = Role.CUSTOMER,
        actor: Actor | None = None,
    ) -> User:
        """A registration, or an admin's new user (audited)."""
        with self.uow() as uow:
            user = self._create(uow, email, full_name, password, role)
            queue(uow, MailKind.EMAIL_VERIFICATION, user.email, user.id)
            if actor is not None and actor.is_admin:
                record(uow, actor, AuditAction.USER_CREATED, user.id, role=role.value)
            uow.commit()
        return user

    def get(self, user_id: uuid.UUID) -> User:
        """An active user; a deactivated one is gone for the API (its row stays for audit)."""
        with self.uow() as uow:
            return self._active(uow, user_id)

    def list(
        self,
        limit: int,
        cursor: str | None = None,
        email: str | None = None,
        status: Status | None = None,
    ) -> Page:
        email = normalise_email(email) if email is not None else None
        with self.uow() as uow:
            items, next_cursor = keyset_page(
                lambda after, n: uow.users.list_after(after, n, email, status), limit, cursor
            )
        return Page(items, next_cursor)

    def update(
        self,
        user_id: uuid.UUID,
        *,
        email: str | None = None,
        full_name: str | None = None,
        password: str | None = None,
        role: Role | None = None,
        actor: Actor | None = None,
    ) -> User:
        with self.uow() as uow:
            user = self._active(uow, user_id)
            self._update(uow, user, email, full_name, password, role, actor)
            uow.commit()
        return user

    def ensure_admin(self, email: str, password: str) -> tuple[User, bool]:
        """The active user with this email as an admin: (user, created). An existing user is
        promoted, and gets this password; a missing one is created."""
        with self.uow() as uow:
            existing = uow.users.active_with_email(normalise_email(email))
            if existing is None:
                user = self._create_admin(uow, email, password)
                record(uow, OPERATOR, AuditAction.USER_CREATED, user.id, role=Role.ADMIN.value)
            else:
                user = self._update(uow, existing, None, None, password, Role.ADMIN, OPERATOR)
            uow.commit()
        return user, existing is None

    def bootstrap_admin(self, email: str, password: str) -> User | None:
        """Create this admin unless an active user has the email (then None): idempotent, and of
        workers starting together one wins the unique index."""
        try:
            with self.uow() as uow:
                if uow.users.active_with_email(normalise_email(email)) is not None:
                    return None
                user = self._create_admin(uow, email, password)
                record(uow, SYSTEM, AuditAction.USER_CREATED, user.id, role=Role.ADMIN.value)
                uow.commit()
        except EmailTakenError:
            return None
        return user

    def deactivate(self, user_id: uuid.UUID, actor: Actor | None = None) -> None:
        """Soft delete: the row stays for audit, its email is free for a new active user."""
        with self.uow() as uow:
            user = self._find(uow, user_id)
            actor_id = actor.user_id if actor is not None else None
            if actor_id == user.id and user.role is Role.ADMIN and user.status is Status.ACTIVE:
                raise SelfLockoutError(
                    "An admin cannot deactivate their own account; ask another admin."
                )
            if user.status is Status.DEACTIVATED:
                return
            now = utc_now()
            user.status = Status.DEACTIVATED
            user.deactivated_at = now
            user.updated_at = now
            uow.users.save(user)
            uow.refresh_tokens.revoke_user(user.id, now)
            if actor is not None:
                record(uow, actor, AuditAction.USER_DEACTIVATED, user.id)
            uow.commit()

    def _create_admin(self, uow: UnitOfWork, email: str, password: str) -> User:
        """An operator's admin (bootstrap, CLI): its email counts as verified, the operator
        vouches for it."""
        return self._create(uow, email, "Administrator", password, Role.ADMIN, verified=True)

    def _find(self, uow: UnitOfWork, user_id: uuid.UUID) -> User:
        user = uow.users.get(user_id)
        if user is None:
            raise UserNotFoundError(user_id)
        return user

    def _active(self, uow: UnitOfWork, user_id: uuid.UUID) -> User:
        user = self._find(uow, user_id)
        if user.status is Status.DEACTIVATED:
            raise UserDeactivatedError(user_id)
        return user

    def _create(
        self,
        uow: UnitOfWork,
        email: str,
        full_name: str,
        password: str,
        role: Role,
        *,
        verified: bool = False,
    ) -> User:
        email = normalise_email(email)
        if uow.users.active_with_email(email) is not None:
            raise EmailTakenError(email)
        now = utc_now()
        user = User(
            id=uuid.uuid4(),
            email=email,
            full_name=full_name,
            password_hash=self.passwords.hash(password),
            role=role,
            created_at=now,
            updated_at=now,
            email_verified_at=now if verified else None,
        )
        uow.users.add(user)
        return user

    def _update(
        self,
        uow: UnitOfWork,
        user: User,
        email: str | None,
        full_name: str | None,
        password: str | None,
        role: Role | None,
        actor: Actor | None,
    ) -> User:
        actor_id = actor.user_id if actor is not None else None
        if actor_id == user.id and user.role is Role.ADMIN and role not in (None, Role.ADMIN):
            raise SelfLockoutError(
                "An admin cannot remove their own admin role; ask another admin."
            )
        email = normalise_email(email) if email is not None else None
        changed = [
            name
            for name, differs in (
                ("email", email is not None and email != user.email),
                ("full_name", full_name is not None and full_name != user.full_name),
                ("password", password is not None),
            )
            if differs
        ]
        if email is not None and email != user.email:
            other = uow.users.active_with_email(email)
            if other is not None and other.id != user.id:
                raise EmailTakenError(email)
            user.email_verified_at = None
            queue(uow, MailKind.EMAIL_VERIFICATION, email, user.id)
            user.email = email
        if full_name is not None:
            user.full_name = full_name
        if actor is not None:
            self._audit_update(uow, actor, user, role, changed)
        if role is not None:
            user.role = role
        user.updated_at = utc_now()
        if password is not None:
            set_password(uow, user, self.passwords.hash(password), user.updated_at)
        else:
            uow.users.save(user)
        return user

    @staticmethod
    def _audit_update(
        uow: UnitOfWork, actor: Actor, user: User, role: Role | None, changed: Sequence[str]
    ) -> None:
        """A role change, always; an admin's or the operator's change of another user's
        email, name or password (which fields, never their values)."""
        if role is not None and role is not user.role:
            record(uow, actor, AuditAction.ROLE_CHANGED, user.id,
                   **{"from": user.role.value, "to": role.value})  # fmt: skip
        on_another = actor.kind is not ActorKind.USER or (
            actor.is_admin and actor.user_id != user.id
        )
        if changed and on_another:
            record(uow, actor, AuditAction.USER_UPDATED, user.id, fields=",".join(changed))
