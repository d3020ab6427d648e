"""Public keys of the identity provider (the user service's JWKS), fetched and cached.

Non-blocking: the fetch goes through `httpx.AsyncClient` on the event loop; one `asyncio.Lock`
per key source makes concurrent requests that miss the cache wait for ONE fetch. Keys are
kept `cache_seconds`; a token whose `kid` is unknown causes a refetch (key rotation), but at
most one such refetch per `refresh_interval` so a flood of forged `kid`s cannot turn the
payment service into a load generator against the user service.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
from jwt import PyJWK
from jwt.exceptions import PyJWTError

log = logging.getLogger("payment_api.jwks")

# Asymmetric algorithms only: an HMAC or "none" key in a JWKS is never used.
ALLOWED_ALGORITHMS = frozenset({"EdDSA", "RS256", "ES256"})


class JwksUnavailableError(Exception):
    """The key set could not be fetched (down, timeout, non-200, not a JWKS)."""


class UnknownKeyError(Exception):
    """No published key has this `kid` (even after a refetch, or refetching is throttled)."""


class JwksKeySource:
    def __init__(
        self,
        url: str,
        *,
        cache_seconds: float,
        refresh_interval: float,
        timeout: float,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url
        self.cache_seconds = cache_seconds
        self.refresh_interval = refresh_interval
        self.timeout = timeout
        self.clock = clock
        self.transport = transport
        self.keys: dict[str, PyJWK] = {}
        self.fetched_at: float | None = None  # last successful fetch
        self.attempted_at: float | None = None  # last fetch attempt, successful or not
        self.fetches = 0
        self._lock: asyncio.Lock | None = None

    def _fresh(self) -> bool:
        return self.fetched_at is not None and self.clock() - self.fetched_at < self.cache_seconds

    async def key(self, kid: str) -> PyJWK:
        """The verification key for `kid`; JwksUnavailableError or UnknownKeyError otherwise."""
        if self._fresh() and kid in self.keys:
            return self.keys[kid]
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if not self._fresh():
                await self._refresh()  # expired or never fetched: must succeed
            elif kid not in self.keys and self._may_refetch():
                await self._refresh()  # unknown kid: perhaps a rotation
            found = self.keys.get(kid)
        if found is None:
            raise UnknownKeyError(f"no published key with kid {kid!r}")
        return found

    def cached_key(self, kid: str) -> PyJWK | None:
        """The key for `kid` if the cached key set is fresh and publishes it; never fetches."""
        return self.keys.get(kid) if self._fresh() else None

    def _may_refetch(self) -> bool:
        last = self.attempted_at
        return last is None or self.clock() - last >= self.refresh_interval

    async def _refresh(self) -> None:
        self.attempted_at = self.clock()
        self.fetches += 1
        try:
            async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport) as http:
                response = await http.get(self.url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise JwksUnavailableError(f"JWKS fetch failed: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise JwksUnavailableError(f"JWKS fetch answered {response.status_code}")
        try:
            document = response.json()
        except ValueError as exc:
            raise JwksUnavailableError("JWKS is not JSON") from exc
        self.keys = parse_jwks(document)
        self.fetched_at = self.clock()
        log.info("fetched %d signing key(s) from %s", len(self.keys), self.url)


def parse_jwks(document: Any) -> dict[str, PyJWK]:
    """kid -> key for every usable signing key; unusable entries are skipped, not fatal."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JwksUnavailableError("JWKS has no 'keys' list")
    keys: dict[str, PyJWK] = {}
    for entry in document["keys"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
            continue
        if entry.get("use", "sig") != "sig":
            continue
        try:
            jwk = PyJWK(entry)
        except (PyJWTError, ValueError, TypeError, KeyError) as exc:
            log.warning("skipping JWKS key %s: %s", entry.get("kid"), exc)
            continue
        if jwk.algorithm_name not in ALLOWED_ALGORITHMS:
            continue
        keys[entry["kid"]] = jwk
    return keys
