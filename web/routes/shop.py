"""The shop: catalogue, product page, cart, checkout and the pages the hosted page returns to."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from payment_api_client.api.checkout import create_checkout_session
from payment_api_client.api.payments import cancel_payment, get_payment, list_payments
from payment_api_client.api.products import get_product, list_products
from payment_api_client.models import (
    CheckoutSession,
    LineItemInput,
    LineItemsCheckout,
    Payment,
    PaymentList,
    Product,
    ProductList,
)

from web.api import ApiError, SignInRequired
from web.context import FINAL_STATUSES, STATUS_LABELS, Ctx, checked_form
from web.settings import origin_of

router = APIRouter()
Form = Annotated[dict[str, str], Depends(checked_form)]
CtxDep = Annotated[Ctx, Depends(Ctx)]

MAX_QUANTITY = 99
MAX_CART_LINES = 50
MAX_REMEMBERED_CHECKOUTS = 20
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
CHECKOUT_SESSION_PATTERN = re.compile(r"^cs_[A-Za-z0-9_]{1,250}$")


def valid_id(value: str) -> bool:
    return bool(ID_PATTERN.match(value))


def product_or_none(ctx: Ctx, product_id: str) -> Product | None:
    if not valid_id(product_id):
        return None
    response = ctx.api.catalogue(lambda c: get_product.sync_detailed(product_id, client=c))
    if isinstance(response.parsed, Product):
        return response.parsed
    if int(response.status_code) == 404:
        return None
    raise ApiError(int(response.status_code), detail="The catalogue could not be read.")


@router.get("/")
def catalogue(ctx: CtxDep, cursor: Annotated[str | None, Query(max_length=81)] = None) -> Response:
    signed_in = ctx.session.tokens is not None
    response = ctx.api.catalogue(
        lambda c: list_products.sync_detailed(
            client=c,
            limit=ctx.settings.page_size,
            cursor=cursor,
            active=True if signed_in else None,
        )
    )
    if not isinstance(response.parsed, ProductList):
        if int(response.status_code) == 422:  # a cursor that is not one of ours
            return ctx.redirect("/")
        raise ApiError(int(response.status_code), detail="The catalogue could not be read.")
    products = [p for p in response.parsed.data if p.active]
    return ctx.render(
        "shop/catalogue.html",
        {"products": products, "next_cursor": response.parsed.next_cursor, "cursor": cursor},
    )


@router.get("/products/{product_id}")
def product_page(ctx: CtxDep, product_id: str) -> Response:
    product = product_or_none(ctx, product_id)
    if product is None or not product.active:
        raise ApiError(404)
    return ctx.render("shop/product.html", {"product": product})


def parse_quantity(text: str) -> int | None:
    try:
        quantity = int(text.strip() or "1")
    except ValueError:
        return None
    return quantity if 0 <= quantity <= MAX_QUANTITY else None


@router.post("/cart/add")
def cart_add(ctx: CtxDep, form: Form) -> Response:
    product_id = form.get("product_id", "")
    quantity = parse_quantity(form.get("quantity", "1"))
    product = product_or_none(ctx, product_id)
    if product is None or not product.active:
        ctx.flash("That product is no longer available.", "error")
        return ctx.redirect("/")
    if quantity is None or quantity < 1:
        ctx.flash(f"Choose a quantity from 1 to {MAX_QUANTITY}.", "error")
        return ctx.redirect(f"/products/{product.id}")
    cart = dict(ctx.cart)
    currency = ctx.session.data.get("cart_currency")
    if cart and currency and currency != str(product.price.currency):
        ctx.flash(
            f"Your cart is in {currency}; check it out before buying items priced in "
            f"{product.price.currency}.",
            "error",
        )
        return ctx.redirect("/cart")
    if product.id not in cart and len(cart) >= MAX_CART_LINES:
        ctx.flash("Your cart is full.", "error")
        return ctx.redirect("/cart")
    cart[product.id] = min(MAX_QUANTITY, cart.get(product.id, 0) + quantity)
    ctx.set_cart(cart)
    ctx.session.data["cart_currency"] = str(product.price.currency)
    ctx.flash(f"Added {quantity} x {product.name} to your cart.", "success")
    return ctx.redirect("/cart")


@router.post("/cart/update")
def cart_update(ctx: CtxDep, form: Form) -> Response:
    cart = dict(ctx.cart)
    remove = form.get("remove", "")
    for product_id in list(cart):
        if product_id == remove:
            cart.pop(product_id)
            continue
        quantity = parse_quantity(form.get(f"quantity-{product_id}", str(cart[product_id])))
        if quantity is None:
            ctx.flash(f"Choose quantities from 0 to {MAX_QUANTITY}.", "error")
            return ctx.redirect("/cart")
        cart[product_id] = quantity
    ctx.set_cart(cart)
    if not ctx.cart:
        ctx.session.data.pop("cart_currency", None)
    ctx.flash("Your cart was updated.", "success")
    return ctx.redirect("/cart")


def cart_lines(ctx: Ctx) -> tuple[list[dict[str, Any]], list[str]]:
    """The cart with each product as the catalogue has it now; names of the ones gone."""
    lines: list[dict[str, Any]] = []
    gone: list[str] = []
    for product_id, quantity in ctx.cart.items():
        product = product_or_none(ctx, product_id)
        if product is None or not product.active:
            gone.append(product.name if product else "An item")
            continue
        lines.append(
            {
                "product": product,
                "quantity": quantity,
                "amount": product.price.amount * quantity,
                "currency": str(product.price.currency),
            }
        )
    return lines, gone


@router.get("/cart")
def cart_page(ctx: CtxDep) -> Response:
    lines, gone = cart_lines(ctx)
    currencies = {line["currency"] for line in lines}
    total = sum(line["amount"] for line in lines)
    return ctx.render(
        "shop/cart.html",
        {
            "lines": lines,
            "gone": gone,
            "currency": next(iter(currencies)) if len(currencies) == 1 else None,
            "mixed": len(currencies) > 1,
            "total": total,
            # one key per rendered cart form: a double submit or a retry of this form gets
            # the same checkout, a changed cart is a new form with a new key
            "idempotency_key": ctx.new_idempotency_key(),
            "guest_checkout": ctx.settings.allow_guest_checkout and ctx.user is None,
        },
    )


def remember_checkout(ctx: Ctx, session_id: str, payment_id: str) -> None:
    checkouts = dict(ctx.session.data.get("checkouts") or {})
    checkouts[session_id] = payment_id
    while len(checkouts) > MAX_REMEMBERED_CHECKOUTS:
        checkouts.pop(next(iter(checkouts)))
    ctx.session.data["checkouts"] = checkouts
    ctx.session.mark()


def remember_guest_payment(ctx: Ctx, payment_id: str) -> None:
    """The guest's payments: the only ones this session may be shown with the machine token."""
    ids = [p for p in guest_payment_ids(ctx) if p != payment_id] + [payment_id]
    ctx.session.data["guest_payments"] = ids[-MAX_REMEMBERED_CHECKOUTS:]
    ctx.session.mark()


