"""Account recovery and email verification pages: the pages the user service's mailed links
open (`ACCOUNT_LINKS_URL` = this web's `/account`), and the forms that ask for those mails.

The token of a link is only ever sent to the user service; a GET never spends it (mail
scanners open links): the page shows a form whose POST does.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from user_management_client.api.account import (
    request_email_verification,
    request_password_reset,
    reset_password,
    verify_email,
)
from user_management_client.models import (
    EmailVerification,
    PasswordReset,
    PasswordResetRequest,
    User,
)

from web.context import Ctx, checked_form
from web.routes.account import new_password_errors, problem_or_raise, user_summary

router = APIRouter(prefix="/account")
Form = Annotated[dict[str, str], Depends(checked_form)]
CtxDep = Annotated[Ctx, Depends(Ctx)]
Token = Annotated[str, Query(max_length=512)]
LINK_FIELDS = {"token": "token", "password": "new_password"}


@router.get("/forgot-password")
def forgot_password_page(ctx: CtxDep) -> Response:
    return ctx.render("account/forgot_password.html", {"errors": {}, "email": "", "sent": False})


@router.post("/forgot-password")
def forgot_password(ctx: CtxDep, form: Form) -> Response:
    email = form.get("email", "").strip()
    if not email:
        return ctx.render(
            "account/forgot_password.html",
            {"errors": {"email": "Enter your email address."}, "email": "", "sent": False},
            status_code=422,
        )
    response = ctx.api.for_end_user(
        lambda c: request_password_reset.sync_detailed(
            client=c, body=PasswordResetRequest(email=email)
        )
    )
    if response.status_code != 202:
        problem = problem_or_raise(response, 422, 429)  # 429: this address asked too often
        return ctx.render(
            "account/forgot_password.html",
            {"errors": problem.field_errors() or {"form": problem.detail}, "email": email,
             "sent": False},
            status_code=422,
        )  # fmt: skip
    # The same page whether or not an account has this email (the user service says the same).
    return ctx.render("account/forgot_password.html", {"errors": {}, "email": email, "sent": True})


@router.get("/reset-password")
def reset_password_page(ctx: CtxDep, token: Token = "") -> Response:
    return ctx.render("account/reset_password.html", {"errors": {}, "token": token})


@router.post("/reset-password")
def reset_password_submit(ctx: CtxDep, form: Form) -> Response:
    token = form.get("token", "")
    new = form.get("new_password", "")
    errors = new_password_errors(form)
    if not token:
        errors["token"] = "This page needs the link from the mail; ask for a new one."
    if not errors:
        response = ctx.api.public_users(
            lambda c: reset_password.sync_detailed(
                client=c, body=PasswordReset(token=token, password=new)
            )
        )
        if response.status_code == 204:
            ctx.flash("Your password was changed. Please sign in with it.", "success")
            return ctx.redirect("/account/sign-in")
        problem = problem_or_raise(response, 422)
        errors = problem.field_errors(LINK_FIELDS) or {"form": problem.detail}
    return ctx.render(
        "account/reset_password.html", {"errors": errors, "token": token}, status_code=422
    )


@router.get("/verify-email")
def verify_email_page(ctx: CtxDep, token: Token = "") -> Response:
    return ctx.render("account/verify_email.html", {"errors": {}, "token": token, "done": None})


@router.post("/verify-email")
def verify_email_submit(ctx: CtxDep, form: Form) -> Response:
    token = form.get("token", "")
    response = ctx.api.public_users(
        lambda c: verify_email.sync_detailed(client=c, body=EmailVerification(token=token))
    )
    if isinstance(response.parsed, User):
        user = ctx.user
        if user is not None and user["id"] == str(response.parsed.id):
            ctx.session.data["user"] = user_summary(response.parsed)
            ctx.session.mark()
            ctx.api.renew_tokens()  # its `email_verified` claim: a checkout may need it
        return ctx.render(
            "account/verify_email.html", {"errors": {}, "token": "", "done": response.parsed.email}
        )
    problem = problem_or_raise(response, 422)
    return ctx.render(
        "account/verify_email.html",
        {"errors": problem.field_errors(LINK_FIELDS) or {"form": problem.detail}, "token": token,
         "done": None},
        status_code=422,
    )  # fmt: skip


@router.post("/verification")
def resend_verification(ctx: CtxDep, form: Form) -> Response:
    ctx.require_user()
    response = ctx.api.users(lambda c: request_email_verification.sync_detailed(client=c))
    if response.status_code == 202:
        ctx.flash("A new confirmation link is on its way to your email.", "success")
    else:
        ctx.flash(problem_or_raise(response, 409).detail, "info")
    return ctx.redirect("/account")
