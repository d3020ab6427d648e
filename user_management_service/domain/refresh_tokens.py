"""Refresh tokens: opaque 256-bit strings stored as SHA-256, rotated on every use within the
family started by one login; reusing a rotated token revokes the whole family."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from user_management_service.domain.errors import InvalidTokenError
from user_management_service.domain.users import utc_now

PRUNE_EVERY = 100  # about one issuance in this many also deletes long-expired tokens


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class RefreshRecord:
    id: uuid.UUID
    family_id: uuid.UUID
    user_id: uuid.UUID
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None


class RefreshTokenRepository(Protocol):
    def add(
        self,
        token_hash: str,
        family_id: uuid.UUID,
        user_id: uuid.UUID,
        created_at: datetime,
        expires_at: datetime,
    ) -> None: ...

    def find(self, token_hash: str) -> RefreshRecord | None: ...

    def mark_used(self, record_id: uuid.UUID, now: datetime) -> bool:
        """True for the one caller that marked it (an atomic compare-and-set)."""
        ...

    def revoke_family(self, family_id: uuid.UUID, now: datetime) -> None: ...

    def revoke_user(self, user_id: uuid.UUID, now: datetime) -> None: ...

    def prune(self, expired_before: datetime) -> None:
        """Forget tokens that expired before this instant (used, revoked or not)."""
        ...


class ReusedRefreshTokenError(InvalidTokenError):
    """The caller must commit the family's revocation before answering 401."""

    def __init__(self) -> None:
        super().__init__("The refresh token was already used; its whole family is revoked.")


class RefreshTokens:
    def __init__(self, repository: RefreshTokenRepository, ttl_seconds: int) -> None:
        self.repository = repository
        self.ttl = timedelta(seconds=ttl_seconds)

    def issue(self, user_id: uuid.UUID, family_id: uuid.UUID | None = None) -> str:
        token = secrets.token_urlsafe(32)
        now = utc_now()
        if secrets.randbelow(PRUNE_EVERY) == 0:
            # a day of grace: a reuse just after expiry still finds (and revokes) its family
            self.repository.prune(now - timedelta(days=1))
        self.repository.add(
            hash_token(token), family_id or uuid.uuid4(), user_id, now, now + self.ttl
        )
        return token

    def rotate(self, token: str) -> tuple[uuid.UUID, str]:
        """(user id, new token) for a token that is valid and not used before."""
        record = self.repository.find(hash_token(token))
        now = utc_now()
        if record is None:
            raise InvalidTokenError("The refresh token is unknown.")
        if record.revoked_at is not None:
            raise InvalidTokenError("The refresh token was revoked.")
        if record.used_at is not None or not self.repository.mark_used(record.id, now):
            self.repository.revoke_family(record.family_id, now)
            raise ReusedRefreshTokenError()
        if record.expires_at <= now:
            raise InvalidTokenError("The refresh token has expired.")
        return record.user_id, self.issue(record.user_id, record.family_id)

    def revoke(self, token: str) -> None:
        record = self.repository.find(hash_token(token))
        if record is not None:
            self.repository.revoke_family(record.family_id, utc_now())
