"""Ed25519 keys and access tokens made in the test, shaped like the user service's."""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from payment_api.settings import Settings

ISSUER = Settings.model_fields["jwt_issuer"].default
AUDIENCE = Settings.model_fields["jwt_audience"].default
AUTO = "<a fresh user id>"


@dataclass
class SigningKey:
    kid: str = field(default_factory=lambda: f"test-{uuid.uuid4().hex[:8]}")
    private: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)

    def jwk(self) -> dict[str, Any]:
        public: dict[str, Any] = json.loads(OKPAlgorithm.to_jwk(self.private.public_key()))
        return {**public, "kid": self.kid, "alg": "EdDSA", "use": "sig"}

    def token(
        self,
        sub: str | None = AUTO,
        role: str | None = "customer",
        *,
        ttl: int = 900,
        headers: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        now = int(time.time())
        payload: dict[str, Any] = {
            "sub": str(uuid.uuid4()) if sub == AUTO else sub,
            "role": role,
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + ttl,
            "jti": uuid.uuid4().hex,
            **claims,
        }
        payload = {k: v for k, v in payload.items() if v is not None}
        return jwt.encode(
            payload, self.private, algorithm="EdDSA", headers={"kid": self.kid, **(headers or {})}
        )

    def client_token(self, scope: str, client_id: str | None = None, **claims: Any) -> str:
        """An API client's access token (client credentials, RFC 9068): `client_id` as `sub`
        too, the granted `scope`, no role, as the user service issues them."""
        client = client_id or new_client_id()
        return self.token(client, None, client_id=client, scope=scope, **claims)


def new_client_id() -> str:
    return f"cli_{secrets.token_hex(12)}"


class FakeJwks:
    """A JWKS endpoint in a MockTransport: the published keys can change, it can go down."""

    def __init__(self, *keys: SigningKey) -> None:
        self.keys = list(keys)
        self.down = False
        self.requests = 0
        self.on_request: Callable[[], None] | None = None

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.on_request is not None:
            self.on_request()
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, json={"keys": [k.jwk() for k in self.keys]})

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)
