"""The operators' console (admins): dashboard, products, payments and refunds, users.

The console's pages for stored Stripe events (list, replay) and webhook endpoints (register,
change, disable, rotate the secret, delete, deliveries and attempts, retry) are in
`web/routes/console_webhooks.py`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from payment_api_client.api.payments import (
    create_refund,
    get_payment,
    list_payments,
    list_refunds,
)
from payment_api_client.api.products import (
    create_product,
    get_product,
    list_products,
    update_product,
)
from payment_api_client.models import (
    Currency,
    Money,
    Payment,
    PaymentList,
    PaymentStatus,
    Product,
    ProductCreate,
    ProductList,
    ProductUpdate,
    Refund,
    RefundCreate,
    RefundList,
    RefundReason,
)
from user_management_client.api.mfa import reset_user_mfa
from user_management_client.api.users import delete_user, get_user, list_users, update_user
from user_management_client.models import User, UserPage, UserUpdate
from user_management_client.models.list_users_status import check_list_users_status
from user_management_client.models.user_update_role import check_user_update_role

from web import dashboard
from web.api import ApiError, expect, problem_of, unwrap
from web.context import Ctx, checked_form
from web.money import AmountError, format_money, major_text, to_minor
from web.routes.shop import KEY_PATTERN, valid_id

router = APIRouter(prefix="/console")
Form = Annotated[dict[str, str], Depends(checked_form)]
CtxDep = Annotated[Ctx, Depends(Ctx)]

CURRENCIES = [c.value for c in Currency]
STATUSES = [s.value for s in PaymentStatus]
REASONS = [r.value for r in RefundReason]
PRODUCT_FIELDS = {
    "name": "name",
    "description": "description",
    "price": "price",
    "price.amount": "price",
    "price.currency": "currency",
}


# -- dashboard -----------------------------------------------------------------------
@router.get("")
def dashboard_page(ctx: CtxDep) -> Response:
    ctx.require_admin()
    settings = ctx.settings
    today = dt.datetime.now(dt.UTC).date()
    since = today - dt.timedelta(days=settings.dashboard_days - 1)
    created_gte = f"{since.isoformat()}T00:00:00Z"

    def page_after(cursor: str | None) -> tuple[list[Payment], str | None]:
        page = unwrap(
            ctx.api.payments(
                lambda c: list_payments.sync_detailed(
                    client=c, limit=100, cursor=cursor, created_gte=created_gte
                )
            ),
            PaymentList,
        )
        return page.data, page.next_cursor if isinstance(page.next_cursor, str) else None

    payments, pages, complete = dashboard.read_pages(page_after, settings.dashboard_max_pages)
    figures = dashboard.summarize(
        payments,
        today=today,
        days=settings.dashboard_days,
        pages_read=pages,
        complete=complete,
        locale=settings.locale,
    )
    return ctx.render("console/dashboard.html", {"dash": figures, "since": since})


# -- products ------------------------------------------------------------------------
def product_body(form: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Name, description and price (major units in the form, minor units for the API)."""
    errors: dict[str, str] = {}
    name = form.get("name", "").strip()
    if not name:
        errors["name"] = "Enter a name."
    currency = form.get("currency", "")
    if currency not in CURRENCIES:
        errors["currency"] = "Choose a currency."
    amount = 0
    if "currency" not in errors:
        try:
            amount = to_minor(form.get("price", ""), currency)
        except AmountError as exc:
            errors["price"] = str(exc)
    body = {
        "name": name,
        "description": form.get("description", "").strip() or None,
        "price": Money(amount=amount, currency=Currency(currency)) if not errors else None,
    }
    return body, errors


@router.get("/products")
def products_page(
    ctx: CtxDep, cursor: Annotated[str | None, Query(max_length=81)] = None
) -> Response:
    ctx.require_admin()
    return render_products(ctx, cursor, {}, {})


def render_products(
    ctx: Ctx, cursor: str | None, errors: dict[str, str], values: dict[str, str]
) -> Response:
    page = unwrap(
        ctx.api.payments(
            lambda c: list_products.sync_detailed(
                client=c, limit=ctx.settings.page_size, cursor=cursor
            )
        ),
        ProductList,
    )
    return ctx.render(
        "console/products.html",
        {
            "products": page.data,
            "next_cursor": page.next_cursor,
            "first_page": cursor is None,
            "currencies": CURRENCIES,
            "errors": errors,
            "values": values or {"currency": "USD"},
        },
        status_code=422 if errors else 200,
    )


