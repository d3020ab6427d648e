"""Password policy, and the port the services hash and check passwords through."""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 128


class PasswordHasher(Protocol):
    """Only the hash is ever stored (adapters.passwords: Argon2id)."""

    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...

    def dummy_verify(self, password: str) -> None:
        """Spend the time of a real verification (a login with an unknown email)."""
        ...


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
