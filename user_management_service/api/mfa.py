"""A second factor (TOTP): the owner enrols, confirms and disables it; an admin resets it."""

# flask-smorest ships no type hints: its decorators keep our typed signatures but mypy cannot know.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

import uuid
from typing import Any

from flask_smorest import Blueprint

from user_management_service.api import schemas
from user_management_service.api.auth import NO_STORE, NO_STORE_DOC
from user_management_service.api.context import actor, client_address, container
from user_management_service.api.security import AUTHENTICATED, require_admin, require_principal

blp = Blueprint("mfa", __name__, description="A second factor: TOTP and recovery codes.")


@blp.route("/users/me/mfa/totp", methods=["POST"])
@blp.doc(operationId="startTotpEnrolment", security=AUTHENTICATED)
@blp.arguments(schemas.TotpEnrolmentRequest)
@blp.response(201, schemas.TotpEnrolment, description="The secret for the app.",
              headers=NO_STORE_DOC)  # fmt: skip
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(403, response="FORBIDDEN")
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def startTotpEnrolment(body: dict[str, Any]) -> tuple[dict[str, str], int, dict[str, str]]:  # noqa: N802 (named after the operationId)
    """Start enrolling an authenticator app

    Needs the current password (a stolen access token must not be able to put a factor on
    someone's account), checked and throttled like a login. The answer's secret (and the same
    as an otpauth:// URI, for a QR code) goes into the app; the factor is enabled once
    confirmTotpEnrolment gets a code from it. Starting again replaces a pending enrolment.
    """
    services = container()
    user = services.users.get(require_principal().user_id)
    services.auth.confirm_password(user, body["current_password"], client_address())
    enrolment = services.mfa.start(user)
    body_out = {"secret": enrolment.secret, "otpauth_uri": enrolment.otpauth_uri}
    return body_out, 201, NO_STORE


@blp.route("/users/me/mfa/totp/confirm", methods=["POST"])
@blp.doc(operationId="confirmTotpEnrolment", security=AUTHENTICATED)
@blp.arguments(schemas.TotpCode)
@blp.response(200, schemas.TotpRecoveryCodes, description="Enabled; the recovery codes, once.",
              headers=NO_STORE_DOC)  # fmt: skip
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(403, response="FORBIDDEN")
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def confirmTotpEnrolment(body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:  # noqa: N802 (named after the operationId)
    """Confirm the authenticator app with a code

    A current code from the app enables the factor: from now on signing in needs `otp` too.
    The answer's ten recovery codes each replace a code once (a lost phone); they are shown
    only here and stored as SHA-256.
    """
    principal = require_principal()
    codes = container().mfa.confirm(principal.user_id, body["code"], actor(principal))
    return {"recovery_codes": codes}, 200, NO_STORE


@blp.route("/users/me/mfa/totp/disable", methods=["POST"])
@blp.doc(operationId="disableTotp", security=AUTHENTICATED)
@blp.arguments(schemas.TotpCode)
@blp.response(204, description="The second factor is off; its recovery codes are void.")
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(403, response="FORBIDDEN")
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def disableTotp(body: dict[str, Any]) -> None:  # noqa: N802 (named after the operationId)
    """Turn the second factor off

    With a current code or an unused recovery code (422 on `body.code` otherwise), so that a
    stolen access token cannot remove it.
    """
    principal = require_principal()
    container().mfa.disable(principal.user_id, body["code"], actor(principal))


@blp.route("/users/<uuid:user_id>/mfa/reset", methods=["POST"])
@blp.doc(operationId="resetUserMfa", security=AUTHENTICATED)
@blp.response(204, description="The user's second factor is removed.")
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(403, response="FORBIDDEN")
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def resetUserMfa(user_id: uuid.UUID) -> None:  # noqa: N802 (named after the operationId)
    """Remove a user's second factor

    For a user who lost both the app and the recovery codes: they sign in with the password
    alone again and may enrol anew. Admin only; recorded in the audit trail.
    """
    principal = require_admin()
    services = container()
    services.mfa.reset(services.users.get(user_id).id, actor(principal))