@router.post("/products")
def product_create(ctx: CtxDep, form: Form) -> Response:
    ctx.require_admin()
    body, errors = product_body(form)
    if not errors:
        price = body["price"]
        assert isinstance(price, Money)
        response = ctx.api.payments(
            lambda c: create_product.sync_detailed(
                client=c,
                body=ProductCreate(name=body["name"], description=body["description"], price=price),
            )
        )
        if isinstance(response.parsed, Product):
            ctx.flash(f"Created {response.parsed.name}.", "success")
            return ctx.redirect("/console/products")
        problem = problem_or_raise(response)
        errors = problem.field_errors(PRODUCT_FIELDS) or {"form": problem.detail}
    return render_products(ctx, None, errors, form)


@router.get("/products/{product_id}")
def product_edit_page(ctx: CtxDep, product_id: str) -> Response:
    ctx.require_admin()
    product = load_product(ctx, product_id)
    values = {
        "name": product.name,
        "description": product.description if isinstance(product.description, str) else "",
        "price": major_text(product.price.amount, str(product.price.currency)),
        "currency": str(product.price.currency),
    }
    return ctx.render(
        "console/product.html",
        {"product": product, "values": values, "errors": {}, "currencies": CURRENCIES},
    )


def load_product(ctx: Ctx, product_id: str) -> Product:
    if not valid_id(product_id):
        raise ApiError(404)
    return unwrap(
        ctx.api.payments(lambda c: get_product.sync_detailed(product_id, client=c)), Product
    )


@router.post("/products/{product_id}")
def product_update(ctx: CtxDep, product_id: str, form: Form) -> Response:
    ctx.require_admin()
    product = load_product(ctx, product_id)
    body, errors = product_body(form)
    if not errors:
        update = ProductUpdate(
            name=body["name"], description=body["description"] or "", price=body["price"]
        )
        response = ctx.api.payments(
            lambda c: update_product.sync_detailed(product.id, client=c, body=update)
        )
        if isinstance(response.parsed, Product):
            ctx.flash(f"Saved {response.parsed.name}.", "success")
            return ctx.redirect("/console/products")
        problem = problem_or_raise(response)
        errors = problem.field_errors(PRODUCT_FIELDS) or {"form": problem.detail}
    return ctx.render(
        "console/product.html",
        {"product": product, "values": form, "errors": errors, "currencies": CURRENCIES},
        status_code=422,
    )


@router.post("/products/{product_id}/active")
def product_active(ctx: CtxDep, product_id: str, form: Form) -> Response:
    ctx.require_admin()
    product = load_product(ctx, product_id)
    active = form.get("active") == "true"
    updated = unwrap(
        ctx.api.payments(
            lambda c: update_product.sync_detailed(
                product.id, client=c, body=ProductUpdate(active=active)
            )
        ),
        Product,
    )
    state = "active again" if updated.active else "inactive: it can no longer be bought"
    ctx.flash(f"{updated.name} is {state}.", "success")
    return ctx.redirect("/console/products")


def problem_or_raise(response: Any) -> ApiError:
    problem = problem_of(response)
    if problem.status not in (409, 422):
        raise problem
    return problem


# -- payments ------------------------------------------------------------------------
def day_bound(text: str, *, end: bool) -> str | None:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    if end:
        day += dt.timedelta(days=1)
    return f"{day.isoformat()}T00:00:00Z"


