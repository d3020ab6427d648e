"""Helpers of the web tests: forms over plain HTTP, products and paid orders through the SDKs."""

from __future__ import annotations

import html
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from payment_api_client import AuthenticatedClient
from payment_api_client.api.payments import get_payment
from payment_api_client.api.products import create_product
from payment_api_client.api.webhook_endpoints import (
    delete_webhook_endpoint,
    list_webhook_endpoints,
)
from payment_api_client.models import (
    Currency,
    Money,
    Payment,
    Product,
    ProductCreate,
    WebhookEndpointList,
)

from tests.fixtures.auth import Customer
from tests.fixtures.web import WebStack


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden field {name} in the page"
    return html.unescape(match.group(1))


def csrf_of(client: httpx.Client, path: str = "/") -> str:
    response = client.get(path)
    assert response.status_code == 200, response.text[:500]
    return hidden(response.text, "csrf_token")


def sign_in(client: httpx.Client, email: str, password: str, next_path: str = "/") -> None:
    token = csrf_of(client, "/account/sign-in")
    response = client.post(
        "/account/sign-in",
        data={"csrf_token": token, "email": email, "password": password, "next": next_path},
    )
    assert response.status_code == 303, response.text[:500]
    assert response.headers["location"] == next_path


def new_product(
    admin: AuthenticatedClient, amount: int = 1250, currency: str = "USD", name: str = ""
) -> Product:
    response = create_product.sync_detailed(
        client=admin,
        body=ProductCreate(
            name=name or f"Sencha {uuid.uuid4().hex[:6]}",
            description="Loose-leaf green tea",
            price=Money(amount, Currency(currency)),
        ),
    )
    assert isinstance(response.parsed, Product), response.content
    return response.parsed


def add_to_cart(client: httpx.Client, product: Product, quantity: int = 1) -> None:
    token = csrf_of(client, f"/products/{product.id}")
    response = client.post(
        "/cart/add",
        data={"csrf_token": token, "product_id": product.id, "quantity": str(quantity)},
    )
    assert response.status_code == 303, response.text[:500]


def check_out(client: httpx.Client) -> str:
    """Press "Check out" on the cart; returns the hosted page's URL it redirects to."""
    cart = client.get("/cart")
    response = client.post(
        "/checkout",
        data={
            "csrf_token": hidden(cart.text, "csrf_token"),
            "idempotency_key": hidden(cart.text, "idempotency_key"),
        },
    )
    assert response.status_code == 303, response.text[:500]
    return str(response.headers["location"])


def wait_for_payment(
    client: AuthenticatedClient, payment_id: str, status: str, timeout: float = 15
) -> Payment:
    deadline = time.monotonic() + timeout
    while True:
        response = get_payment.sync_detailed(payment_id, client=client)
        assert isinstance(response.parsed, Payment), response.content
        if str(response.parsed.status) == status or time.monotonic() > deadline:
            assert str(response.parsed.status) == status
            return response.parsed
        time.sleep(0.2)


@contextmanager
def signed_in_client(web: WebStack, customer: Customer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=web.url, timeout=15) as client:
        sign_in(client, customer.email, customer.password)
        yield client


def problem_fields(page: str) -> dict[str, Any]:
    """`{field name: error text}` of the form errors rendered next to their fields."""
    return {
        m.group(1): html.unescape(m.group(2))
        for m in re.finditer(r'<p class="error" id="f-([a-z_]+)-error">([^<]*)</p>', page)
    }


def forget_endpoint(payment_client: AuthenticatedClient, url: str) -> None:
    """Delete the endpoint registered for `url`, if the test left it (through the SDK)."""
    page = list_webhook_endpoints.sync_detailed(client=payment_client, limit=100)
    assert isinstance(page.parsed, WebhookEndpointList), page.content
    for endpoint in page.parsed.data:
        if endpoint.url == url:
            delete_webhook_endpoint.sync_detailed(endpoint.id, client=payment_client)


def loopback_url() -> str:
    """Accepted by the test stack's policy (plain HTTP, loopback); nothing listens on port 9,
    so every delivery fails and stays to be seen and retried."""
    return f"http://127.0.0.1:9/hooks/{uuid.uuid4().hex}"
