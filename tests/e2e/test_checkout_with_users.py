"""Checkout against the REAL user service (gunicorn) through both generated clients."""

from __future__ import annotations

import uuid
from typing import Any

from payment_api_client import Client
from payment_api_client.api.checkout import create_checkout_session
from payment_api_client.models import CheckoutSession, Currency, CustomAmountCheckout, Money

from tests.fixtures.payment_service import PaymentStack
from tests.payment.helpers import fetch


def new_user(user_client: Any) -> Any:
    from user_management_client.api.users import create_user
    from user_management_client.models import User, UserCreate

    response = create_user.sync_detailed(
        client=user_client,
        body=UserCreate(
            email=f"buyer-{uuid.uuid4().hex[:8]}@example.com",
            full_name="Ada Buyer",
            password="correct horse battery staple",
        ),
    )
    assert isinstance(response.parsed, User), response.content
    return response.parsed


def checkout_for(client: Client, user_id: str) -> Any:
    return create_checkout_session.sync_detailed(
        client=client,
        body=CustomAmountCheckout(custom_amount=Money(2500, Currency.USD), user_id=user_id),
    )


def test_a_known_user_prefills_the_customer_email(
    payment_stack: PaymentStack, payment_client: Client, user_client: Any
) -> None:
    user = new_user(user_client)
    response = checkout_for(payment_client, str(user.id))
    assert isinstance(response.parsed, CheckoutSession), response.content
    payment = fetch(payment_client, response.parsed.payment_id)
    assert (payment.user_id, payment.customer_email) == (str(user.id), user.email)
    session = payment_stack.sandbox_call(
        "GET", f"/v1/checkout/sessions/{response.parsed.session_id}", auth=("sk_test_x", "")
    ).json()
    assert session["customer_email"] == user.email


def test_unknown_and_deactivated_users_are_422(payment_client: Client, user_client: Any) -> None:
    from user_management_client.api.users import delete_user

    user = new_user(user_client)
    assert delete_user.sync_detailed(user.id, client=user_client).status_code in (200, 204)
    for user_id in (str(user.id), str(uuid.uuid4()), "not-a-uuid"):
        response = checkout_for(payment_client, user_id)
        assert response.status_code == 422, (user_id, response.content)
        assert b"body.user_id" in response.content