@router.get("/payments")
def payments_page(
    ctx: CtxDep,
    status: Annotated[str, Query(max_length=32)] = "",
    user: Annotated[str, Query(max_length=254)] = "",
    date_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=10)] = "",
    q: Annotated[str, Query(max_length=64)] = "",
    cursor: Annotated[str | None, Query(max_length=81)] = None,
) -> Response:
    ctx.require_admin()
    if q.strip():
        payment_id = q.strip()
        if valid_id(payment_id):
            found = ctx.api.payments(lambda c: get_payment.sync_detailed(payment_id, client=c))
            if isinstance(found.parsed, Payment):
                return ctx.redirect(f"/console/payments/{found.parsed.id}")
        ctx.flash(f"No payment has the id {payment_id}.", "error")
    errors: dict[str, str] = {}
    user_id: str | None = None
    if user.strip():
        user_id = resolve_user(ctx, user.strip())
        if user_id is None:
            errors["user"] = "No user has this email or id."
    if status and status not in STATUSES:
        errors["status"] = "Choose a status."
    gte = day_bound(date_from, end=False) if date_from else None
    lt = day_bound(date_to, end=True) if date_to else None
    if date_from and gte is None:
        errors["from"] = "Enter a date."
    if date_to and lt is None:
        errors["to"] = "Enter a date."
    filters = {"status": status, "user": user, "from": date_from, "to": date_to}
    payments: list[Payment] = []
    next_cursor: str | None = None
    if not errors:
        response = ctx.api.payments(
            lambda c: list_payments.sync_detailed(
                client=c,
                limit=ctx.settings.page_size,
                cursor=cursor,
                status=PaymentStatus(status) if status else None,
                user_id=user_id,
                created_gte=gte,
                created_lt=lt,
            )
        )
        page = unwrap(response, PaymentList)
        payments = page.data
        next_cursor = page.next_cursor if isinstance(page.next_cursor, str) else None
    return ctx.render(
        "console/payments.html",
        {
            "payments": payments,
            "next_cursor": next_cursor,
            "first_page": cursor is None,
            "filters": filters,
            "statuses": STATUSES,
            "errors": errors,
        },
        status_code=422 if errors else 200,
    )


def resolve_user(ctx: Ctx, text: str) -> str | None:
    """A user id from an email (listUsers by email) or an id as typed."""
    if "@" not in text:
        try:
            return str(UUID(text))
        except ValueError:
            return None
    page = unwrap(ctx.api.users(lambda c: list_users.sync_detailed(client=c, email=text)), UserPage)
    return str(page.data[0].id) if page.data else None


@router.get("/payments/{payment_id}")
def payment_page(ctx: CtxDep, payment_id: str) -> Response:
    ctx.require_admin()
    return render_payment(ctx, payment_id, {}, {})


def render_payment(
    ctx: Ctx, payment_id: str, errors: dict[str, str], values: dict[str, str], status: int = 200
) -> Response:
    if not valid_id(payment_id):
        raise ApiError(404)
    payment = unwrap(
        ctx.api.payments(lambda c: get_payment.sync_detailed(payment_id, client=c)), Payment
    )
    refunds = unwrap(
        ctx.api.payments(lambda c: list_refunds.sync_detailed(payment_id, client=c, limit=100)),
        RefundList,
    )
    currency = str(payment.amount.currency)
    left = payment.amount.amount - payment.refunded_amount.amount
    return ctx.render(
        "console/payment.html",
        {
            "payment": payment,
            "refunds": refunds.data,
            "refundable": str(payment.status) in {"succeeded", "partially_refunded"} and left > 0,
            "left": left,
            "left_text": major_text(left, currency),
            "reasons": REASONS,
            "errors": errors,
            "values": values,
            # one key per rendered refund form: a double submit gets the same refund
            "idempotency_key": ctx.new_idempotency_key(),
        },
        status_code=status,
    )


@router.post("/payments/{payment_id}/refunds")
def refund(ctx: CtxDep, payment_id: str, form: Form) -> Response:
    ctx.require_admin()
    if not valid_id(payment_id):
        raise ApiError(404)
    payment = unwrap(
        ctx.api.payments(lambda c: get_payment.sync_detailed(payment_id, client=c)), Payment
    )
    currency = str(payment.amount.currency)
    errors: dict[str, str] = {}
    key = form.get("idempotency_key", "")
    if not KEY_PATTERN.match(key):
        errors["form"] = "Please reload the page and try again."
    amount: int | None = None
    if form.get("amount", "").strip():
        try:
            amount = to_minor(form["amount"], currency)
        except AmountError as exc:
            errors["amount"] = str(exc)
        if amount == 0:
            errors["amount"] = "Enter an amount above zero, or leave it empty for the rest."
    reason = form.get("reason", "")
    if reason and reason not in REASONS:
        errors["reason"] = "Choose a reason."
    if not errors:
        body = RefundCreate(amount=amount, reason=RefundReason(reason) if reason else None)
        response = ctx.api.payments(
            lambda c: create_refund.sync_detailed(
                payment.id, client=c, body=body, idempotency_key=f"web-refund-{key}"
            )
        )
        if isinstance(response.parsed, Refund):
            made = response.parsed
            ctx.flash(
                f"Refund of {format_money(made.amount.amount, currency, ctx.settings.locale)} "
                f"{'made' if str(made.status) == 'succeeded' else 'requested'}.",
                "success",
            )
            return ctx.redirect(f"/console/payments/{payment.id}")
        problem = problem_or_raise(response)
        errors = problem.field_errors({"amount": "amount", "reason": "reason"})
        if not errors or problem.status == 409:
            errors = {"form": problem.detail or "This payment cannot be refunded now."}
    return render_payment(ctx, payment.id, errors, form, status=422)