def guest_payment_ids(ctx: Ctx) -> list[str]:
    ids = ctx.session.data.get("guest_payments")
    return [p for p in ids if isinstance(p, str)] if isinstance(ids, list) else []


def guest_idempotency_key(ctx: Ctx, form_key: str) -> str:
    """Every guest's checkout is the one API client's, whose idempotency keys are one
    namespace: the key sent is bound to this session (its CSRF token), so a form key
    replayed from another session is a different key there, never this session's answer."""
    digest = hmac.new(ctx.csrf_token().encode(), form_key.encode(), hashlib.sha256).hexdigest()
    return f"guest-{digest}"


@router.post("/checkout")
def checkout(ctx: CtxDep, form: Form) -> Response:
    if ctx.user is None:
        ctx.flash("Sign in or create an account to check out. Your cart is kept.", "info")
        return ctx.redirect(ctx.sign_in_url("/cart"))
    return start_checkout(ctx, form, guest=False)


@router.post("/checkout/guest")
def checkout_as_guest(ctx: CtxDep, form: Form) -> Response:
    """Guest checkout (WEB_ALLOW_GUEST_CHECKOUT): the session is created with the web's
    machine token, for no user; the payment is remembered as this session's."""
    if not ctx.settings.allow_guest_checkout:
        raise ApiError(404)
    if ctx.user is not None:  # signed in meanwhile: the order goes to the account
        return start_checkout(ctx, form, guest=False)
    return start_checkout(ctx, form, guest=True)


