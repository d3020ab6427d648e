"""Access tokens: the claims they carry, who they name, and the port that signs and verifies them
(adapters.jwt_tokens: EdDSA JWTs)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from user_management_service.domain.users import Role

REQUIRED_CLAIMS = ("sub", "role", "iss", "aud", "exp", "iat", "jti")


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
class AccessTokenPolicy:
    issuer: str
    audience: str
    ttl_seconds: int

    def claims(
        self, user_id: uuid.UUID, role: Role, now: datetime, *, email_verified: bool = False
    ) -> dict[str, Any]:
        issued = int(now.timestamp())
        return {
            "sub": str(user_id),
            "role": role.value,
            # OpenID Connect's claim name: a service's policy may ask for a verified email
            "email_verified": email_verified,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": issued,
            "exp": issued + self.ttl_seconds,
            "jti": uuid.uuid4().hex,
        }

    @staticmethod
    def principal(claims: Mapping[str, Any]) -> Principal:
        """The principal of verified claims; ValueError, TypeError or KeyError when malformed."""
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
    ) -> str: ...

    def verify(self, token: str) -> Principal:
        """The token's principal; InvalidTokenError saying why it is refused."""
        ...
