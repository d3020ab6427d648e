"""The whole platform as an outside developer uses it: only the two GENERATED clients.

Register and log in with `user_management_client`, then buy, pay, refund and list with
`payment_api_client`, against the real processes (gunicorn user service, uvicorn payment
service, Stripe sandbox). The only other call is the sandbox's control API, which stands in for
the shopper pressing "Pay" on the hosted page.
"""

from __future__ import annotations

import time
import uuid

import httpx
from payment_api_client import AuthenticatedClient as PaymentClient
from payment_api_client.api.checkout import create_checkout_session
from payment_api_client.api.payments import create_refund, get_payment, list_payments
from payment_api_client.api.products import create_product, list_products
from payment_api_client.models import (
    CheckoutSession,
    Currency,
    LineItemInput,
    LineItemsCheckout,
    Money,
    Payment,
    PaymentList,
    PaymentStatus,
    Product,
    ProductCreate,
    ProductList,
    Refund,
    RefundCreate,
)
from user_management_client import AuthenticatedClient as UserClient
from user_management_client import Client as AnonymousUserClient
from user_management_client.api.auth import create_token
from user_management_client.api.users import create_user, get_current_user
from user_management_client.models import TokenRequest, TokenResponse, User, UserCreate

from devstack import services
from devstack.processes import ServerProcess
from tests.fixtures.payment_service import PaymentStack

PASSWORD = "journey-passphrase-2026"


def log_in(users: AnonymousUserClient, email: str, password: str) -> str:
    token = create_token.sync(client=users, body=TokenRequest(username=email, password=password))
    assert isinstance(token, TokenResponse), token
    return token.access_token


def wait_for(client: PaymentClient, payment_id: str, status: PaymentStatus) -> Payment:
    deadline = time.monotonic() + 15
    while True:
        payment = get_payment.sync(payment_id, client=client)
        assert isinstance(payment, Payment), payment
        if payment.status == status or time.monotonic() > deadline:
            assert payment.status == status, payment.status_history
            return payment
        time.sleep(0.05)


def test_register_login_buy_pay_refund_and_list_through_the_generated_clients(
    user_service: ServerProcess, payment_stack: PaymentStack
) -> None:
    anonymous = AnonymousUserClient(base_url=user_service.url, timeout=10)

    # An admin stocks the catalogue.
    admin_token = log_in(anonymous, services.DEV_ADMIN_EMAIL, services.DEV_ADMIN_PASSWORD)
    admin = PaymentClient(base_url=payment_stack.url, token=admin_token, timeout=10)
    product = create_product.sync(
        client=admin,
        body=ProductCreate(
            name=f"Journey tea {uuid.uuid4().hex[:6]}", price=Money(1250, Currency.EUR)
        ),
    )
    assert isinstance(product, Product), product

    # A shopper registers and logs in.
    email = f"journey-{uuid.uuid4().hex[:10]}@example.com"
    created = create_user.sync(
        client=anonymous, body=UserCreate(email=email, full_name="Journey", password=PASSWORD)
    )
    assert isinstance(created, User), created
    assert created.role == "customer"  # the user client generates Literal enums
    token = log_in(anonymous, email, PASSWORD)
    me = get_current_user.sync(
        client=UserClient(base_url=user_service.url, token=token, timeout=10)
    )
    assert isinstance(me, User)
    assert me.id == created.id
    shopper = PaymentClient(base_url=payment_stack.url, token=token, timeout=10)

    # Browse, buy two, pay on the (sandbox) hosted page.
    catalogue = list_products.sync(client=shopper, limit=100)
    assert isinstance(catalogue, ProductList)
    assert product.id in {p.id for p in catalogue.data}
    session = create_checkout_session.sync(
        client=shopper,
        body=LineItemsCheckout(line_items=[LineItemInput(product_id=product.id, quantity=2)]),
        idempotency_key=uuid.uuid4().hex,
    )
    assert isinstance(session, CheckoutSession), session
    assert session.status == PaymentStatus.PENDING
    assert (session.amount.amount, session.amount.currency) == (2500, Currency.EUR)
    httpx.post(
        f"{payment_stack.sandbox.url}/_sandbox/checkout/sessions/{session.session_id}/complete",
        json={"outcome": "paid"},
        timeout=10,
    ).raise_for_status()

    paid = wait_for(shopper, session.payment_id, PaymentStatus.SUCCEEDED)
    assert paid.user_id == str(created.id)
    assert paid.customer_email == email

    # The admin refunds part of it; the shopper sees it.
    refund = create_refund.sync(
        session.payment_id,
        client=admin,
        body=RefundCreate(amount=1000),
        idempotency_key=uuid.uuid4().hex,
    )
    assert isinstance(refund, Refund), refund
    refunded = wait_for(shopper, session.payment_id, PaymentStatus.PARTIALLY_REFUNDED)
    assert refunded.refunded_amount.amount == 1000

    mine = list_payments.sync(client=shopper)
    assert isinstance(mine, PaymentList)
    assert [p.id for p in mine.data] == [session.payment_id]
    assert [c.to_status for c in refunded.status_history] == [
        PaymentStatus.PENDING,
        PaymentStatus.SUCCEEDED,
        PaymentStatus.PARTIALLY_REFUNDED,
    ]
