"""Secrets the service must read back (TOTP secrets), sealed with Fernet (AES-128-CBC and
HMAC-SHA256, from `cryptography`): the domain's SecretBox port.

The keys come from MFA_SECRET_KEYS (comma separated, the first seals, all open: rotation is
adding a new key in front, then dropping the old one once nothing is sealed with it), or,
when that is empty, from a key file created beside the signing keys (development).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

KEY_FILE = "mfa-secrets.key"


class SecretBox:
    """Keys are read at first use: a service that never seals needs no key (nor a writable
    key folder)."""

    def __init__(self, keys: Callable[[], list[str]]) -> None:
        self._keys = keys
        self._fernet: MultiFernet | None = None

    @classmethod
    def from_settings(cls, configured: str, keys_dir: Path) -> SecretBox:
        listed = [k.strip() for k in configured.split(",") if k.strip()]
        return cls(lambda: listed or [key_file(keys_dir)])

    def _box(self) -> MultiFernet:
        if self._fernet is None:
            self._fernet = MultiFernet([Fernet(key.encode("ascii")) for key in self._keys()])
        return self._fernet

    def seal(self, plain: str) -> str:
        return self._box().encrypt(plain.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._box().decrypt(sealed.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise ValueError("sealed with a key that is not configured (MFA_SECRET_KEYS)") from None


def key_file(directory: Path) -> str:
    """The development key, made once (0600, like the signing keys)."""
    path = directory / KEY_FILE
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another worker made it first
        else:
            with os.fdopen(fd, "w") as out:
                out.write(Fernet.generate_key().decode("ascii"))
    return path.read_text().strip()
