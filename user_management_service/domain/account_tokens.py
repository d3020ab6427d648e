"""One-time account tokens: password reset and email verification links.

A token is 256 random bits shown once (in the mail's link) and stored as its SHA-256 only;
it is short-lived, single-use (an atomic compare-and-set), and names the email it was sent
to, so a verification link stops working once the address changes.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from user_management_service.domain.errors import InvalidAccountTokenError
from user_management_service.domain.refresh_tokens import hash_token


class Purpose(StrEnum):
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a purpose, not a password)
    EMAIL_VERIFICATION = "email_verification"


@dataclass(frozen=True)
class AccountToken:
    id: uuid.UUID
    purpose: Purpose
    user_id: uuid.UUID
    email: str
    expires_at: datetime
    used_at: datetime | None


class AccountTokenRepository(Protocol):
    def add(self, token_hash: str, token: AccountToken, created_at: datetime) -> None: ...

    def find(self, token_hash: str, purpose: Purpose) -> AccountToken | None: ...

    def use(self, token_id: uuid.UUID, now: datetime) -> bool:
        """True for the one caller that marked it used (an atomic compare-and-set)."""
        ...

    def use_all(self, user_id: uuid.UUID, purpose: Purpose, now: datetime) -> None:
        """Mark every unused token of the user for this purpose used (a reset ends them all)."""
        ...


def issue(
    repository: AccountTokenRepository,
    purpose: Purpose,
    user_id: uuid.UUID,
    email: str,
    ttl: timedelta,
    now: datetime,
) -> str:
    """A new token (the plain value, for the link); only its hash is stored."""
    plain = secrets.token_urlsafe(32)
    record = AccountToken(uuid.uuid4(), purpose, user_id, email, now + ttl, None)
    repository.add(hash_token(plain), record, now)
    return plain


def redeem(
    repository: AccountTokenRepository, purpose: Purpose, plain: str, now: datetime
) -> AccountToken:
    """The token's record, now used; InvalidAccountTokenError when it is unknown, for another
    purpose, expired or used before (by this call's loser of a race too)."""
    record = repository.find(hash_token(plain), purpose)
    if record is None:
        raise InvalidAccountTokenError("The link is not valid; ask for a new one.")
    if record.used_at is not None:
        raise InvalidAccountTokenError("The link was used already; ask for a new one.")
    if record.expires_at <= now:
        raise InvalidAccountTokenError("The link has expired; ask for a new one.")
    if not repository.use(record.id, now):
        raise InvalidAccountTokenError("The link was used already; ask for a new one.")
    return record
