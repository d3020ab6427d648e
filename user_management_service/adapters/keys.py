"""Signing keys: Ed25519 PEM files `<kid>.pem` in JWT_KEYS_DIR, the kid starting with its UTC
creation time so the greatest kid is the newest key, which signs; every key in the folder
verifies. Files never change once written: a worker reloads only when the names change."""

from __future__ import annotations

import base64
import fcntl
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from user_management_service.domain.users import utc_now

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
