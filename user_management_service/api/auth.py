"""OAuth2 password and client-credentials grants, refresh rotation, logout and the JWKS of the
signing keys."""

# flask-smorest ships no type hints: its decorators keep our typed signatures but mypy cannot know.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from flask import request
from flask_smorest import Blueprint

from user_management_service.api import schemas
from user_management_service.api.context import container
from user_management_service.api.security import (
    END_USER_PARAMETER,
    FORWARDING,
    PUBLIC,
    throttle_address,
)
from user_management_service.domain.api_clients import ClientToken
from user_management_service.domain.authentication import IssuedTokens
from user_management_service.domain.errors import InvalidClientError

blp = Blueprint("auth", __name__, description="Tokens: log in, refresh, log out, signing keys.")

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
NO_STORE_DOC = {
    "Cache-Control": {"description": "Always `no-store`.", "schema": {"type": "string"}}
}
JWKS_CACHE_DOC = {
    "Cache-Control": {
        "description": "Public and cacheable for 5 minutes (`public, max-age=300`).",
        "schema": {"type": "string"},
    }
}


def client_token_response(token: ClientToken) -> tuple[dict[str, Any], int, dict[str, str]]:
    body = {
        "access_token": token.access_token,
        "token_type": "Bearer",
        "expires_in": token.expires_in,
        "scope": token.scope,
    }
    return body, 200, NO_STORE


def client_credentials(form: dict[str, Any]) -> tuple[str, str]:
    """The client's id and secret: HTTP Basic (RFC 6749 §2.3.1, each form-url-encoded) or
    `client_id` and `client_secret` in the body; exactly one of the two ways."""
    basic = request.authorization
    in_body = "client_id" in form or "client_secret" in form
    if basic is not None and basic.type == "basic":
        if in_body:
            raise InvalidClientError("Authenticate the client one way: Basic or the body.")
        return unquote_plus(basic.username or ""), unquote_plus(basic.password or "")
    if not form.get("client_id") or not form.get("client_secret"):
        raise InvalidClientError("Authenticate the client: HTTP Basic, or client_id and "
                                 "client_secret in the body.")  # fmt: skip
    return form["client_id"], form["client_secret"]


def token_response(tokens: IssuedTokens) -> tuple[dict[str, Any], int, dict[str, str]]:
    body = {
        "access_token": tokens.access_token,
        "token_type": "Bearer",
        "expires_in": tokens.expires_in,
        "refresh_token": tokens.refresh_token,
        "refresh_expires_in": tokens.refresh_expires_in,
    }
    return body, 200, NO_STORE


@blp.route("/auth/token", methods=["POST"])
@blp.doc(operationId="createToken", security=FORWARDING, parameters=[END_USER_PARAMETER])
@blp.arguments(schemas.TokenRequest, location="form")
@blp.response(200, schemas.TokenResponse, description="Tokens issued.", headers=NO_STORE_DOC)
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def createToken(form: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:  # noqa: N802 (named after the operationId)
    """Get tokens (OAuth2 password or client-credentials grant)

    People: form-encoded `username` (the email) and `password`. The answer is the same, and
    takes the same time, for an unknown email, a deactivated user and a wrong password (401).
    Failed attempts are counted per account and per client address; past the limit the
    answer is 429 with `Retry-After` until the window ends. API clients:
    `grant_type=client_credentials` with the client's id and secret, and optionally `scope`.
    """
    if form.get("grant_type") == "client_credentials":
        client_id, secret = client_credentials(form)
        return client_token_response(
            container().api_clients.issue_token(client_id, secret, form.get("scope"))
        )
    return token_response(
        container().auth.login(
            form["username"], form["password"], throttle_address(), form.get("otp")
        )
    )


@blp.route("/auth/refresh", methods=["POST"])
@blp.doc(operationId="refreshToken", security=PUBLIC)
@blp.arguments(schemas.RefreshRequest)
@blp.response(200, schemas.TokenResponse, description="New tokens.", headers=NO_STORE_DOC)
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def refreshToken(body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:  # noqa: N802 (named after the operationId)
    """Refresh the tokens

    Trades a refresh token for a new access token and a new refresh token; the one sent
    stops working. Sending an already used refresh token again revokes every token of its
    family (the chain started by one login) and answers 401.
    """
    return token_response(container().auth.refresh(body["refresh_token"]))


@blp.route("/auth/logout", methods=["POST"])
@blp.doc(operationId="revokeToken", security=PUBLIC)
@blp.arguments(schemas.RefreshRequest)
@blp.response(204, description="The refresh token and its family are revoked.")
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def revokeToken(body: dict[str, Any]) -> None:  # noqa: N802 (named after the operationId)
    """Log out

    Revokes the refresh token sent and every token of its family. An unknown or already
    revoked token is also answered 204 (nothing to reveal). Access tokens already issued
    stay valid until they expire (at most ACCESS_TOKEN_TTL_SECONDS).
    """
    container().auth.logout(body["refresh_token"])


@blp.route("/.well-known/jwks.json", methods=["GET"])
@blp.doc(operationId="getJwks", security=PUBLIC)
@blp.response(200, schemas.Jwks, description="The public signing keys.", headers=JWKS_CACHE_DOC)
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def getJwks() -> tuple[dict[str, Any], int, dict[str, str]]:  # noqa: N802 (named after the operationId)
    """Public signing keys (JWKS)

    The Ed25519 public keys that verify access tokens (alg EdDSA), matched by the token
    header's `kid`. After a key rotation the previous key stays listed until the tokens it
    signed have expired.
    """
    return container().keys.jwks(), 200, {"Cache-Control": "public, max-age=300"}
