"""Bearer access tokens issued by the user service: verification and the resulting principal.

A token is a JWT signed with an asymmetric key the user service publishes in its JWKS (looked
up by the header's `kid`). It must carry `sub`, `iss`, `aud`, `exp` and `iat`; issuer and
audience must be ours. Nothing is shared with the user service but the public keys.

Two kinds of caller hold tokens, told apart by their claims, never both at once:
- a person: `role` (`customer` or `admin`), `sub` the user's id;
- an API client (OAuth2 client credentials, RFC 6749 section 4.4, shaped per RFC 9068):
  `client_id` (`cli_` and 24 lowercase hex digits), `sub` the same client id, `scope` the
  space-separated scopes it was granted, and no role.
A token with both a role and a client id, or with neither, is invalid.

Verified tokens are cached (service_kit.token_cache) while the key that verified them is still
the one in the fresh JWKS cache: a token whose key is no longer published stays valid no longer
than the JWKS cache period.
"""

from __future__ import annotations

import re
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
# Every token's; a person's also needs `role`, an API client's `client_id` (see verify).
REQUIRED_CLAIMS = ["sub", "iss", "aud", "exp", "iat"]
CLIENT_ID = re.compile(r"^cli_[0-9a-f]{24}$")
TOKEN_CACHE_SIZE = token_cache.DEFAULT_SIZE


@dataclass(frozen=True)
class Principal:
    """Who calls: anonymous (`subject` None), the token's user (a person with a role), or an
    API client (`client_id`, its granted `scopes`, no role); the token is forwarded."""

    subject: str | None  # a person's user id, or an API client's id
    role: Role | None
    bearer_token: str | None
    email_verified: bool = False  # the token's `email_verified` claim
    client_id: str | None = None  # an API client's: then `subject` is the same and role None
    scopes: frozenset[str] = frozenset()  # an API client's granted scopes

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_machine(self) -> bool:
        return self.client_id is not None

    @property
    def is_authenticated(self) -> bool:
        return self.subject is not None

    @property
    def user_id(self) -> str | None:
        """The person's user id; None for an API client and for anonymous callers, so that
        nothing keyed by user (ownership, idempotency, directory lookups) takes a client id."""
        return None if self.is_machine else self.subject


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
        principal = principal_of(claims, token)
        self._cache.put(token, principal, kid=kid, key=key, expires=float(claims["exp"]))
        return principal


def principal_of(claims: dict[str, Any], token: str) -> Principal:
    """A verified token's caller: a person (`role`) or an API client (`client_id`), not both."""
    subject, role, client_id = claims.get("sub"), claims.get("role"), claims.get("client_id")
    if not isinstance(subject, str) or not subject:
        raise InvalidTokenError("token has no subject")
    if role is not None and client_id is not None:
        raise InvalidTokenError("token has both a role and a client_id: a person or an API client")
    if client_id is not None:
        return _api_client(subject, client_id, claims.get("scope"), token)
    if role is None:
        raise InvalidTokenError(
            "token has neither a role (a person) nor a client_id (an API client)"
        )
    if role not in ROLES:
        raise InvalidTokenError("token has no known role")
    return Principal(
        subject=subject,
        role=role,
        bearer_token=token,
        email_verified=claims.get("email_verified") is True,
    )


def _api_client(subject: str, client_id: Any, scope: Any, token: str) -> Principal:
    if not isinstance(client_id, str) or not CLIENT_ID.fullmatch(client_id):
        raise InvalidTokenError("token's client_id is not an API client id (cli_...)")
    if subject != client_id:
        raise InvalidTokenError("an API client's token must have its client_id as subject")
    if scope is not None and not isinstance(scope, str):
        raise InvalidTokenError("token's scope must be a space-separated string")
    return Principal(
        subject=client_id,
        role=None,
        bearer_token=token,
        client_id=client_id,
        scopes=frozenset((scope or "").split()),
    )
