"""Two operations the storefront needs, through the generated client against real processes:
cancelPayment closes a pending payment's session, and the catalogue is readable without a token."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from payment_api_client import AuthenticatedClient, Client
from payment_api_client.api.payments import cancel_payment
from payment_api_client.api.products import get_product, list_products, update_product
from payment_api_client.models import Payment, PaymentStatus, Problem, ProductList, ProductUpdate

from devstack.services import SANDBOX_API_KEY
from tests.fixtures.auth import Customer
from tests.fixtures.payment_service import PaymentStack
from tests.payment.helpers import checkout, fetch, new_product, wait_for_status


def customer_client(stack: PaymentStack, customer: Customer) -> AuthenticatedClient:
    client: AuthenticatedClient = stack.client(customer.token)
    return client


def test_cancel_closes_the_session_at_the_gateway_and_marks_the_payment_canceled(
    payment_client: AuthenticatedClient, payment_stack: PaymentStack, customer: Customer
) -> None:
    product = new_product(payment_client, 700)
    with customer_client(payment_stack, customer) as mine:
        session = checkout(mine, product)
        answer = cancel_payment.sync_detailed(session.payment_id, client=mine)
        assert answer.status_code == 200, answer.content
        assert isinstance(answer.parsed, Payment)
        assert answer.parsed.status == PaymentStatus.CANCELED
        assert [h.to_status for h in answer.parsed.status_history][-1] == PaymentStatus.CANCELED
        at_gateway = httpx.get(
            f"{payment_stack.sandbox.url}/v1/checkout/sessions/{session.session_id}",
            headers={"Authorization": f"Bearer {SANDBOX_API_KEY}"},
        )
        assert at_gateway.json()["status"] == "expired"
        # Again: the same canceled payment, nothing moves (the gateway's expiry event too).
        again = cancel_payment.sync_detailed(session.payment_id, client=mine)
        assert again.status_code == 200
        assert isinstance(again.parsed, Payment)
        assert len(again.parsed.status_history) == len(answer.parsed.status_history)
        assert fetch(mine, session.payment_id).status == PaymentStatus.CANCELED


def test_a_paid_payment_cannot_be_canceled(
    payment_client: AuthenticatedClient, payment_stack: PaymentStack
) -> None:
    session = checkout(payment_client, new_product(payment_client, 900))
    paid = payment_stack.sandbox_call(
        "POST",
        f"/_sandbox/checkout/sessions/{session.session_id}/complete",
        json={"outcome": "paid"},
    )
    assert paid.status_code == 200
    wait_for_status(payment_client, session.payment_id, "succeeded")
    refused = cancel_payment.sync_detailed(session.payment_id, client=payment_client)
    assert refused.status_code == 409
    assert isinstance(refused.parsed, Problem)
    assert refused.parsed.type_ == "/problems/conflict"
    assert fetch(payment_client, session.payment_id).status == PaymentStatus.SUCCEEDED


def test_another_customers_payment_cannot_be_canceled(
    payment_client: AuthenticatedClient,
    payment_stack: PaymentStack,
    make_customer: Callable[..., Customer],
    customer: Customer,
) -> None:
    with customer_client(payment_stack, customer) as mine:
        session = checkout(mine, new_product(payment_client, 800))
    other = make_customer()
    with customer_client(payment_stack, other) as theirs:
        assert cancel_payment.sync_detailed(session.payment_id, client=theirs).status_code == 404
    assert fetch(payment_client, session.payment_id).status == PaymentStatus.PENDING


def test_anonymous_shoppers_read_the_active_catalogue_only(
    payment_client: AuthenticatedClient, anonymous_payment_client: Client
) -> None:
    on_sale = new_product(payment_client, 1200)
    withdrawn = new_product(payment_client, 1300)
    update_product.sync(withdrawn.id, client=payment_client, body=ProductUpdate(active=False))

    seen: set[str] = set()
    cursor: str | None = None
    while True:
        page = list_products.sync(
            client=anonymous_payment_client, limit=100, cursor=cursor, active=False
        )
        assert isinstance(page, ProductList)
        assert all(p.active for p in page.data)  # `active=false` is ignored without a token
        seen |= {p.id for p in page.data}
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert on_sale.id in seen
    assert withdrawn.id not in seen
    assert get_product.sync_detailed(on_sale.id, client=anonymous_payment_client).status_code == 200
    hidden = get_product.sync_detailed(withdrawn.id, client=anonymous_payment_client)
    assert hidden.status_code == 404
    assert get_product.sync_detailed(withdrawn.id, client=payment_client).status_code == 200


def test_a_bad_token_on_the_public_catalogue_is_still_401(payment_stack: PaymentStack) -> None:
    answer = httpx.get(
        payment_stack.url + "/products", headers={"Authorization": "Bearer not-a-token"}
    )
    assert answer.status_code == 401
    assert answer.json()["type"] == "/problems/unauthenticated"
