"""Access tokens as EdDSA JWTs (PyJWT) signed by the key store's newest key: the domain's
AccessTokens port. Verified tokens are cached (service_kit.token_cache) while their key file is
unchanged; AuthService.authenticate still reads the caller's row on every request."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime

import jwt

from service_kit.token_cache import DEFAULT_SIZE, VerifiedTokenCache
from user_management_service.adapters.keys import KeyStore, SigningKey
from user_management_service.domain.access_tokens import (
    REQUIRED_CLAIMS,
    AccessTokenPolicy,
    Caller,
)
from user_management_service.domain.errors import InvalidTokenError
from user_management_service.domain.users import Role, utc_now

LEEWAY_SECONDS = 5


class JwtAccessTokens:
    def __init__(
        self,
        keys: KeyStore,
        issuer: str,
        audience: str,
        ttl_seconds: int,
        *,
        cache_size: int = DEFAULT_SIZE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.keys = keys
        self.policy = AccessTokenPolicy(issuer, audience, ttl_seconds)
        self._verified: VerifiedTokenCache[Caller] = VerifiedTokenCache(cache_size, clock)

    @property
    def ttl_seconds(self) -> int:
        return self.policy.ttl_seconds

    def issue(
        self,
        user_id: uuid.UUID,
        role: Role,
        now: datetime | None = None,
        *,
        email_verified: bool = False,
        mfa: bool = False,
    ) -> str:
        key = self.keys.signing_key()
        claims = self.policy.claims(
            user_id, role, now or utc_now(), email_verified=email_verified, mfa=mfa
        )
        return jwt.encode(claims, key.private_key, algorithm="EdDSA", headers={"kid": key.kid})

    def issue_for_client(
        self, client_id: str, scopes: Sequence[str], now: datetime | None = None
    ) -> str:
        key = self.keys.signing_key()
        claims = self.policy.client_claims(client_id, scopes, now or utc_now())
        return jwt.encode(claims, key.private_key, algorithm="EdDSA", headers={"kid": key.kid})

    def verify(self, token: str) -> Caller:
        cached = self._verified.get(token, self.keys.find)
        if cached is not None:
            return cached
        principal, key, expires = self._verify_signature(token)
        self._verified.put(token, principal, kid=key.kid, key=key, expires=expires)
        return principal

    def _verify_signature(self, token: str) -> tuple[Caller, SigningKey, float]:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self.keys.find(kid) if isinstance(kid, str) else None
            if key is None:
                raise InvalidTokenError("The token is signed by an unknown key.")
            claims = jwt.decode(
                token,
                key.private_key.public_key(),
                algorithms=["EdDSA"],
                audience=self.policy.audience,
                issuer=self.policy.issuer,
                options={"require": list(REQUIRED_CLAIMS)},
                leeway=LEEWAY_SECONDS,
            )
            return self.policy.principal(claims), key, float(claims["exp"])
        except jwt.ExpiredSignatureError:
            raise InvalidTokenError("The token has expired.") from None
        except jwt.InvalidAudienceError:
            raise InvalidTokenError("The token is not meant for this audience.") from None
        except jwt.InvalidIssuerError:
            raise InvalidTokenError("The token has another issuer.") from None
        except jwt.InvalidSignatureError:
            raise InvalidTokenError("The token signature does not verify.") from None
        except (jwt.InvalidTokenError, ValueError, TypeError, KeyError):
            raise InvalidTokenError("The token is malformed.") from None
