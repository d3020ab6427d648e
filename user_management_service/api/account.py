"""Account recovery and email verification: the operations behind the mailed links."""

# flask-smorest ships no type hints: its decorators keep our typed signatures but mypy cannot know.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from user_management_service.api import schemas
from user_management_service.api.context import actor, container
from user_management_service.api.security import (
    AUTHENTICATED,
    END_USER_PARAMETER,
    FORWARDING,
    PUBLIC,
    require_principal,
    throttle_address,
)
from user_management_service.domain.users import User

blp = Blueprint(
    "account", __name__, description="Account recovery and email verification by mailed links."
)

RESET_REQUESTED = (
    "If an active account has this email, a link to choose a new password is on its way."
)


@blp.route("/auth/password-reset", methods=["POST"])
@blp.doc(operationId="requestPasswordReset", security=FORWARDING, parameters=[END_USER_PARAMETER])
@blp.arguments(schemas.PasswordResetRequest)
@blp.response(202, schemas.Accepted, description="Accepted; the same for every email.")
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def requestPasswordReset(body: dict[str, Any]) -> tuple[dict[str, str], int]:  # noqa: N802 (named after the operationId)
    """Ask for a password reset link

    Queues a mail with a single-use link (valid PASSWORD_RESET_TTL_SECONDS, 30 minutes by
    default) to the email, if an active account has it. The answer, and the work done before
    it, are the same whether or not one does: nobody learns which emails have accounts. At
    most PASSWORD_RESET_MAX_PER_HOUR links are mailed to one address per hour, and one client
    address may ask PASSWORD_RESET_MAX_PER_ADDRESS times (429 with `Retry-After` beyond).
    """
    container().recovery.request_password_reset(body["email"], throttle_address())
    return {"detail": RESET_REQUESTED}, 202


@blp.route("/auth/password-reset/confirm", methods=["POST"])
@blp.doc(operationId="resetPassword", security=PUBLIC)
@blp.arguments(schemas.PasswordReset)
@blp.response(204, description="The password is changed; every session is signed out.")
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def resetPassword(body: dict[str, Any]) -> None:  # noqa: N802 (named after the operationId)
    """Choose a new password with a reset link's token

    The token of a link requestPasswordReset mailed. It works once, and not after it expired
    (422 on `body.token`). The new password follows the same rules as at registration; every
    refresh token of the account is revoked, every other reset link stops working, the
    account's failed logins are forgotten, and the owner is told by mail.
    """
    container().recovery.reset_password(body["token"], body["password"], actor(None))


@blp.route("/users/me/email-verification", methods=["POST"])
@blp.doc(operationId="requestEmailVerification", security=AUTHENTICATED)
@blp.response(202, schemas.Accepted, description="A verification link is on its way.")
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(403, response="FORBIDDEN")
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def requestEmailVerification() -> tuple[dict[str, str], int]:  # noqa: N802 (named after the operationId)
    """Mail me a new verification link

    Registration and a change of email mail one already; this sends another, to the
    caller's current email (valid EMAIL_VERIFICATION_TTL_SECONDS, 48 hours by default). 409
    when the email is verified already.
    """
    container().recovery.request_verification(require_principal().user_id)
    return {"detail": "A verification link is on its way to your email."}, 202


@blp.route("/auth/email-verification/confirm", methods=["POST"])
@blp.doc(operationId="verifyEmail", security=PUBLIC)
@blp.arguments(schemas.EmailVerification)
@blp.response(200, schemas.User, description="The user, with the email verified.")
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def verifyEmail(body: dict[str, Any]) -> User:  # noqa: N802 (named after the operationId)
    """Verify an email with a verification link's token

    The token of a link mailed at registration, on a change of email or by
    requestEmailVerification. It works once, before it expires, and only while the account
    still has the email it was sent to (422 on `body.token` otherwise). No sign-in needed:
    the link may be opened on another device.
    """
    return container().recovery.verify_email(body["token"])
