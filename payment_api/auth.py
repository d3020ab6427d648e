"""Bearer access tokens issued by the user service: verification and the resulting principal.

A token is a JWT signed with an asymmetric key the user service publishes in its JWKS (looked
up by the header's `kid`). It must carry `sub`, `role` (`customer` or `admin`), `iss`, `aud`,
`exp` and `iat`; issuer and audience must be ours. Nothing is shared with the user service
but the public keys.

Verified tokens are cached (bounded LRU keyed by the raw token) so a client repeating its token
skips the signature check. An entry answers only while the token has not reached its `exp`
and the key that verified it is still the one in the fresh JWKS cache: when that cache expires
(or is refetched after a rotation) the token is verified again against the published keys, so
a token whose key is no longer published stays valid no longer than the JWKS cache period.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import jwt
from cachetools import TLRUCache
from jwt import PyJWK

from payment_api.gateways.jwks import JwksKeySource, UnknownKeyError

Role = Literal["customer", "admin"]
ROLES: frozenset[str] = frozenset({"customer", "admin"})
LEEWAY_SECONDS = 30  # clock skew between the two services
REQUIRED_CLAIMS = ["sub", "role", "iss", "aud", "exp", "iat"]
TOKEN_CACHE_SIZE = 4096  # verified tokens remembered per worker (~2 MB at most)


@dataclass(frozen=True)
class Principal:
    """Who calls: anonymous (`subject` None) or the token's user; the token is forwarded."""

    subject: str | None
    role: Role | None
    bearer_token: str | None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_authenticated(self) -> bool:
        return self.subject is not None


ANONYMOUS = Principal(subject=None, role=None, bearer_token=None)


class InvalidTokenError(Exception):
    """Expired, forged, for someone else, or malformed: the caller must get a new token."""


@dataclass(frozen=True)
class _Verified:
    principal: Principal
    kid: str
    key: PyJWK  # the cached key object that verified the signature
    expires: float  # the token's `exp` (wall clock)


class TokenVerifier:
    def __init__(
        self,
        keys: JwksKeySource,
        *,
        issuer: str,
        audience: str,
        cache_size: int = TOKEN_CACHE_SIZE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.clock = clock  # wall clock, compared with `exp`
        # Entries leave at the token's `exp` or as the least recently used (verify runs on the
        # event loop only: no lock needed).
        self._cache: TLRUCache[str, _Verified] = TLRUCache(
            maxsize=cache_size, ttu=lambda _token, entry, _now: entry.expires, timer=clock
        )

    def _cached(self, token: str) -> Principal | None:
        """The principal of a token verified before, while its `exp` and its key still hold."""
        entry = self._cache.get(token)
        if entry is None:
            return None
        if self.keys.cached_key(entry.kid) is not entry.key:
            del self._cache[token]
            return None
        return entry.principal

    def _remember(self, token: str, entry: _Verified) -> None:
        if self._cache.maxsize > 0:
            self._cache[token] = entry

    async def verify(self, token: str) -> Principal:
        """The principal of a valid token; InvalidTokenError or JwksUnavailableError otherwise."""
        cached = self._cached(token)
        if cached is not None:
            return cached
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidTokenError("malformed token") from None
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidTokenError("token has no key id (kid)")
        try:
            key = await self.keys.key(kid)
        except UnknownKeyError:
            raise InvalidTokenError("token signed by an unknown key") from None
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key.key,
                algorithms=[key.algorithm_name],
                audience=self.audience,
                issuer=self.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidTokenError("token expired") from None
        except jwt.InvalidAudienceError:
            raise InvalidTokenError("token is not meant for this API (aud)") from None
        except jwt.InvalidIssuerError:
            raise InvalidTokenError("token issued by someone else (iss)") from None
        except jwt.InvalidSignatureError:
            raise InvalidTokenError("token signature does not verify") from None
        except jwt.PyJWTError as exc:
            raise InvalidTokenError(f"invalid token: {exc}") from None
        subject, role = claims.get("sub"), claims.get("role")
        if not isinstance(subject, str) or not subject:
            raise InvalidTokenError("token has no subject")
        if role not in ROLES:
            raise InvalidTokenError("token has no known role")
        principal = Principal(subject=subject, role=role, bearer_token=token)
        self._remember(token, _Verified(principal, kid, key, float(claims["exp"])))
        return principal
