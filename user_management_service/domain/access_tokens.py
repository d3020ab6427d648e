"""Access tokens: the claims they carry, who they name, and the port that signs and verifies them
(adapters.jwt_tokens: EdDSA JWTs)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from user_management_service.domain.users import Role

# A person's token also carries `role`; an API client's carries `client_id` and `scope`
# (RFC 9068's shape) and no role: exactly one of the two, or the token is malformed.
REQUIRED_CLAIMS = ("sub", "iss", "aud", "exp", "iat", "jti")


@dataclass(frozen=True)
class Principal:
    """The caller, as an access token says."""

    user_id: uuid.UUID
    role: Role
    token_id: str

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


@dataclass(frozen=True)
class ClientPrincipal:
    """An API client calling with a client-credentials token: what its scopes allow."""

    client_id: str
    scopes: frozenset[str]
    token_id: str


Caller = Principal | ClientPrincipal


@dataclass(frozen=True)
class AccessTokenPolicy:
    issuer: str
    audience: str
    ttl_seconds: int

    def claims(
        self,
        user_id: uuid.UUID,
        role: Role,
        now: datetime,
        *,
        email_verified: bool = False,
        mfa: bool = False,
    ) -> dict[str, Any]:
        issued = int(now.timestamp())
        return {
            "sub": str(user_id),
            "role": role.value,
            # OpenID Connect's claim name: a service's policy may ask for a verified email
            "email_verified": email_verified,
            # RFC 8176's methods: a password, and a one-time code when the user has a factor
            "amr": ["pwd", "otp"] if mfa else ["pwd"],
            "iss": self.issuer,
            "aud": self.audience,
            "iat": issued,
            "exp": issued + self.ttl_seconds,
            "jti": uuid.uuid4().hex,
        }

    def client_claims(self, client_id: str, scopes: Sequence[str], now: datetime) -> dict[str, Any]:
        issued = int(now.timestamp())
        return {
            "sub": client_id,
            "client_id": client_id,
            "scope": " ".join(scopes),
            "iss": self.issuer,
            "aud": self.audience,
            "iat": issued,
            "exp": issued + self.ttl_seconds,
            "jti": uuid.uuid4().hex,
        }

    @staticmethod
    def principal(claims: Mapping[str, Any]) -> Caller:
        """The caller of verified claims; ValueError, TypeError or KeyError when malformed."""
        if "client_id" in claims:
            client_id, scope = claims["client_id"], claims["scope"]
            if "role" in claims or claims["sub"] != client_id or not isinstance(scope, str):
                raise ValueError("a client token names its client as sub and has no role")
            return ClientPrincipal(str(client_id), frozenset(scope.split()), str(claims["jti"]))
        return Principal(uuid.UUID(claims["sub"]), Role(claims["role"]), str(claims["jti"]))


class AccessTokens(Protocol):
    @property
    def ttl_seconds(self) -> int: ...

    def issue(
        self,
        user_id: uuid.UUID,
        role: Role,
        now: datetime | None = None,
        *,
        email_verified: bool = False,
        mfa: bool = False,
    ) -> str: ...

    def issue_for_client(
        self, client_id: str, scopes: Sequence[str], now: datetime | None = None
    ) -> str: ...

    def verify(self, token: str) -> Caller:
        """The token's caller; InvalidTokenError saying why it is refused."""
        ...
