"""Bearer authentication of requests and the documented security requirements."""

from __future__ import annotations

from typing import Any

from flask import g, request

from user_management_service.api.context import container
from user_management_service.domain.access_tokens import Principal
from user_management_service.domain.errors import ForbiddenError, InvalidTokenError

REALM = "user-management"

# The OpenAPI security requirements of the operations (also in specs/user_management.yaml).
AUTHENTICATED: list[dict[str, list[str]]] = [{"OAuth2Password": []}, {"BearerAuth": []}]
OPTIONAL: list[dict[str, list[str]]] = [{}, *AUTHENTICATED]
PUBLIC: list[dict[str, list[str]]] = []  # stated explicitly: no token is needed

SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "OAuth2Password": {
        "type": "oauth2",
        "flows": {"password": {"tokenUrl": "/auth/token", "scopes": {}}},
    },
    "BearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
}


def _bearer() -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidTokenError("Send the access token as `Authorization: Bearer <token>`.")
    return token.strip()


def optional_principal() -> Principal | None:
    """The caller when a token is sent (and valid: a bad token is 401, never anonymous)."""
    if "principal" in g:
        cached: Principal | None = g.principal
        return cached
    token = _bearer()
    principal = None if token is None else container().auth.authenticate(token)
    g.principal = principal
    return principal


def require_principal() -> Principal:
    principal = optional_principal()
    if principal is None:
        raise InvalidTokenError("This operation needs a bearer access token.", missing=True)
    return principal


def require_admin() -> Principal:
    principal = require_principal()
    if not principal.is_admin:
        raise ForbiddenError("Only an admin may do this.")
    return principal


def www_authenticate(error: InvalidTokenError) -> str:
    if error.missing:
        return f'Bearer realm="{REALM}"'
    detail = str(error).replace('"', "'")
    return f'Bearer realm="{REALM}", error="invalid_token", error_description="{detail}"'