def start_checkout(ctx: Ctx, form: dict[str, str], *, guest: bool) -> Response:
    key = form.get("idempotency_key", "")
    if not KEY_PATTERN.match(key):
        ctx.flash("Please review your cart and check out again.", "error")
        return ctx.redirect("/cart")
    items = [
        LineItemInput(product_id=product_id, quantity=quantity)
        for product_id, quantity in ctx.cart.items()
    ]
    if not items:
        ctx.flash("Your cart is empty.", "error")
        return ctx.redirect("/cart")
    base = ctx.settings.public_url
    body = LineItemsCheckout(
        line_items=items,
        success_url=f"{base}/checkout/success?session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=f"{base}/checkout/cancel?session_id={{CHECKOUT_SESSION_ID}}",
    )
    if guest:  # the payment has no user: a user_id would be 422
        api_key = guest_idempotency_key(ctx, key)
        response = ctx.api.machine_payments(
            lambda c: create_checkout_session.sync_detailed(
                client=c, body=body, idempotency_key=api_key
            )
        )
    else:
        body.user_id = str(ctx.require_user()["id"])
        response = ctx.api.payments(
            lambda c: create_checkout_session.sync_detailed(
                client=c, body=body, idempotency_key=key
            )
        )
    if not isinstance(response.parsed, CheckoutSession):
        status = int(response.status_code)
        if status in (404, 409, 422):
            ctx.flash(
                "Your cart changed or an item is no longer available; please review it and "
                "check out again.",
                "error",
            )
            return ctx.redirect("/cart")
        raise ApiError(status if status in (502, 504) else 500)
    created = response.parsed
    if origin_of(created.url) not in ctx.settings.hosted_checkout_origins:
        raise ApiError(502, detail="The payment page is not on an address we trust.")
    remember_checkout(ctx, created.session_id, created.payment_id)
    if guest:
        remember_guest_payment(ctx, created.payment_id)
    return ctx.redirect(created.url)


def find_guest_payment(ctx: Ctx, session_id: str) -> Payment | None:
    """The guest's payment of this checkout session, read with the machine token, only when
    this session started it (its id in the session's guest payments)."""
    if ctx.api.machine is None or not CHECKOUT_SESSION_PATTERN.match(session_id):
        return None
    known = (ctx.session.data.get("checkouts") or {}).get(session_id)
    if not isinstance(known, str) or known not in guest_payment_ids(ctx):
        return None
    response = ctx.api.machine_payments(lambda c: get_payment.sync_detailed(known, client=c))
    if isinstance(response.parsed, Payment):
        return response.parsed
    if int(response.status_code) == 404:
        return None
    raise ApiError(int(response.status_code))


def locate_payment(ctx: Ctx, session_id: str) -> tuple[Payment | None, bool]:
    """The payment of this checkout session that this browser may see, and whether it is a
    guest's (read and closed with the machine token). Nobody signed in, no guest payment of
    this session: 404 when guests may check out (unless a sign-in ended: sign in again),
    else sign in."""
    guest = find_guest_payment(ctx, session_id)
    if guest is not None:
        return guest, True
    if ctx.user is None:
        ended = ctx.request.state.session_expired or ctx.session.data.get("signed_out_reason")
        if ctx.settings.allow_guest_checkout and not ended:
            return None, False
        raise SignInRequired
    return find_payment(ctx, session_id), False


