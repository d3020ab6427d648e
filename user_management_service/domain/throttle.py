"""Login throttling that slows attackers, not owners (OWASP Authentication Cheat Sheet).

Three counters of failed logins, stored (one row per key, an atomic upsert) so that every
worker and replica sharing the database sees the same numbers:

- per (account, client address) pair: past `max_per_pair` failures that address waits for
  that account, longer after every further failure (`base_delay` doubling, up to `window`);
- per client address, across accounts: the same past `max_per_address` (one address trying
  many accounts);
- per account, across addresses: past `max_per_account`, a wrong password from anywhere is
  refused with the wait, but the RIGHT password from an address that has not been failing for
  this account still signs in. So a stranger who knows an email can slow the guessing of its
  password, never lock its owner out.

A counter forgets its failures two windows after the last one: longer than the longest wait,
so waiting out a block never earns a fresh set of attempts. An admin's unlock clears an
account's counters. Every refusal is logged with the counter that made it.
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass
from typing import Literal, Protocol

from user_management_service.domain.errors import ThrottledError

log = logging.getLogger("user_management_service.throttle")
Kind = Literal["pair", "address", "account"]


@dataclass(frozen=True)
class Counter:
    failures: int
    last_failure_at: float  # epoch seconds


@dataclass(frozen=True)
class ThrottlePolicy:
    window_seconds: int
    max_per_pair: int
    max_per_address: int
    max_per_account: int
    base_delay_seconds: int = 30


class ThrottleRepository(Protocol):
    def get(self, key: str) -> Counter | None: ...

    def add_failure(self, key: str, now: float, window_seconds: int) -> None:
        """+1, or 1 when the last failure is more than `window_seconds` ago."""
        ...

    def clear(self, key: str) -> None: ...

    def clear_prefix(self, prefix: str) -> int:
        """Remove every counter whose key starts with `prefix`; how many there were."""
        ...

    def prune(self, older_than: float) -> None:
        """Forget counters whose last failure is before `older_than`."""
        ...


def account_key(email: str) -> str:
    """The email only as a SHA-256: fixed length, and the table keeps no readable list of the
    emails that failed to log in."""
    return hashlib.sha256(email.encode("utf-8", "surrogatepass")).hexdigest()


class LoginThrottle:
    def __init__(self, repository: ThrottleRepository, policy: ThrottlePolicy) -> None:
        self.repository = repository
        self.policy = policy
        self.limits: dict[Kind, int] = {
            "pair": policy.max_per_pair,
            "address": policy.max_per_address,
            "account": policy.max_per_account,
        }

    @staticmethod
    def keys(email: str, address: str) -> dict[Kind, str]:
        account = account_key(email)
        return {
            "pair": f"pair:{account}:{address[:64]}",
            "address": f"address:{address[:64]}",
            "account": f"account:{account}",
        }

    def wait(self, kind: Kind, counter: Counter | None, now: float) -> float:
        """Seconds `counter` still refuses logins for (0: none). At the limit the wait is
        `base_delay`; it doubles with every failure beyond, up to the window."""
        limit = self.limits[kind]
        if counter is None or counter.failures < limit:
            return 0.0
        window = self.policy.window_seconds
        doublings = min(counter.failures - limit, 32)
        delay = min(window, self.policy.base_delay_seconds << doublings)
        return max(0.0, counter.last_failure_at + delay - now)

    def before_verifying(self, email: str, address: str, now: float) -> None:
        """Refuse an address that has been failing, for this account or for many."""
        keys = self.keys(email, address)
        for kind in ("pair", "address"):
            self._refuse_if_waiting(kind, keys[kind], email, address, now)

    def after_verifying(self, email: str, address: str, verified: bool, now: float) -> None:
        """An account under attack refuses every wrong password, and a right one only from an
        address that has been failing for it (that one waits out the account's delay)."""
        keys = self.keys(email, address)
        pair = self.repository.get(keys["pair"])
        if verified and (pair is None or pair.failures == 0):
            return
        self._refuse_if_waiting("account", keys["account"], email, address, now)

    def _refuse_if_waiting(self, kind: Kind, key: str, email: str, address: str,
                           now: float) -> None:  # fmt: skip
        counter = self.repository.get(key)
        wait = self.wait(kind, counter, now)
        if wait <= 0:
            return
        assert counter is not None
        log.warning(
            "login refused: %s counter at %d failures, %d s to wait (account %s, address %s)",
            kind, counter.failures, math.ceil(wait), account_key(email)[:12], address[:64],
        )  # fmt: skip
        raise ThrottledError(max(1, math.ceil(wait)))

    @property
    def forget_after(self) -> int:
        return 2 * self.policy.window_seconds

    def failed(self, email: str, address: str, now: float) -> None:
        for key in self.keys(email, address).values():
            self.repository.add_failure(key, now, self.forget_after)
        if int(now * 1000) % 50 == 0:  # now and then, forget counters long idle
            self.repository.prune(now - self.forget_after)

    def succeeded(self, email: str, address: str) -> None:
        """The owner is in from this address: its pair counter starts afresh. The account's
        stays: an attack from elsewhere goes on being slowed."""
        self.repository.clear(self.keys(email, address)["pair"])

    def unlock(self, email: str) -> int:
        """An admin's unlock: the account's counters, for every address; how many there were."""
        account = account_key(email)
        cleared = self.repository.clear_prefix(f"pair:{account}:")
        cleared += self.repository.clear_prefix(f"account:{account}")
        log.warning("login counters of account %s cleared by an admin (%d)", account[:12], cleared)
        return cleared
