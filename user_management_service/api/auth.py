"""OAuth2 password grant, refresh rotation, logout and the JWKS of the signing keys."""

# flask-smorest ships no type hints: its decorators keep our typed signatures but mypy cannot know.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

import time
from typing import Any

from flask import current_app, request
from flask_smorest import Blueprint

from user_management_service.api import schemas
from user_management_service.api.context import passwords, session
from user_management_service.api.security import PUBLIC, access_tokens, key_store
from user_management_service.db.repository import (
    SqlRefreshTokenRepository,
    SqlThrottleRepository,
    SqlUserRepository,
)
from user_management_service.domain.errors import InvalidCredentialsError, InvalidTokenError
from user_management_service.domain.throttle import LoginThrottle
from user_management_service.domain.tokens import RefreshTokens, ReusedRefreshTokenError
from user_management_service.domain.users import Status, User, normalise_email
from user_management_service.settings import Settings

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


def settings() -> Settings:
    value: Settings = current_app.extensions["ums_settings"]
    return value


def refresh_tokens() -> RefreshTokens:
    return RefreshTokens(SqlRefreshTokenRepository(session()), settings().refresh_token_ttl_seconds)


def token_response(user: User, refresh_token: str) -> tuple[dict[str, Any], int, dict[str, str]]:
    body = {
        "access_token": access_tokens().issue(user.id, user.role),
        "token_type": "Bearer",
        "expires_in": settings().access_token_ttl_seconds,
        "refresh_token": refresh_token,
        "refresh_expires_in": settings().refresh_token_ttl_seconds,
    }
    return body, 200, NO_STORE


def throttle() -> LoginThrottle:
    s = settings()
    return LoginThrottle(
        SqlThrottleRepository(session()),
        window_seconds=s.login_throttle_window_seconds,
        max_per_account=s.login_max_failures_per_account,
        max_per_address=s.login_max_failures_per_address,
    )


@blp.route("/auth/token", methods=["POST"])
@blp.doc(operationId="createToken", security=PUBLIC)
@blp.arguments(schemas.TokenRequest, location="form")
@blp.response(200, schemas.TokenResponse, description="Tokens issued.", headers=NO_STORE_DOC)
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def createToken(form: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:  # noqa: N802 (named after the operationId)
    """Log in (OAuth2 password grant)

    Form-encoded `username` (the email) and `password`. The answer is the same, and takes
    the same time, for an unknown email, a deactivated user and a wrong password (401).
    Failed attempts are counted per account and per client address; past the limit the
    answer is 429 with `Retry-After` until the window ends.
    """
    email = normalise_email(form["username"])
    # at most an IPv6 text form; a forged X-Forwarded-For (trusted proxies only) stays short
    address = (request.remote_addr or "unknown")[:64]
    limiter = throttle()
    now = time.time()
    limiter.check(email, address, now)
    user = SqlUserRepository(session()).active_with_email(email)
    if user is None or user.status is not Status.ACTIVE:
        passwords().dummy_verify(form["password"])
        verified = False
    else:
        verified = passwords().verify(user.password_hash, form["password"])
    if user is None or not verified:
        limiter.failed(email, address, now)
        session().commit()
        raise InvalidCredentialsError()
    limiter.succeeded(email, address)
    refresh = refresh_tokens().issue(user.id)
    session().commit()
    return token_response(user, refresh)


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
    try:
        user_id, refresh = refresh_tokens().rotate(body["refresh_token"])
    except ReusedRefreshTokenError:
        session().commit()  # keep the revocation of the family
        raise
    user = SqlUserRepository(session()).get(user_id)
    if user is None or user.status is not Status.ACTIVE:
        session().rollback()
        raise InvalidTokenError("The token's user is no longer active.")
    session().commit()
    return token_response(user, refresh)


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
    refresh_tokens().revoke(body["refresh_token"])
    session().commit()


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
    return key_store().jwks(), 200, {"Cache-Control": "public, max-age=300"}
