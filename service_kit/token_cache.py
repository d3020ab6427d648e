"""Verified access tokens remembered per worker, so a client repeating its token skips the
signature check.

An entry is keyed by the raw token and answers until the token's `exp` (cachetools TLRUCache,
bounded LRU), and only while the key that verified it is still the one the service's key source
holds: a rotation that drops the key, or a reload that replaces it, means a fresh check.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from cachetools import TLRUCache

DEFAULT_SIZE = 4096  # tokens per worker (~2 MB at most)
V = TypeVar("V")


@dataclass(frozen=True)
class _Entry(Generic[V]):
    value: V
    kid: str
    key: object  # the loaded key object that verified the signature
    expires: float  # the token's `exp` (wall clock)


class VerifiedTokenCache(Generic[V]):
    def __init__(self, maxsize: int = DEFAULT_SIZE, clock: Callable[[], float] = time.time) -> None:
        self._entries: TLRUCache[str, _Entry[V]] = TLRUCache(
            maxsize=maxsize, ttu=lambda _token, entry, _now: entry.expires, timer=clock
        )
        self._lock = threading.Lock()  # threaded workers share one instance

    def get(self, token: str, current_key: Callable[[str], object | None]) -> V | None:
        """What `put` stored for this token, unless past its `exp` or its key is no longer the
        one `current_key(kid)` returns (identity, not equality: a reloaded key is new)."""
        with self._lock:
            entry = self._entries.get(token)
        if entry is None:
            return None
        if current_key(entry.kid) is not entry.key:
            with self._lock:
                self._entries.pop(token, None)
            return None
        return entry.value

    def put(self, token: str, value: V, *, kid: str, key: object, expires: float) -> None:
        if self._entries.maxsize <= 0:
            return
        with self._lock:
            self._entries[token] = _Entry(value, kid, key, expires)
