"""Signing keys (Ed25519 PEM files), EdDSA access tokens and rotating refresh tokens.

Keys: `<kid>.pem` files in JWT_KEYS_DIR. The kid starts with its UTC creation time, so the
greatest kid is the newest key, which signs; every key in the folder verifies and is
published in the JWKS, until `rotate-key` prunes keys retired for longer than an access
token lives. Key files never change once written, so each worker reloads the keys when the
list of file names changes (a directory listing per request, no restart needed).
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import os
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import jwt
from cachetools import TLRUCache
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from user_management_service.domain.errors import InvalidTokenError
from user_management_service.domain.users import Role, utc_now

KID_TIME = "%Y%m%dT%H%M%S.%fZ"  # sortable: the greatest kid is the newest key


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: Ed25519PrivateKey

    @property
    def created_at(self) -> datetime:
        stamp = self.kid.split("-", 1)[0]
        for layout in (KID_TIME, "%Y%m%dT%H%M%SZ"):
            try:
                return datetime.strptime(stamp, layout).replace(tzinfo=UTC)
            except ValueError:
                continue
        return datetime.min.replace(tzinfo=UTC)  # a foreign name: the oldest

    def jwk(self) -> dict[str, str]:
        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": x,
            "kid": self.kid,
            "alg": "EdDSA",
            "use": "sig",
        }


class KeyStore:
    """The Ed25519 keys of a folder, reloaded when the folder changes."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._stamp: tuple[str, ...] | None = None
        self._keys: list[SigningKey] = []

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """An exclusive lock across processes (two workers starting at once)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _write(self, now: datetime, after: SigningKey | None = None) -> SigningKey:
        if after is not None and now <= after.created_at:  # clock went back, or same instant
            now = after.created_at + timedelta(microseconds=1)
        kid = f"{now.strftime(KID_TIME)}-{secrets.token_hex(4)}"
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        tmp = self.directory / f".{kid}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        os.replace(tmp, self.directory / f"{kid}.pem")
        self._stamp = None
        return SigningKey(kid, key)

    def ensure(self) -> None:
        """Create the first key when the folder has none (safe with concurrent workers)."""
        with self._locked():
            if not any(self.directory.glob("*.pem")):
                self._write(utc_now())

    def rotate(self, retire_after: timedelta, now: datetime | None = None) -> SigningKey:
        """Add a new signing key; delete keys retired for longer than `retire_after`."""
        now = now or utc_now()
        with self._locked():
            keys = self._read(self._names())
            new = self._write(now, keys[-1] if keys else None)
            successors = [*keys[1:], new]
            for key, successor in zip(keys, successors, strict=True):
                if successor.created_at + retire_after < now:
                    (self.directory / f"{key.kid}.pem").unlink(missing_ok=True)
        return new

    def _names(self) -> tuple[str, ...]:
        return tuple(sorted(n for n in os.listdir(self.directory) if n.endswith(".pem")))

    def _read(self, names: tuple[str, ...]) -> list[SigningKey]:
        keys = []
        for name in names:
            path = self.directory / name
            try:
                key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            except FileNotFoundError:  # pruned meanwhile
                continue
            if isinstance(key, Ed25519PrivateKey):
                keys.append(SigningKey(path.stem, key))
        return keys

    def published(self) -> list[SigningKey]:
        """Every key of the folder, oldest first (the last one signs)."""
        names = self._names()
        if names != self._stamp:
            self._keys = self._read(names)
            self._stamp = names
        if not self._keys:
            raise RuntimeError(f"no signing key in {self.directory}")
        return self._keys

    def signing_key(self) -> SigningKey:
        return self.published()[-1]

    def find(self, kid: str) -> SigningKey | None:
        return next((k for k in self.published() if k.kid == kid), None)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [key.jwk() for key in reversed(self.published())]}


@dataclass(frozen=True)
class Principal:
    """The caller, as an access token says."""

    user_id: uuid.UUID
    role: Role
    token_id: str

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


TOKEN_CACHE_SIZE = 4096  # verified access tokens remembered per worker (~2 MB at most)


@dataclass(frozen=True)
class _Verified:
    principal: Principal
    key: SigningKey  # the loaded key that verified the signature
    expires: float  # the token's `exp`


class AccessTokens:
    """Issues and verifies access tokens. A verified token is remembered (bounded LRU) until
    its `exp`, and only while the key that verified it is still the one the folder holds
    (a rotation that prunes it, or any change of the folder, means a fresh check): a client
    repeating its token skips the signature check. The caller's row is still read on every
    request (security.optional_principal), so deactivation takes effect at once."""

    def __init__(
        self,
        keys: KeyStore,
        issuer: str,
        audience: str,
        ttl_seconds: int,
        *,
        cache_size: int = TOKEN_CACHE_SIZE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.ttl_seconds = ttl_seconds
        self._verified: TLRUCache[str, _Verified] = TLRUCache(
            maxsize=cache_size, ttu=lambda _token, entry, _now: entry.expires, timer=clock
        )
        self._lock = threading.Lock()  # gunicorn gthread workers share one instance

    def issue(self, user_id: uuid.UUID, role: Role, now: datetime | None = None) -> str:
        now = now or utc_now()
        key = self.keys.signing_key()
        claims: dict[str, Any] = {
            "sub": str(user_id),
            "role": role.value,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": int(now.timestamp()),
            "exp": int(now.timestamp()) + self.ttl_seconds,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, key.private_key, algorithm="EdDSA", headers={"kid": key.kid})

    def verify(self, token: str) -> Principal:
        with self._lock:
            entry = self._verified.get(token)
        if entry is not None and self.keys.find(entry.key.kid) is entry.key:
            return entry.principal
        principal, key, expires = self._verify_signature(token)
        if self._verified.maxsize > 0:
            with self._lock:
                self._verified[token] = _Verified(principal, key, expires)
        return principal

    def _verify_signature(self, token: str) -> tuple[Principal, SigningKey, float]:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self.keys.find(kid) if isinstance(kid, str) else None
            if key is None:
                raise InvalidTokenError("The token is signed by an unknown key.")
            claims = jwt.decode(
                token,
                key.private_key.public_key(),
                algorithms=["EdDSA"],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["sub", "role", "iss", "aud", "exp", "iat", "jti"]},
                leeway=5,
            )
            principal = Principal(
                uuid.UUID(claims["sub"]), Role(claims["role"]), str(claims["jti"])
            )
            return principal, key, float(claims["exp"])
        except jwt.ExpiredSignatureError:
            raise InvalidTokenError("The token has expired.") from None
        except jwt.InvalidAudienceError:
            raise InvalidTokenError("The token is not meant for this audience.") from None
        except jwt.InvalidIssuerError:
            raise InvalidTokenError("The token has another issuer.") from None
        except jwt.InvalidSignatureError:
            raise InvalidTokenError("The token signature does not verify.") from None
        except (jwt.InvalidTokenError, ValueError, TypeError):
            raise InvalidTokenError("The token is malformed.") from None


# --- refresh tokens -----------------------------------------------------------------------


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


PRUNE_EVERY = 100  # about one token issuance in this many also deletes long-expired tokens


class RefreshTokens:
    """Opaque 256-bit tokens, stored as SHA-256; each use rotates it inside its family."""

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
        """(user id, new token); reusing a rotated token revokes its whole family."""
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


class ReusedRefreshTokenError(InvalidTokenError):
    """The caller must commit the revocation before answering 401."""

    def __init__(self) -> None:
        super().__init__("The refresh token was already used; its whole family is revoked.")
