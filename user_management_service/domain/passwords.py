"""Argon2id password hashing (argon2-cffi); the hash is the only thing ever stored."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class PasswordHashing:
    def __init__(self, time_cost: int = 2, memory_cost_kib: int = 19 * 1024) -> None:
        # argon2-cffi's PasswordHasher uses Argon2id by default; OWASP's minimum is m=19 MiB, t=2.
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost_kib)
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def dummy_verify(self, password: str) -> None:
        """Spend the time of a real verification (login with an unknown email)."""
        if self._dummy is None:
            self._dummy = self._hasher.hash("dummy password for timing only")
        self.verify(self._dummy, password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 128


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords of zxcvbn's frequency lists (lower-cased)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-untyped]

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def password_problem(password: str) -> str | None:
    """Why this password is refused, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Shorter than minimum length {MIN_PASSWORD_LENGTH}."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Longer than maximum length {MAX_PASSWORD_LENGTH}."
    if password.strip().lower() in common_passwords():
        return "This password is one of the most common passwords; choose another."
    return None
