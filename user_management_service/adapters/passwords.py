"""Argon2id password hashing (argon2-cffi): the domain's PasswordHasher."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class PasswordHashing:
    def __init__(self, time_cost: int = 2, memory_cost_kib: int = 19 * 1024) -> None:
        # argon2-cffi hashes with Argon2id by default; OWASP's minimum is m=19 MiB, t=2.
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost_kib)
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def dummy_verify(self, password: str) -> None:
        if self._dummy is None:
            self._dummy = self._hasher.hash("dummy password for timing only")
        self.verify(self._dummy, password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
