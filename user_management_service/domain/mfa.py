"""A second factor: TOTP (RFC 6238) with single-use recovery codes.

A user enrols in two steps (a secret for their authenticator app, then a code from it, which
proves the app has it) and gets ten recovery codes, shown once and stored as SHA-256. The
secret must be read back to check codes, so it is stored sealed (encrypted) by a port the
adapters implement. A code is accepted once: the time step it matched is remembered, and a
code of that step or an earlier one is refused, so a code seen over a shoulder or replayed
from a log cannot sign in again. ADMIN_MFA_REQUIRED makes admins without a second factor act
as customers until they enrol.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from user_management_service.domain.audit import Actor, AuditAction, record
from user_management_service.domain.errors import MfaStateError, WrongCodeError
from user_management_service.domain.refresh_tokens import hash_token
from user_management_service.domain.users import Role, User, utc_now

if TYPE_CHECKING:
    from user_management_service.domain.unit_of_work import UnitOfWork

RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes (0/o, 1/l/i)


class SecretBox(Protocol):
    """Seals secrets the service must read back (adapters.secret_box: Fernet)."""

    def seal(self, plain: str) -> str: ...

    def open(self, sealed: str) -> str: ...


class TotpAlgorithm(Protocol):
    """RFC 6238 codes (adapters.totp: pyotp)."""

    def new_secret(self) -> str: ...

    def provisioning_uri(self, secret: str, account: str) -> str: ...

    def matching_step(self, secret: str, code: str, now: datetime) -> int | None:
        """The time step whose code this is (the current one or a neighbour), or None."""
        ...


@dataclass(frozen=True)
class MfaSecret:
    """A user's TOTP secret, sealed; whether it is enabled is the user's `mfa_enabled_at`."""

    user_id: uuid.UUID
    sealed_secret: str
    last_step: int | None  # the time step of the last code accepted


class MfaRepository(Protocol):
    def get(self, user_id: uuid.UUID) -> MfaSecret | None: ...

    def put(self, secret: MfaSecret) -> None:
        """Insert or replace the user's secret (a new enrolment replaces a pending one)."""
        ...

    def use_step(self, user_id: uuid.UUID, step: int) -> bool:
        """True for the one caller that moved last_step forward to `step` (compare-and-set)."""
        ...

    def delete(self, user_id: uuid.UUID) -> None:
        """Forget the factor and the recovery codes."""
        ...

    def add_recovery_codes(self, user_id: uuid.UUID, hashes: list[str]) -> None: ...

    def use_recovery_code(self, user_id: uuid.UUID, code_hash: str, now: datetime) -> bool:
        """True for the one caller that spent this unused code."""
        ...


@dataclass(frozen=True)
class Enrolment:
    secret: str  # base32, for typing into an app
    otpauth_uri: str  # the same as an otpauth:// URI, for a QR code


def new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def normalise_code(code: str) -> str:
    """As typed: spaces, dashes and case do not matter."""
    return code.strip().replace(" ", "").replace("-", "").lower()


class MfaService:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        box: SecretBox,
        totp: TotpAlgorithm,
        *,
        admins_must_enrol: bool = False,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.uow = uow
        self.box = box
        self.totp = totp
        self.admins_must_enrol = admins_must_enrol
        self.clock = clock

    def start(self, user: User) -> Enrolment:
        """A new secret, pending until confirmed; 409 once a factor is enabled (disable first)."""
        if user.mfa_enabled:
            raise MfaStateError("A second factor is already enabled; disable it first.")
        secret = self.totp.new_secret()
        with self.uow() as uow:
            uow.mfa.put(MfaSecret(user.id, self.box.seal(secret), None))
            uow.commit()
        return Enrolment(secret, self.totp.provisioning_uri(secret, user.email))

    def confirm(self, user_id: uuid.UUID, code: str, actor: Actor) -> list[str]:
        """The first code from the app enables the factor; the recovery codes, shown once."""
        now = self.clock()
        with self.uow() as uow:
            user, pending = uow.users.get(user_id), uow.mfa.get(user_id)
            if user is None or user.mfa_enabled or pending is None:
                raise MfaStateError("Start an enrolment first (no enrolment is waiting).")
            step = self.totp.matching_step(self.box.open(pending.sealed_secret), code, now)
            if step is None or not uow.mfa.use_step(user_id, step):
                raise WrongCodeError()
            codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
            uow.mfa.add_recovery_codes(user_id, [hash_token(normalise_code(c)) for c in codes])
            self._set_enabled(uow, user, now)
            record(uow, actor, AuditAction.MFA_ENABLED, user_id)
            uow.commit()
        return codes

    def disable(self, user_id: uuid.UUID, code: str, actor: Actor) -> None:
        """The owner turns the factor off with a current code or a recovery code."""
        with self.uow() as uow:
            user = uow.users.get(user_id)
            if user is None or not user.mfa_enabled:
                raise MfaStateError("No second factor is enabled.")
            if not self.check(uow, user, code):
                uow.commit()  # a spent code stays spent
                raise WrongCodeError()
            self._remove(uow, user)
            record(uow, actor, AuditAction.MFA_DISABLED, user_id)
            uow.commit()

    def reset(self, user_id: uuid.UUID, actor: Actor) -> None:
        """An admin removes a user's factor (a lost phone and lost codes): audited."""
        with self.uow() as uow:
            user = uow.users.get(user_id)
            if user is None or not user.mfa_enabled:
                raise MfaStateError("The user has no second factor enabled.")
            self._remove(uow, user)
            record(uow, actor, AuditAction.MFA_RESET, user_id)
            uow.commit()

    def check(self, uow: UnitOfWork, user: User, code: str) -> bool:
        """A code, in the caller's transaction: a TOTP code of a step not used yet, or an
        unused recovery code (spent by this call)."""
        stored = uow.mfa.get(user.id)
        if stored is None or not user.mfa_enabled:
            return False
        now = self.clock()
        step = self.totp.matching_step(self.box.open(stored.sealed_secret), code, now)
        if step is not None:
            return uow.mfa.use_step(user.id, step)
        return uow.mfa.use_recovery_code(user.id, hash_token(normalise_code(code)), now)

    def acts_as_customer(self, user: User) -> bool:
        """ADMIN_MFA_REQUIRED: an admin without a second factor has a customer's rights."""
        return self.admins_must_enrol and user.role is Role.ADMIN and not user.mfa_enabled

    @staticmethod
    def _set_enabled(uow: UnitOfWork, user: User, at: datetime | None) -> None:
        user.mfa_enabled_at = at
        uow.users.save(user)

    def _remove(self, uow: UnitOfWork, user: User) -> None:
        uow.mfa.delete(user.id)
        self._set_enabled(uow, user, None)
