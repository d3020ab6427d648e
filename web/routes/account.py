"""Accounts: register, sign in and out, profile, password, orders (password reset and email
verification: web/routes/account_recovery.py). Changing the password sends the current one;
the user service checks it.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from payment_api_client.api.payments import get_payment, list_payments, list_refunds
from payment_api_client.models import Payment, PaymentList, RefundList
from user_management_client.api.auth import create_token, revoke_token
from user_management_client.api.users import create_user, get_current_user, update_user
from user_management_client.models import (
    RefreshRequest,
    TokenRequest,
    TokenResponse,
    User,
    UserCreate,
    UserUpdate,
)

from web.api import (
    Api,
    ApiError,
    ServiceUnavailable,
    SignInRequired,
    problem_of,
    tokens_of,
    unwrap,
)
from web.context import Ctx, checked_form, safe_next
from web.routes.shop import valid_id

router = APIRouter(prefix="/account")
Form = Annotated[dict[str, str], Depends(checked_form)]
CtxDep = Annotated[Ctx, Depends(Ctx)]

USER_FIELDS = {
    "email": "email",
    "full_name": "full_name",
    "password": "password",
    "current_password": "current_password",
}


def user_summary(user: User) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "email": user.email,
        "full_name": user.full_name,
        "role": str(user.role),
    }


MFA_REQUIRED = "/problems/mfa-required"
CODE_NEEDED = "Enter the 6-digit code from your authenticator app, or a recovery code."


def login(ctx: Ctx, email: str, password: str, otp: str = "") -> TokenResponse | ApiError:
    """createToken's password grant; `otp` for a user with a second factor. A refusal comes
    back as an ApiError whose `problem_type` is MFA_REQUIRED when only the code was missing or
    wrong (the password was right)."""
    body = TokenRequest(username=email, password=password)
    if otp:
        body.otp = otp
    response = ctx.api.for_end_user(lambda c: create_token.sync_detailed(client=c, body=body))
    if isinstance(response.parsed, TokenResponse):
        return response.parsed
    error = ApiError(int(response.status_code))
    if error.status == 401 and problem_of(response).problem_type.endswith(MFA_REQUIRED):
        error.problem_type = MFA_REQUIRED
        error.detail = CODE_NEEDED
    elif error.status == 429:
        retry = response.headers.get("Retry-After", "")
        minutes = max(1, (int(retry) + 59) // 60) if retry.isdigit() else 15
        error.detail = f"Too many attempts. Please wait {minutes} minutes and try again."
    elif error.status in (401, 422):
        error.detail = "That email and password do not match an account."
    else:
        raise ApiError(error.status)
    return error


def start_session(ctx: Ctx, tokens: TokenResponse) -> None:
    """A new session (new id: no fixation) holding the tokens; the cart comes along."""
    old = ctx.session
    keep: dict[str, Any] = {
        k: old.data[k]
        for k in ("cart", "cart_currency", "checkouts", "guest_payments")
        if k in old.data
    }
    fresh = ctx.store.new(keep)
    fresh.tokens = tokens_of(tokens)
    api = Api(ctx.settings, ctx.store, fresh, ctx.request.app.state.transports)
    me = unwrap(api.users(lambda c: get_current_user.sync_detailed(client=c)), User)
    fresh.data["user"] = user_summary(me)
    ctx.store.save(fresh)
    ctx.store.delete(old)
    ctx.request.state.session = fresh
    ctx.session = fresh
    ctx.api = Api(ctx.settings, ctx.store, fresh, ctx.request.app.state.transports)


def revoke(ctx: Ctx, refresh: str) -> None:
    ctx.api.public_users(
        lambda c: revoke_token.sync_detailed(client=c, body=RefreshRequest(refresh_token=refresh))
    )


@router.get("/sign-in")
def sign_in_page(
    ctx: CtxDep,
    next_path: Annotated[str, Query(alias="next", max_length=2000)] = "/",
    reason: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    if ctx.user is not None:
        return ctx.redirect(safe_next(next_path))
    return ctx.render(
        "account/sign_in.html",
        {
            "next": safe_next(next_path),
            "expired": reason == "expired",
            "errors": {},
            "email": "",
            "code_step": False,
        },
    )


MAX_OTP = 64  # TokenRequest.otp's maxLength


@router.post("/sign-in")
def sign_in(ctx: CtxDep, form: Form) -> Response:
    """Email, password and, for a user with two-step sign-in, the authenticator's code in one
    form. When the API answers mfa-required the page comes back with the error at the code
    field; the password is never kept (not in the page, not in the session): it is typed
    again with the code."""
    email = form.get("email", "").strip()
    password = form.get("password", "")
    otp = "".join(form.get("otp", "").split())  # "123 456" as some apps group it
    target = safe_next(form.get("next"))
    errors: dict[str, str] = {}
    if not email:
        errors["email"] = "Enter your email address."
    if not password:
        errors["password"] = "Enter your password."
    if len(otp) > MAX_OTP:
        errors["otp"] = CODE_NEEDED
    if not errors:
        answer = login(ctx, email, password, otp)
        if isinstance(answer, TokenResponse):
            start_session(ctx, answer)
            ctx.flash(f"Welcome back, {ctx.session.data['user']['full_name']}.", "success")
            return ctx.redirect(target)
        if answer.problem_type == MFA_REQUIRED:
            errors["otp"] = answer.detail
        else:
            errors["form"] = answer.detail
    return ctx.render(
        "account/sign_in.html",
        {
            "next": target,
            "expired": False,
            "errors": errors,
            "email": email,
            "code_step": "otp" in errors,
        },
        status_code=422 if errors else 200,
    )


@router.post("/sign-out")
def sign_out(ctx: CtxDep, form: Form) -> Response:
    tokens = ctx.session.tokens
    revoked = True
    if tokens is not None:
        try:
            revoke(ctx, tokens.refresh_token)  # the refresh token (and its family) stop working
        except ServiceUnavailable:
            revoked = False  # signed out here all the same; the token expires on its own
    ctx.store.delete(ctx.session)
    fresh = ctx.store.new()
    ctx.request.state.session = fresh
    ctx.session = fresh
    if revoked:
        ctx.flash("You are signed out.", "success")
    else:
        ctx.flash(
            "You are signed out of this browser. Our account service did not answer, so "
            "your other sign-ins end only when they expire.",
            "info",
        )
    return ctx.redirect("/")


@router.get("/register")
def register_page(
    ctx: CtxDep, next_path: Annotated[str, Query(alias="next", max_length=2000)] = "/"
) -> Response:
    return ctx.render(
        "account/register.html", {"next": safe_next(next_path), "errors": {}, "values": {}}
    )


@router.post("/register")
def register(ctx: CtxDep, form: Form) -> Response:
    values = {k: form.get(k, "").strip() for k in ("email", "full_name")}
    password = form.get("password", "")
    target = safe_next(form.get("next"))
    errors: dict[str, str] = {}
    if not values["email"]:
        errors["email"] = "Enter your email address."
    if not values["full_name"]:
        errors["full_name"] = "Enter your name."
    if len(password) < 10:
        errors["password"] = "Use at least 10 characters."
    if form.get("password_confirm", "") != password:
        errors["password_confirm"] = "The two passwords differ."
    if not errors:
        response = ctx.api.public_users(
            lambda c: create_user.sync_detailed(
                client=c,
                body=UserCreate(
                    email=values["email"], full_name=values["full_name"], password=password
                ),
            )
        )
        if isinstance(response.parsed, User):
            answer = login(ctx, values["email"], password)
            if isinstance(answer, TokenResponse):
                start_session(ctx, answer)
                ctx.flash("Your account is ready. Welcome!", "success")
                return ctx.redirect(target)
            ctx.flash("Your account is ready. Please sign in.", "success")
            return ctx.redirect(ctx.sign_in_url(target))
        problem = problem_or_raise(response)
        errors = problem.field_errors(USER_FIELDS) or {"form": problem.detail}
    return ctx.render(
        "account/register.html",
        {"next": target, "errors": errors, "values": values},
        status_code=422,
    )


def problem_or_raise(response: Any, *statuses: int) -> ApiError:
    """The problem of a 409/422 answer (the form shows it); anything else goes up."""
    from web.api import problem_of

    problem = problem_of(response)
    if problem.status not in (statuses or (409, 422)):
        raise problem
    return problem


@router.get("")
def profile_page(ctx: CtxDep) -> Response:
    ctx.require_user()
    me = unwrap(ctx.api.users(lambda c: get_current_user.sync_detailed(client=c)), User)
    return ctx.render(
        "account/profile.html",
        {"me": me, "errors": {}, "values": {"email": me.email, "full_name": me.full_name}},
    )


@router.post("")
def profile_update(ctx: CtxDep, form: Form) -> Response:
    user = ctx.require_user()
    values = {k: form.get(k, "").strip() for k in ("email", "full_name")}
    response = ctx.api.users(
        lambda c: update_user.sync_detailed(
            UUID(user["id"]),
            client=c,
            body=UserUpdate(email=values["email"], full_name=values["full_name"]),
        )
    )
    if isinstance(response.parsed, User):
        ctx.session.data["user"] = user_summary(response.parsed)
        ctx.session.mark()
        ctx.flash("Your profile was saved.", "success")
        return ctx.redirect("/account")
    problem = problem_or_raise(response)
    me = unwrap(ctx.api.users(lambda c: get_current_user.sync_detailed(client=c)), User)
    return ctx.render(
        "account/profile.html",
        {
            "me": me,
            "errors": problem.field_errors(USER_FIELDS) or {"form": problem.detail},
            "values": values,
        },
        status_code=422,
    )


def new_password_errors(form: dict[str, str]) -> dict[str, str]:
    """What a form's `new_password` and its repetition lack before the user service's rules."""
    new = form.get("new_password", "")
    errors: dict[str, str] = {}
    if len(new) < 10:
        errors["new_password"] = "Use at least 10 characters."
    if form.get("new_password_confirm", "") != new:
        errors["new_password_confirm"] = "The two passwords differ."
    return errors


@router.get("/password")
def password_page(ctx: CtxDep) -> Response:
    ctx.require_user()
    return ctx.render("account/password.html", {"errors": {}})


@router.post("/password")
def password_change(ctx: CtxDep, form: Form) -> Response:
    user = ctx.require_user()
    current = form.get("current_password", "")
    new = form.get("new_password", "")
    errors = new_password_errors(form)
    if not current:
        errors["current_password"] = "Enter your current password."
    if new == current and "new_password" not in errors:
        errors["new_password"] = "Choose a password different from the current one."
    if not errors:
        # The user service checks the current password (a wrong one counts as a failed login).
        response = ctx.api.users(
            lambda c: update_user.sync_detailed(
                UUID(user["id"]),
                client=c,
                body=UserUpdate(password=new, current_password=current),
            )
        )
        if isinstance(response.parsed, User):
            # a new password revokes every refresh token of the user: sign in again
            again = login(ctx, user["email"], new)
            if isinstance(again, TokenResponse):
                start_session(ctx, again)
                ctx.flash("Your password was changed.", "success")
                return ctx.redirect("/account")
            if again.problem_type == MFA_REQUIRED:
                # two-step sign-in: the web has no code to sign in with the new password
                ctx.store.clear_tokens(ctx.session)
                ctx.session.data.pop("user", None)
                ctx.flash(
                    "Your password was changed. Please sign in with it and a code from "
                    "your authenticator app.",
                    "success",
                )
                return ctx.redirect(ctx.sign_in_url("/account"))
            raise SignInRequired
        problem = problem_or_raise(response, 409, 422, 429)  # 429: too many wrong ones
        fields = problem.field_errors(USER_FIELDS)
        if "current_password" in fields:
            fields["current_password"] = "That is not your current password."
        errors = {("new_password" if k == "password" else k): v for k, v in fields.items()} or {
            "form": problem.detail
        }
    return ctx.render("account/password.html", {"errors": errors}, status_code=422)


@router.get("/orders")
def orders(
    ctx: CtxDep, request: Request, cursor: Annotated[str | None, Query(max_length=81)] = None
) -> Response:
    user = ctx.require_user()
    response = ctx.api.payments(
        lambda c: list_payments.sync_detailed(
            client=c, limit=ctx.settings.page_size, cursor=cursor, user_id=user["id"]
        )
    )
    if not isinstance(response.parsed, PaymentList):
        if int(response.status_code) == 422:
            return ctx.redirect("/account/orders")
        raise ApiError(int(response.status_code))
    return ctx.render(
        "account/orders.html",
        {
            "payments": response.parsed.data,
            "next_cursor": response.parsed.next_cursor,
            "first_page": cursor is None,
        },
    )


@router.get("/orders/{payment_id}")
def order(ctx: CtxDep, payment_id: str) -> Response:
    ctx.require_user()
    if not valid_id(payment_id):
        raise ApiError(404)
    payment = unwrap(
        ctx.api.payments(lambda c: get_payment.sync_detailed(payment_id, client=c)), Payment
    )
    refunds = unwrap(
        ctx.api.payments(lambda c: list_refunds.sync_detailed(payment_id, client=c, limit=100)),
        RefundList,
    )
    return ctx.render("account/order.html", {"payment": payment, "refunds": refunds.data})
