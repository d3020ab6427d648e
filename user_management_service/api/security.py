"""Bearer authentication of requests and the documented security requirements."""

from __future__ import annotations

import ipaddress
from typing import Any

from flask import g, request

from user_management_service.api.context import client_address, container
from user_management_service.domain.access_tokens import Caller, ClientPrincipal, Principal
from user_management_service.domain.api_clients import SCOPES
from user_management_service.domain.errors import (
    ForbiddenError,
    InsufficientScopeError,
    InvalidEndUserAddressError,
    InvalidTokenError,
)

REALM = "user-management"

# The OpenAPI security requirements of the operations (also in specs/user_management.yaml).
AUTHENTICATED: list[dict[str, list[str]]] = [{"OAuth2Password": []}, {"BearerAuth": []}]
OPTIONAL: list[dict[str, list[str]]] = [{}, *AUTHENTICATED]
PUBLIC: list[dict[str, list[str]]] = []  # stated explicitly: no token is needed
CLIENT_SCHEME = "OAuth2ClientCredentials"


END_USER_HEADER = "X-End-User-Address"
MAX_END_USER_ADDRESS = 45  # the longest IPv6 text form (with an embedded IPv4 address)
PROXY_SCOPE = "auth:proxy"
# Public operations a web frontend's backend calls for its users: with its API client's token
# (scope auth:proxy) it may say whose address the request is, for the throttles.
FORWARDING: list[dict[str, list[str]]] = [{}, {CLIENT_SCHEME: [PROXY_SCOPE]}]
END_USER_PARAMETER = {
    "in": "header",
    "name": END_USER_HEADER,
    "required": False,
    "schema": {"type": "string", "maxLength": MAX_END_USER_ADDRESS},
}


def people_or_client(scope: str) -> list[dict[str, list[str]]]:
    """A person's token (the role decides), or an API client's with `scope`."""
    return [*AUTHENTICATED, {CLIENT_SCHEME: [scope]}]


SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "OAuth2Password": {
        "type": "oauth2",
        "flows": {"password": {"tokenUrl": "/auth/token", "scopes": {}}},
    },
    "BearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    CLIENT_SCHEME: {
        "type": "oauth2",
        "flows": {"clientCredentials": {"tokenUrl": "/auth/token", "scopes": SCOPES}},
    },
}


def _bearer() -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidTokenError("Send the access token as `Authorization: Bearer <token>`.")
    return token.strip()


def optional_caller() -> Caller | None:
    """The caller when a token is sent (and valid: a bad token is 401, never anonymous)."""
    if "caller" in g:
        cached: Caller | None = g.caller
        return cached
    token = _bearer()
    caller = None if token is None else container().auth.authenticate(token)
    g.caller = caller
    return caller


def optional_principal() -> Principal | None:
    """The person calling, if any: an API client's token is refused where only people may
    act (403: the token is valid, this operation is not for it)."""
    caller = optional_caller()
    if isinstance(caller, ClientPrincipal):
        raise ForbiddenError("API clients may not do this; it needs a user's token.")
    return caller


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


def throttle_address() -> str:
    """The address the throttles count: the end user's, when a frontend's backend says it
    (X-End-User-Address with an API client's token holding auth:proxy); the client's
    otherwise. Without such a token the header is ignored: anyone can write a header."""
    forwarded = request.headers.get(END_USER_HEADER)
    if forwarded is None:
        return client_address()
    if len(forwarded) > MAX_END_USER_ADDRESS:
        raise InvalidEndUserAddressError(END_USER_HEADER)
    caller = optional_caller()
    if not isinstance(caller, ClientPrincipal) or PROXY_SCOPE not in caller.scopes:
        return client_address()
    try:
        return str(ipaddress.ip_address(forwarded.strip()))
    except ValueError:
        raise InvalidEndUserAddressError(END_USER_HEADER) from None


def require_admin_or_scope(scope: str) -> Caller:
    """An admin, or an API client whose token holds `scope` (403 naming it otherwise)."""
    caller = optional_caller()
    if caller is None:
        raise InvalidTokenError("This operation needs a bearer access token.", missing=True)
    if isinstance(caller, ClientPrincipal):
        require_scope(caller, scope)
    elif not caller.is_admin:
        raise ForbiddenError(f"Only an admin, or an API client with scope {scope}, may do this.")
    return caller


def require_scope(client: ClientPrincipal, scope: str) -> None:
    if scope not in client.scopes:
        raise InsufficientScopeError(scope)


def insufficient_scope(error: InsufficientScopeError) -> str:
    """RFC 6750 §3.1: the challenge names the scope the token lacks."""
    return f'Bearer realm="{REALM}", error="insufficient_scope", scope="{error.scope}"'


def www_authenticate(error: InvalidTokenError) -> str:
    if error.missing:
        return f'Bearer realm="{REALM}"'
    detail = str(error).replace('"', "'")
    return f'Bearer realm="{REALM}", error="invalid_token", error_description="{detail}"'
