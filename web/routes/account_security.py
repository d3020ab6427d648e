"""Account → Security: two-step sign-in (TOTP) on and off.

Turning it on is three pages: the current password (startTotpEnrolment), then the secret for
the authenticator app with a form for its first code (confirmTotpEnrolment), then the ten
recovery codes, shown once. Nothing of it is stored by the web: the secret page is the answer
to the password form, and when a wrong first code shows it again, the secret comes back from
that page's own form (it is the user's to see, and confirmTotpEnrolment needs only the code).
The recovery codes are the answer to the code form, never kept. Turning it off takes a code or
a recovery code (disableTotp).
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from user_management_client.api.mfa import (
    confirm_totp_enrolment,
    disable_totp,
    start_totp_enrolment,
)
from user_management_client.api.users import get_current_user
from user_management_client.models import (
    TotpCode,
    TotpEnrolment,
    TotpEnrolmentRequest,
    TotpRecoveryCodes,
    User,
)

from web.api import ApiError, HasStatus, problem_of, unwrap
from web.context import Ctx, checked_form

router = APIRouter(prefix="/account")
Form = Annotated[dict[str, str], Depends(checked_form)]
CtxDep = Annotated[Ctx, Depends(Ctx)]

SECURITY_PATH = "/account/security"
MAX_CODE = 64  # TotpCode.code's maxLength
MAX_PASSWORD = 1024
BASE32 = re.compile(r"^[A-Z2-7]{16,128}=*$")
WRONG_PASSWORD = "That is not your current password."
WRONG_CODE = "That code is not right. Enter the 6-digit code your app shows now."
WRONG_DISABLE_CODE = (
    "That code is not right. Enter the code your app shows now, or an unused recovery code."
)


def grouped(secret: str) -> str:
    """`JBSWY3DPEHPK3PXP` -> `JBSW Y3DP EHPK 3PXP`: easier to type into an app."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def code_of(form: dict[str, str]) -> str:
    """The code as typed, without the spaces some apps show in it."""
    return "".join(form.get("code", "").split())


def problem_or_raise(response: HasStatus, *statuses: int) -> ApiError:
    problem = problem_of(response)
    if problem.status not in statuses:
        raise problem
    return problem


def current_user(ctx: Ctx) -> User:
    return unwrap(ctx.api.users(lambda c: get_current_user.sync_detailed(client=c)), User)


@router.get("/security")
def security_page(ctx: CtxDep) -> Response:
    ctx.require_user()
    return render_security(ctx, current_user(ctx), {})


def render_security(ctx: Ctx, me: User, errors: dict[str, str], status: int = 200) -> Response:
    return ctx.render("account/security.html", {"me": me, "errors": errors}, status_code=status)


@router.post("/security/totp")
def totp_start(ctx: CtxDep, form: Form) -> Response:
    """The current password -> the secret for the app (startTotpEnrolment)."""
    ctx.require_user()
    password = form.get("current_password", "")
    errors: dict[str, str] = {}
    if not password:
        errors["current_password"] = "Enter your current password."
    elif len(password) > MAX_PASSWORD:
        errors["current_password"] = WRONG_PASSWORD
    if not errors:
        response = ctx.api.users(
            lambda c: start_totp_enrolment.sync_detailed(
                client=c, body=TotpEnrolmentRequest(current_password=password)
            )
        )
        if isinstance(response.parsed, TotpEnrolment):
            return render_setup(ctx, response.parsed.secret, response.parsed.otpauth_uri, {})
        problem = problem_or_raise(response, 409, 422, 429)
        if problem.status == 409:
            ctx.flash("Two-step sign-in is on already.", "info")
            return ctx.redirect(SECURITY_PATH)
        if problem.status == 429:
            errors["form"] = problem.detail or "Too many attempts. Please wait and try again."
        else:
            fields = problem.field_errors()
            errors = (
                {"current_password": WRONG_PASSWORD}
                if "current_password" in fields
                else {"form": problem.detail or "Two-step sign-in could not be started."}
            )
    return render_security(ctx, current_user(ctx), errors, 422)


def render_setup(
    ctx: Ctx, secret: str, otpauth_uri: str, errors: dict[str, str], status: int = 200
) -> Response:
    return ctx.render(
        "account/security_setup.html",
        {
            "secret": secret,
            "secret_grouped": grouped(secret),
            "otpauth_uri": otpauth_uri,
            "errors": errors,
        },
        status_code=status,
    )


def echoed_enrolment(form: dict[str, str]) -> tuple[str, str] | None:
    """The secret and URI the setup page's form carried back, if they look like the API's
    (anything else is not shown: the user starts again)."""
    secret = form.get("secret", "")
    uri = form.get("otpauth_uri", "")
    parts = urlsplit(uri)
    if not BASE32.match(secret) or parts.scheme != "otpauth" or len(uri) > 2048:
        return None
    return secret, uri


@router.post("/security/totp/confirm")
def totp_confirm(ctx: CtxDep, form: Form) -> Response:
    """The app's first code -> the factor is on, and its recovery codes (shown once)."""
    ctx.require_user()
    code = code_of(form)
    errors: dict[str, str] = {}
    if not code:
        errors["code"] = "Enter the 6-digit code your app shows."
    elif len(code) > MAX_CODE:
        errors["code"] = WRONG_CODE
    if not errors:
        response = ctx.api.users(
            lambda c: confirm_totp_enrolment.sync_detailed(client=c, body=TotpCode(code=code))
        )
        if isinstance(response.parsed, TotpRecoveryCodes):
            return ctx.render(
                "account/security_codes.html", {"codes": response.parsed.recovery_codes}
            )
        problem = problem_or_raise(response, 409, 422)
        if problem.status == 409:
            ctx.flash("Please start again: that setup is no longer pending.", "error")
            return ctx.redirect(SECURITY_PATH)
        errors = {"code": WRONG_CODE}
    shown = echoed_enrolment(form)
    if shown is None:
        ctx.flash("Please start again: enter your password to get a new secret.", "error")
        return ctx.redirect(SECURITY_PATH)
    return render_setup(ctx, shown[0], shown[1], errors, 422)


@router.post("/security/totp/disable")
def totp_disable(ctx: CtxDep, form: Form) -> Response:
    """A current code or a recovery code -> the factor is off (disableTotp)."""
    ctx.require_user()
    code = code_of(form)
    errors: dict[str, str] = {}
    if not code:
        errors["code"] = "Enter a code from your app, or a recovery code."
    elif len(code) > MAX_CODE:
        errors["code"] = WRONG_DISABLE_CODE
    if not errors:
        response = ctx.api.users(
            lambda c: disable_totp.sync_detailed(client=c, body=TotpCode(code=code))
        )
        if int(response.status_code) == 204:
            ctx.flash("Two-step sign-in is off; your recovery codes no longer work.", "success")
            return ctx.redirect(SECURITY_PATH)
        problem = problem_or_raise(response, 409, 422, 429)
        if problem.status == 409:
            ctx.flash("Two-step sign-in is off already.", "info")
            return ctx.redirect(SECURITY_PATH)
        if problem.status == 429:
            errors = {"form": problem.detail or "Too many attempts. Please wait and try again."}
        else:
            errors = {"code": WRONG_DISABLE_CODE}
    return render_security(ctx, current_user(ctx), errors, 422)