def find_payment(ctx: Ctx, session_id: str) -> Payment | None:
    """The shopper's payment of this checkout session (from this browser's session, else the
    API's lookup by session, which finds only the shopper's own)."""
    if not CHECKOUT_SESSION_PATTERN.match(session_id):
        return None
    known = (ctx.session.data.get("checkouts") or {}).get(session_id)
    if isinstance(known, str) and valid_id(known):
        response = ctx.api.payments(lambda c: get_payment.sync_detailed(known, client=c))
        if isinstance(response.parsed, Payment):
            return response.parsed
    user_id = str(ctx.require_user()["id"])
    page = ctx.api.payments(
        lambda c: list_payments.sync_detailed(
            client=c, limit=1, user_id=user_id, checkout_session_id=session_id
        )
    )
    if isinstance(page.parsed, PaymentList) and page.parsed.data:
        return page.parsed.data[0]
    return None


def status_view(payment: Payment) -> dict[str, Any]:
    status = str(payment.status)
    reason = payment.failure_reason if isinstance(payment.failure_reason, str) else None
    return {
        "status": status,
        "label": STATUS_LABELS.get(status, status),
        "final": status in FINAL_STATUSES,
        "failure_reason": reason if status == "failed" else None,
    }


HEADLINES = {
    "pending": "Confirming your payment…",
    "processing": "Your payment is processing",
    "succeeded": "Thank you! Your payment succeeded",
    "failed": "Your payment failed",
    "expired": "This checkout expired",
    "canceled": "This checkout was canceled",
    "partially_refunded": "Your payment succeeded (partly refunded since)",
    "refunded": "Your payment was refunded",
}


@router.get("/checkout/success")
def checkout_success(
    ctx: CtxDep, session_id: Annotated[str, Query(max_length=256)] = ""
) -> Response:
    payment, guest = locate_payment(ctx, session_id)
    if payment is None:
        raise ApiError(404)
    view = status_view(payment)
    if view["status"] in {"pending", "processing", "succeeded"} and ctx.cart:
        ctx.set_cart({})  # the order is placed: what the shopper bought leaves the cart
        ctx.session.data.pop("cart_currency", None)
    return ctx.render(
        "shop/success.html",
        {
            "payment": payment,
            "view": view,
            "headlines": HEADLINES,
            "session_id": session_id,
            "guest": guest,
        },
    )


@router.get("/checkout/status")
def checkout_status(
    request: Request, ctx: CtxDep, session_id: Annotated[str, Query(max_length=256)] = ""
) -> Response:
    """The payment's state as JSON, for the success page's script (same session, same rules)."""
    payment = find_guest_payment(ctx, session_id)
    if payment is None and ctx.user:
        payment = find_payment(ctx, session_id)
    if payment is None:
        return JSONResponse({"error": "not found"}, status_code=404)
    view = status_view(payment)
    view["headline"] = HEADLINES.get(view["status"], view["label"])
    return JSONResponse(view, headers={"Cache-Control": "no-store"})


@router.get("/checkout/cancel")
def checkout_cancel(
    ctx: CtxDep, session_id: Annotated[str, Query(max_length=256)] = ""
) -> Response:
    payment, guest = locate_payment(ctx, session_id)
    if payment is None:
        raise ApiError(404)
    if str(payment.status) == "pending":
        # close the open session so the payment does not stay pending until it expires
        payment_id = payment.id
        # a guest's with the machine token (payments:write), a person's with their own
        call = ctx.api.machine_payments if guest else ctx.api.payments
        response = call(lambda c: cancel_payment.sync_detailed(payment_id, client=c))
        if isinstance(response.parsed, Payment):
            payment = response.parsed
        elif int(response.status_code) == 409:  # paid meanwhile: show what it is now
            again = call(lambda c: get_payment.sync_detailed(payment_id, client=c))
            if isinstance(again.parsed, Payment):
                payment = again.parsed
        else:
            raise ApiError(int(response.status_code))
    return ctx.render(
        "shop/cancel.html",
        {"payment": payment, "view": status_view(payment), "headlines": HEADLINES},
    )
