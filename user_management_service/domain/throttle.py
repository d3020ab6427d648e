"""Login throttling: failed attempts per account and per client address in fixed windows.

The counters are stored (db: one row per key, an atomic upsert) so that every worker and
replica sharing the database sees the same numbers.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Protocol

from user_management_service.domain.errors import ThrottledError


@dataclass(frozen=True)
class Counter:
    window_start: float  # epoch seconds
    failures: int


@dataclass(frozen=True)
class ThrottlePolicy:
    window_seconds: int
    max_per_account: int
    max_per_address: int


class ThrottleRepository(Protocol):
    def get(self, key: str) -> Counter | None: ...

    def add_failure(self, key: str, now: float, window_seconds: int) -> None:
        """+1 in the current window, or start a new window at `now` with 1."""
        ...

    def clear(self, key: str) -> None: ...

    def prune(self, older_than: float) -> None: ...


class LoginThrottle:
    def __init__(
        self,
        repository: ThrottleRepository,
        *,
        window_seconds: int,
        max_per_account: int,
        max_per_address: int,
    ) -> None:
        self.repository = repository
        self.window = window_seconds
        self.limits = {"account": max_per_account, "address": max_per_address}

    @classmethod
    def of(cls, repository: ThrottleRepository, policy: ThrottlePolicy) -> LoginThrottle:
        return cls(
            repository,
            window_seconds=policy.window_seconds,
            max_per_account=policy.max_per_account,
            max_per_address=policy.max_per_address,
        )

    @staticmethod
    def keys(email: str, address: str) -> dict[str, str]:
        """Counter keys; the email only as a SHA-256 (fixed length, and the table does not
        keep a readable list of the emails that failed to log in)."""
        account = hashlib.sha256(email.encode("utf-8", "surrogatepass")).hexdigest()
        return {"account": f"account:{account}", "address": f"address:{address[:64]}"}

    def check(self, email: str, address: str, now: float) -> None:
        """Raise ThrottledError (with the seconds to wait) when either counter is full."""
        wait = 0.0
        for kind, key in self.keys(email, address).items():
            counter = self.repository.get(key)
            if counter is None or counter.failures < self.limits[kind]:
                continue
            remaining = counter.window_start + self.window - now
            wait = max(wait, remaining)
        if wait > 0:
            raise ThrottledError(max(1, math.ceil(wait)))

    def failed(self, email: str, address: str, now: float) -> None:
        for key in self.keys(email, address).values():
            self.repository.add_failure(key, now, self.window)
        if int(now * 1000) % 50 == 0:  # now and then, forget windows long over
            self.repository.prune(now - self.window)

    def succeeded(self, email: str, address: str) -> None:
        self.repository.clear(self.keys(email, address)["account"])
