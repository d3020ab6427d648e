"""Bearer access tokens issued by the user service: verification and the resulting principal.

A token is a JWT signed with an asymmetric key the user service publishes in its JWKS (looked
up by the header's `kid`). It must carry `sub`, `role` (`customer` or `admin`), `iss`, `aud`,
`exp` and `iat`; issuer and audience must be ours. Nothing is shared with the user service
but the public keys.

Verified tokens are cached (service_kit.token_cache) while the key that verified them is still
the one in the fresh JWKS cache: a token whose key is no longer published stays valid no longer
than the JWKS cache period.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import jwt

from payment_api.gateways.jwks import JwksKeySource, UnknownKeyError
from service_kit import token_cache

Role = Literal["customer", "admin"]
ROLES: frozenset[str] = frozenset({"customer", "admin"})
LEEWAY_SECONDS = 30  # clock skew between the two services
REQUIRED_CLAIMS = ["sub", "role", "iss", "aud", "exp", "iat"]
TOKEN_CACHE_SIZE = token_cache.DEFAULT_SIZE


@dataclass(frozen=True)
class Principal:
    """Who calls: anonymous (`subject` None) or the token's user; the token is forwarded."""

    subject: str | None
    role: Role | None
    bearer_token: str | None
    email_verified: bool = False  # the token's `email_verified` claim

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_authenticated(self) -> bool:
        return self.subject is not None


ANONYMOUS = Principal(subject=None, role=None, bearer_token=None)


class InvalidTokenError(Exception):
    """Expired, forged, for someone else, or malformed: the caller must get a new token."""


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
        self._cache: token_cache.VerifiedTokenCache[Principal] = token_cache.VerifiedTokenCache(
            cache_size, clock
        )

    async def verify(self, token: str) -> Principal:
        """The principal of a valid token; InvalidTokenError or JwksUnavailableError otherwise."""
        cached = self._cache.get(token, self.keys.cached_key)
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
        principal = Principal(
            subject=subject,
            role=role,
            bearer_token=token,
            email_verified=claims.get("email_verified") is True,
        )
        self._cache.put(token, principal, kid=kid, key=key, expires=float(claims["exp"]))
        return principal