# -- users ---------------------------------------------------------------------------
@router.get("/users")
def users_page(
    ctx: CtxDep,
    email: Annotated[str, Query(max_length=254)] = "",
    status: Annotated[str, Query(max_length=16)] = "",
    cursor: Annotated[str | None, Query(max_length=18)] = None,
) -> Response:
    me = ctx.require_admin()
    kwargs: dict[str, Any] = {"limit": ctx.settings.page_size}
    if cursor and cursor.isdigit():
        kwargs["cursor"] = cursor
    if email.strip():
        kwargs["email"] = email.strip()
    if status in ("active", "deactivated"):
        kwargs["status"] = check_list_users_status(status)
    page = unwrap(ctx.api.users(lambda c: list_users.sync_detailed(client=c, **kwargs)), UserPage)
    return ctx.render(
        "console/users.html",
        {
            "users": page.data,
            "next_cursor": page.next_cursor,
            "first_page": cursor is None,
            "filters": {"email": email, "status": status},
            "me": me,
        },
    )


def user_id_of(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError as exc:
        raise ApiError(404) from exc


@router.get("/users/{user_id}")
def user_page(ctx: CtxDep, user_id: str) -> Response:
    """A user by id (the audit trail links its actors and targets here): the users list
    filtered to their email, with their role, status and actions."""
    ctx.require_admin()
    uid = user_id_of(user_id)
    user = unwrap(ctx.api.users(lambda c: get_user.sync_detailed(uid, client=c)), User)
    return ctx.redirect("/console/users?" + urlencode({"email": user.email}))


@router.post("/users/{user_id}/role")
def user_role(ctx: CtxDep, user_id: str, form: Form) -> Response:
    ctx.require_admin()
    uid = user_id_of(user_id)
    role = form.get("role", "")
    if role not in ("admin", "customer"):
        ctx.flash("Choose a role.", "error")
        return ctx.redirect("/console/users")
    response = ctx.api.users(
        lambda c: update_user.sync_detailed(
            uid, client=c, body=UserUpdate(role=check_user_update_role(role))
        )
    )
    if isinstance(response.parsed, User):
        ctx.flash(f"{response.parsed.email} is now {role}.", "success")
    else:
        problem = problem_or_raise(response)
        ctx.flash(problem.detail or "The role could not be changed.", "error")
    return ctx.redirect("/console/users")


@router.post("/users/{user_id}/deactivate")
def user_deactivate(ctx: CtxDep, user_id: str, form: Form) -> Response:
    ctx.require_admin()
    uid = user_id_of(user_id)
    response = ctx.api.users(lambda c: delete_user.sync_detailed(uid, client=c))
    if int(response.status_code) == 204:
        ctx.flash("The user is deactivated; their sessions end.", "success")
    else:
        problem = problem_or_raise(response)
        ctx.flash(problem.detail or "The user could not be deactivated.", "error")
    return ctx.redirect("/console/users")


@router.post("/users/{user_id}/mfa-reset")
def user_mfa_reset(ctx: CtxDep, user_id: str, form: Form) -> Response:
    """For a user who lost both the app and the recovery codes (resetUserMfa): they sign in
    with the password alone again and may set up two-step sign-in anew."""
    ctx.require_admin()
    uid = user_id_of(user_id)
    who = unwrap(ctx.api.users(lambda c: get_user.sync_detailed(uid, client=c)), User).email
    response = ctx.api.users(lambda c: reset_user_mfa.sync_detailed(uid, client=c))
    if int(response.status_code) == 204:
        ctx.flash(
            f"Two-step sign-in of {who} is reset: they sign in with their password alone "
            "and may set it up again.",
            "success",
        )
    else:
        problem = problem_or_raise(response)
        ctx.flash(
            f"{who} has no two-step sign-in to reset."
            if problem.status == 409
            else (problem.detail or "Two-step sign-in could not be reset."),
            "error",
        )
    return ctx.redirect("/console/users")


__all__ = ["expect", "router"]
