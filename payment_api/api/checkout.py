"""Tag `checkout`: Stripe Checkout sessions (JSON) and the original curl-friendly redirect."""

from __future__ import annotations

import html
from typing import Annotated

from fastapi import APIRouter, Body, Header, Query
from fastapi.responses import HTMLResponse, RedirectResponse

from payment_api.api.deps import CheckoutDep, PrincipalDep
from payment_api.api.problems import problem_responses
from payment_api.api.schemas import (
    CheckoutSession,
    CustomAmountCheckout,
    LineItemsCheckout,
    LowerCurrency,
)
from payment_api.domain import idempotency
from payment_api.domain.checkout import CheckoutRequest, CheckoutResult, LineRequest
from payment_api.domain.errors import InvalidFieldError
from payment_api.domain.money import MAX_MINOR_AMOUNT, Money, MoneyError, to_minor

router = APIRouter(tags=["checkout"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Makes the call safe to retry: same key and body, same answer.",
    ),
]
GATEWAY_ERRORS = (502, 503, 504)
# A positive amount in major units: up to 6 integer digits and 2 decimals, zero excluded
# (three-decimal amounts such as KWD 1.234 go through POST /checkout-sessions in minor units).
PRICE_PATTERN = r"^(0*[1-9][0-9]{0,5}(\.[0-9]{1,2})?|0*\.(0[1-9]|[1-9][0-9]?))$"


def _session(result: CheckoutResult) -> CheckoutSession:
    return CheckoutSession.model_validate(
        {
            "payment_id": result.payment_id,
            "session_id": result.session_id,
            "url": result.url,
            "expires_at": result.expires_at,
            "status": result.status,
            "amount": {"amount": result.amount, "currency": result.currency},
        }
    )


@router.post(
    "/checkout-sessions",
    status_code=201,
    response_model=CheckoutSession,
    responses={
        201: {
            "description": "Session created (or the stored answer for a repeated Idempotency-Key).",
            "links": {
                "GetPayment": {
                    "operationId": "getPayment",
                    "parameters": {"payment_id": "$response.body#/payment_id"},
                }
            },
        },
        **problem_responses(400, 404, 409, 415, 422, *GATEWAY_ERRORS),
    },
)
def createCheckoutSession(  # noqa: N802 - operationId
    body: Annotated[LineItemsCheckout | CustomAmountCheckout, Body()],
    checkout: CheckoutDep,
    principal: PrincipalDep,
    idempotency_key: IdempotencyKey = None,
) -> CheckoutSession:
    """Create a payment (`pending`) and its hosted Stripe Checkout session."""
    if isinstance(body, LineItemsCheckout):
        lines = [LineRequest(li.product_id, li.quantity) for li in body.line_items]
        request = CheckoutRequest(line_items=lines)
    else:
        amount = Money(body.custom_amount.amount, body.custom_amount.currency.value)
        request = CheckoutRequest(custom_amount=amount, description=body.description)
    request = CheckoutRequest(
        line_items=request.line_items,
        custom_amount=request.custom_amount,
        description=request.description,
        user_id=body.user_id,
        success_url=body.success_url,
        cancel_url=body.cancel_url,
    )
    digest = idempotency.request_hash(body.model_dump(mode="json", exclude_unset=True))
    result = checkout.start(
        request,
        idempotency_key=idempotency_key,
        body_hash=digest,
        bearer_token=principal.bearer_token,
    )
    return _session(result)


@router.get(
    "/checkout/",
    status_code=303,
    response_class=RedirectResponse,
    responses={
        303: {
            "description": "See Other: the gateway's hosted payment page.",
            "headers": {
                "Location": {
                    "description": "URL of the hosted checkout page.",
                    "schema": {"type": "string"},
                }
            },
        },
        **problem_responses(422, *GATEWAY_ERRORS),
    },
)
def createCheckoutRedirect(  # noqa: N802
    checkout: CheckoutDep,
    price: Annotated[
        str,
        Query(
            pattern=PRICE_PATTERN,
            description="Amount in MAJOR units (e.g. 50 or 12.34).",
        ),
    ],
    currency: LowerCurrency = LowerCurrency("usd"),
) -> RedirectResponse:
    """Create a checkout for one amount and redirect the browser to the hosted page."""
    try:
        amount = to_minor(price, currency.value)
    except MoneyError as exc:
        raise InvalidFieldError("query.price", str(exc)) from None
    if amount < 1:
        raise InvalidFieldError("query.price", "must be greater than zero")
    if amount > MAX_MINOR_AMOUNT:
        raise InvalidFieldError("query.price", f"at most {MAX_MINOR_AMOUNT} minor units")
    result = checkout.start(
        CheckoutRequest(custom_amount=Money(amount, currency.value), description="Payment")
    )
    return RedirectResponse(result.url, status_code=303)


def _page(title: str, text: str) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><meta charset=utf-8><title>{html.escape(title)}</title>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>"
    )


@router.get("/checkout/success", include_in_schema=False)
def showCheckoutSuccess(session_id: str | None = None) -> HTMLResponse:  # noqa: N802
    """Default success_url: a plain landing page (not part of the API contract)."""
    return _page("Payment received", f"Checkout session {session_id or ''} completed.")


@router.get("/checkout/cancel", include_in_schema=False)
def showCheckoutCancel() -> HTMLResponse:  # noqa: N802
    """Default cancel_url."""
    return _page("Payment canceled", "You can close this page.")
