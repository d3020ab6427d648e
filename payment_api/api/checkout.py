"""Tag `checkout`: Stripe Checkout sessions (JSON) and the original curl-friendly redirect."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import APIRouter, Body, Header, Query
from fastapi.responses import RedirectResponse

from payment_api import views
from payment_api.api.deps import REALM, CheckoutCallerDep, CheckoutDep, CheckoutPayerDep
from payment_api.api.problems import problem_responses
from payment_api.api.schemas import (
    QUERY_CURRENCY_DESCRIPTION,
    CheckoutSession,
    Currency,
    CustomAmountCheckout,
    LineItemsCheckout,
    QueryCurrency,
)
from payment_api.auth import Principal
from payment_api.domain.checkout import CheckoutRequest, LineRequest
from payment_api.domain.errors import ForbiddenError, InvalidFieldError
from payment_api.domain.idempotency import request_hash
from payment_api.domain.money import (
    MAX_MINOR_AMOUNT,
    Money,
    MoneyError,
    major_unit_rule,
    to_minor,
)

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
# A positive amount in major units: up to 6 integer digits and 3 decimals, zero excluded. The
# currency's own number of decimals is checked by `to_minor` (12.345 is refused for USD).
PRICE_PATTERN = r"^(0*[1-9][0-9]{0,5}(\.[0-9]{1,3})?|0*\.(00[1-9]|0[1-9][0-9]?|[1-9][0-9]{0,2}))$"
_PRICE = re.compile(PRICE_PATTERN)
PRICE_DESCRIPTION = (
    "The amount in MAJOR units of `currency`, e.g. `50` (50.00 USD, charged as 5000 cents) or "
    "`12.50`; not minor units like the JSON bodies. It is converted to minor units exactly with "
    "the currency's number of decimals: at most 2 for most currencies (`12.50` USD), none for "
    "zero-decimal ones (`500` JPY), 3 for three-decimal ones (`1.234` KWD). More decimals than "
    "the currency has are refused with 422 (never rounded), as are zero, negative or "
    "non-numeric values and amounts above 99999999 minor units."
)


def paying_user(principal: Principal, requested: str | None) -> str | None:
    """The payment's user: a customer pays for themself (their `sub`); an admin for anyone;
    an API client (checkout:write) for a guest, i.e. nobody.

    A customer naming another user gets 403 whether or not that user exists (no probing).
    """
    if principal.is_machine:
        if requested is not None:
            raise InvalidFieldError(
                "body.user_id", "an API client starts guests' checkouts: leave user_id out"
            )
        return None
    if principal.is_admin or not principal.is_authenticated:
        return requested
    if requested is not None and requested != principal.subject:
        raise ForbiddenError(
            "body.user_id: a customer can only create checkouts for themself", realm=REALM
        )
    return principal.subject


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
                },
                "CancelPayment": {
                    "operationId": "cancelPayment",
                    "parameters": {"payment_id": "$response.body#/payment_id"},
                },
            },
        },
        **problem_responses(400, 401, 403, 404, 409, 413, 415, 422, *GATEWAY_ERRORS),
    },
)
def createCheckoutSession(  # noqa: N802 - operationId
    body: Annotated[LineItemsCheckout | CustomAmountCheckout, Body()],
    checkout: CheckoutDep,
    principal: CheckoutPayerDep,
    idempotency_key: IdempotencyKey = None,
) -> views.View:
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
        user_id=paying_user(principal, body.user_id),
        success_url=body.success_url,
        cancel_url=body.cancel_url,
    )
    # Keys are scoped to the caller (`caller`): another user's equal key is another request.
    digest = request_hash(
        {**body.model_dump(mode="json", exclude_unset=True), "user_id": request.user_id}
    )
    result = checkout.start(
        request,
        idempotency_key=idempotency_key,
        body_hash=digest,
        bearer_token=principal.bearer_token,
        caller=principal.subject,
    )
    return views.checkout_session_view(result)


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
        **problem_responses(401, 403, 422, *GATEWAY_ERRORS),
    },
    openapi_extra={"security": [{}]},  # appended to the token schemes: anonymous may be allowed
)
def createCheckoutRedirect(  # noqa: N802
    checkout: CheckoutDep,
    caller: CheckoutCallerDep,
    price: Annotated[
        str,
        # The pattern is declared for the contract and checked by `price_in_minor_units`,
        # which explains a refusal to people instead of quoting the regular expression.
        Query(
            max_length=16,
            json_schema_extra={"pattern": PRICE_PATTERN},
            description=PRICE_DESCRIPTION,
        ),
    ],
    currency: Annotated[QueryCurrency, Query(description=QUERY_CURRENCY_DESCRIPTION)] = Currency(
        "USD"
    ),
) -> RedirectResponse:
    """Create a checkout for one amount and redirect the browser to the hosted page.

    Needs a bearer token, unless the service runs with ALLOW_ANONYMOUS_CHECKOUT=true (the
    `make run` demo), in which case a call without a token is also accepted. With a customer's
    token the payment is that customer's; anonymous and admin payments have no user.
    """
    code = currency.value.upper()
    result = checkout.start(
        CheckoutRequest(
            custom_amount=Money(price_in_minor_units(price, code), code),
            description="Payment",
            user_id=paying_user(caller, None),
        ),
        bearer_token=caller.bearer_token,
    )
    return RedirectResponse(result.url, status_code=303)


def price_in_minor_units(price: str, currency: str) -> int:
    """The `price` query parameter (major units) in minor units, exactly; a refusal names
    `query.price` and says how to write the amount."""
    rule = major_unit_rule(currency)
    if not _PRICE.fullmatch(price):
        try:
            zero = Decimal(price) == 0
        except (InvalidOperation, ValueError):
            zero = False
        prefix = "must be greater than zero: " if zero else "must be "
        raise InvalidFieldError("query.price", f"{prefix}an amount in major units {rule}")
    try:
        amount = to_minor(price, currency)
    except MoneyError:
        raise InvalidFieldError("query.price", f"must be an amount in major units {rule}") from None
    if amount > MAX_MINOR_AMOUNT:
        largest = Money(MAX_MINOR_AMOUNT, currency)
        raise InvalidFieldError("query.price", f"must be at most {largest}")
    return amount
