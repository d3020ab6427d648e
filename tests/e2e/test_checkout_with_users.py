"""Checkout against the REAL user service (gunicorn) through both generated clients."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from payment_api_client import AuthenticatedClient
from payment_api_client.api.checkout import create_checkout_session
from payment_api_client.models import CheckoutSession, Currency, CustomAmountCheckout, Money

from tests.fixtures.auth import Customer
from tests.fixtures.payment_service import PaymentStack
from tests.payment.helpers import fetch


def checkout_for(client: AuthenticatedClient, user_id: str | None) -> Any:
    body = CustomAmountCheckout(custom_amount=Money(2500, Currency.USD))
    if user_id is not None:
        body.user_id = user_id
    return create_checkout_session.sync_detailed(client=client, body=body)


def test_a_known_user_prefills_the_customer_email(
    payment_stack: PaymentStack,
    payment_client: AuthenticatedClient,
    make_customer: Callable[..., Customer],
) -> None:
    user = make_customer()
    response = checkout_for(payment_client, user.id)  # the admin, for that customer
    assert isinstance(response.parsed, CheckoutSession), response.content
    payment = fetch(payment_client, response.parsed.payment_id)
    assert (payment.user_id, payment.customer_email) == (user.id, user.email)
    session = payment_stack.sandbox_call(
        "GET", f"/v1/checkout/sessions/{response.parsed.session_id}", auth=("sk_test_x", "")
    ).json()
    assert session["customer_email"] == user.email


def test_a_customers_own_checkout_is_looked_up_with_their_own_token(
    payment_stack: PaymentStack, make_customer: Callable[..., Customer]
) -> None:
    """The payment service forwards the customer's token; the user service lets a customer
    read only themself, so the email can only have come through their token."""
    user = make_customer()
    with payment_stack.client(user.token) as client:
        response = checkout_for(client, None)
        assert isinstance(response.parsed, CheckoutSession), response.content
        payment = fetch(client, response.parsed.payment_id)
    assert (payment.user_id, payment.customer_email) == (user.id, user.email)


def test_unknown_and_deactivated_users_are_422(
    payment_client: AuthenticatedClient, admin_client: Any, make_customer: Callable[..., Customer]
) -> None:
    from user_management_client.api.users import delete_user

    user = make_customer()
    assert delete_user.sync_detailed(uuid.UUID(user.id), client=admin_client).status_code in (
        200,
        204,
    )
    for user_id in (user.id, str(uuid.uuid4()), "not-a-uuid"):
        response = checkout_for(payment_client, user_id)
        assert response.status_code == 422, (user_id, response.content)
        assert b"body.user_id" in response.content
