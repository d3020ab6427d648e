"""The running payment service (uvicorn, 2 workers) through its GENERATED client."""

from __future__ import annotations

import concurrent.futures
import time
import uuid
from typing import Any

import httpx
import pytest
from payment_api_client import AuthenticatedClient, Client
from payment_api_client.api.checkout import create_checkout_redirect, create_checkout_session
from payment_api_client.api.health import get_health, get_readiness
from payment_api_client.api.payments import list_payments
from payment_api_client.api.products import get_product, list_products, update_product
from payment_api_client.models import (
    CheckoutSession,
    Currency,
    CustomAmountCheckout,
    LineItemInput,
    LineItemsCheckout,
    LowerCurrency,
    Money,
    PaymentList,
    PaymentStatus,
    Problem,
    Product,
    ProductList,
    ProductUpdate,
)

from tests.fixtures.auth import Customer
from tests.fixtures.payment_service import SHOP_ORIGIN, PaymentStack
from tests.payment.helpers import checkout, fetch, new_product, sign


def raw(stack: PaymentStack, headers: dict[str, str] | None = None) -> httpx.Client:
    """Plain httpx, as the admin unless `headers` say otherwise."""
    sent = stack.admin_headers if headers is None else headers
    return httpx.Client(base_url=stack.url, timeout=15, headers=sent)


def payment_count(client: AuthenticatedClient) -> int:
    total, cursor = 0, None
    while True:
        page = list_payments.sync(client=client, limit=100, cursor=cursor or None)
        assert isinstance(page, PaymentList)
        total += len(page.data)
        if not page.next_cursor:
            return total
        cursor = page.next_cursor


# -- products -----------------------------------------------------------------------------


def test_products_are_created_read_updated_archived_and_listed(
    payment_client: AuthenticatedClient,
) -> None:
    product = new_product(payment_client, 1099)
    got = get_product.sync(product.id, client=payment_client)
    assert isinstance(got, Product)
    assert (got.price.amount, str(got.price.currency)) == (1099, "USD")
    updated = update_product.sync(
        product.id,
        client=payment_client,
        body=ProductUpdate(active=False, price=Money(1299, Currency.USD)),
    )
    assert isinstance(updated, Product)
    assert updated.active is False
    assert updated.price.amount == 1299
    page = list_products.sync(client=payment_client, active=False, limit=100)
    assert isinstance(page, ProductList)
    assert product.id in {p.id for p in page.data}


def test_unknown_product_is_404_problem(payment_client: AuthenticatedClient) -> None:
    response = get_product.sync_detailed("nope", client=payment_client)
    assert response.status_code == 404
    assert isinstance(response.parsed, Problem)
    assert response.headers["content-type"] == "application/problem+json"


def test_invalid_product_names_the_field_and_stores_nothing(payment_stack: PaymentStack) -> None:
    with raw(payment_stack) as http:
        before = len(http.get("/products", params={"limit": 100}).json()["data"])
        response = http.post(
            "/products", json={"name": "x", "price": {"amount": 1.5, "currency": "USD"}}
        )
        assert response.status_code == 422
        fields = {e["field"] for e in response.json()["errors"]}
        assert "body.price.amount" in fields
        assert (
            http.post(
                "/products", json={"name": "x", "price": {"amount": 1, "currency": "usd"}, "x": 1}
            ).status_code
            == 422
        )
        assert len(http.get("/products", params={"limit": 100}).json()["data"]) == before


def test_malformed_json_is_400_and_wrong_media_type_is_415(payment_stack: PaymentStack) -> None:
    with raw(payment_stack) as http:
        bad = http.post("/products", content=b"{nope", headers={"content-type": "application/json"})
        assert bad.status_code == 400
        assert bad.headers["content-type"] == "application/problem+json"
        form = http.post("/products", content=b"name=x", headers={"content-type": "text/plain"})
        assert form.status_code == 415


def test_method_not_allowed_lists_every_allowed_method(payment_stack: PaymentStack) -> None:
    with raw(payment_stack) as http:
        response = http.delete("/products")
        assert response.status_code == 405
        assert set(response.headers["allow"].split(", ")) == {"GET", "POST"}
        response = http.put("/products/abc")
        assert set(response.headers["allow"].split(", ")) == {"GET", "PATCH"}


def test_request_id_is_echoed_or_generated(payment_stack: PaymentStack) -> None:
    with raw(payment_stack) as http:
        assert (
            http.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
            == "abc-123"
        )
        generated = http.get("/healthz", headers={"X-Request-ID": "bad id; with spaces"}).headers[
            "x-request-id"
        ]
        assert len(generated) == 32


def test_health_readiness_docs_and_spec_are_served_without_a_token(
    payment_stack: PaymentStack, anonymous_payment_client: Client
) -> None:
    assert get_health.sync_detailed(client=anonymous_payment_client).status_code == 200
    assert get_readiness.sync_detailed(client=anonymous_payment_client).status_code == 200
    with raw(payment_stack, headers={}) as http:
        docs = http.get("/docs")
        assert docs.status_code == 200
        assert "/docs/assets/swagger-ui-bundle.js" in docs.text
        assert "cdn" not in docs.text.lower()
        assert http.get("/docs/assets/swagger-ui-bundle.js").status_code == 200
        assert http.get("/openapi.json").json()["openapi"] == "3.1.0"


# -- checkout -----------------------------------------------------------------------------


def test_checkout_creates_a_pending_payment_with_a_hosted_session(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient
) -> None:
    product = new_product(payment_client, 1099)
    session = checkout(payment_client, product, quantity=2)
    assert session.amount.amount == 2198
    assert session.url.startswith(f"{payment_stack.sandbox.url}/checkout/cs_")
    assert session.expires_at.tzinfo is not None
    payment = fetch(payment_client, session.payment_id)
    assert payment.status == PaymentStatus.PENDING
    assert payment.gateway.checkout_session_id == session.session_id
    assert [(li.name, li.quantity, li.unit_amount.amount) for li in payment.line_items] == [
        (product.name, 2, 1099)
    ]
    stripe_session = payment_stack.sandbox_call(
        "GET", "/v1/checkout/sessions/" + session.session_id, auth=("sk_test_x", "")
    ).json()
    assert stripe_session["client_reference_id"] == session.payment_id
    assert stripe_session["metadata"]["payment_id"] == session.payment_id
    assert stripe_session["amount_total"] == 2198


def test_same_idempotency_key_and_body_returns_the_same_session(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient
) -> None:
    product = new_product(payment_client)
    key = uuid.uuid4().hex
    first = checkout(payment_client, product, key=key)
    before = payment_count(payment_client)
    again = checkout(payment_client, product, key=key)
    assert again.to_dict() == first.to_dict()
    assert payment_count(payment_client) == before


def test_same_idempotency_key_with_another_body_is_409(payment_client: AuthenticatedClient) -> None:
    product = new_product(payment_client)
    key = uuid.uuid4().hex
    checkout(payment_client, product, key=key)
    response = create_checkout_session.sync_detailed(
        client=payment_client,
        body=LineItemsCheckout(line_items=[LineItemInput(product.id, 5)]),
        idempotency_key=key,
    )
    assert response.status_code == 409
    assert isinstance(response.parsed, Problem)


def test_concurrent_requests_with_one_key_create_one_session(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient
) -> None:
    product = new_product(payment_client)
    key = uuid.uuid4().hex
    body = {"line_items": [{"product_id": product.id, "quantity": 1}]}
    before = payment_count(payment_client)

    def post(_: int) -> httpx.Response:
        with raw(payment_stack) as http:
            return http.post("/checkout-sessions", json=body, headers={"Idempotency-Key": key})

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(post, range(8)))
    assert {r.status_code for r in responses} <= {201, 409}
    created = {r.json()["payment_id"] for r in responses if r.status_code == 201}
    assert len(created) == 1
    assert payment_count(payment_client) == before + 1


def test_unknown_product_is_404_archived_is_409_and_nothing_is_stored(
    payment_client: AuthenticatedClient,
) -> None:
    archived = new_product(payment_client)
    update_product.sync(archived.id, client=payment_client, body=ProductUpdate(active=False))
    before = payment_count(payment_client)
    for product_id, status in (("does-not-exist", 404), (archived.id, 409)):
        response = create_checkout_session.sync_detailed(
            client=payment_client,
            body=LineItemsCheckout(line_items=[LineItemInput(product_id, 1)]),
        )
        assert response.status_code == status
        assert isinstance(response.parsed, Problem)
        assert "body.line_items.0.product_id" in str(response.parsed.detail)
    assert payment_count(payment_client) == before


def test_mixed_currencies_are_422(payment_client: AuthenticatedClient) -> None:
    usd, eur = new_product(payment_client, 100, "USD"), new_product(payment_client, 100, "EUR")
    response = create_checkout_session.sync_detailed(
        client=payment_client,
        body=LineItemsCheckout(line_items=[LineItemInput(usd.id, 1), LineItemInput(eur.id, 1)]),
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("https://evil.example/phish", 422),
        (f"{SHOP_ORIGIN}/thanks", 201),
        ("javascript:alert(1)", 422),
    ],
)
def test_redirect_urls_must_be_on_an_allowed_origin(
    payment_client: AuthenticatedClient, url: str, status: int
) -> None:
    response = create_checkout_session.sync_detailed(
        client=payment_client,
        body=CustomAmountCheckout(custom_amount=Money(500, Currency.USD), success_url=url),
    )
    assert response.status_code == status, response.content


def test_zero_and_three_decimal_custom_amounts(payment_client: AuthenticatedClient) -> None:
    for amount, currency in ((500, Currency.JPY), (1234, Currency.KWD)):
        response = create_checkout_session.sync_detailed(
            client=payment_client, body=CustomAmountCheckout(custom_amount=Money(amount, currency))
        )
        assert isinstance(response.parsed, CheckoutSession), response.content
        assert (response.parsed.amount.amount, response.parsed.amount.currency) == (
            amount,
            currency,
        )


def test_checkout_redirect_answers_303_to_the_hosted_page(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient
) -> None:
    response = create_checkout_redirect.sync_detailed(
        client=payment_client, price="50", currency=LowerCurrency.USD
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith(f"{payment_stack.sandbox.url}/checkout/cs_")
    session_id = location.rsplit("/", 1)[1]
    session = payment_stack.sandbox_call(
        "GET", "/v1/checkout/sessions/" + session_id, auth=("sk_test_x", "")
    ).json()
    assert (session["amount_total"], session["currency"]) == (5000, "usd")
    with raw(payment_stack) as http:
        page = httpx.get(location, timeout=10)
        assert page.status_code == 200
        assert http.get("/checkout/", params={"price": "12.34"}).status_code == 303


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"price": "50.5", "currency": "jpy"}, "query.price", "such as 500 (no decimals for JPY)"),
        ({"price": "1.2345", "currency": "kwd"}, "query.price", "at most 3 decimals for KWD"),
        ({"price": "0"}, "query.price", "must be greater than zero"),
        ({"price": "abc"}, "query.price", "such as 50 or 12.50 (at most 2 decimals for USD)"),
        ({"price": "0.001"}, "query.price", "at most 2 decimals for USD"),
        ({"price": "5", "currency": "zzz"}, "query.currency", "such as USD or usd"),
        ({"price": "5", "currency": "Usd"}, "query.currency", "in upper or lower case"),
    ],
)
def test_checkout_redirect_refuses_inexact_prices_in_words_naming_the_field(
    payment_stack: PaymentStack, params: dict[str, str], field: str, message: str
) -> None:
    with raw(payment_stack) as http:
        response = http.get("/checkout/", params=params)
    assert response.status_code == 422
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == [field]
    assert message in problem["errors"][0]["message"]
    assert "[0-9]" not in problem["detail"], "a regular expression is no explanation"


@pytest.mark.parametrize(
    ("price", "currency", "minor"),
    [
        ("1.234", "kwd", (1234, "kwd")),
        ("12.50", "USD", (1250, "usd")),
        ("500", "JPY", (500, "jpy")),
    ],
)
def test_checkout_redirect_converts_major_units_exactly_in_either_case_of_currency(
    payment_stack: PaymentStack, price: str, currency: str, minor: tuple[int, str]
) -> None:
    with raw(payment_stack) as http:
        response = http.get("/checkout/", params={"price": price, "currency": currency})
    assert response.status_code == 303, response.text
    session_id = response.headers["location"].rsplit("/", 1)[1]
    session = payment_stack.sandbox_call(
        "GET", "/v1/checkout/sessions/" + session_id, auth=("sk_test_x", "")
    ).json()
    assert (session["amount_total"], session["currency"]) == minor


# -- gateway failures ---------------------------------------------------------------------


def _fault(stack: PaymentStack, **fault: Any) -> None:
    stack.sandbox_call("POST", "/_sandbox/faults", json={"method": "POST", **fault})


def test_gateway_error_is_502_and_leaves_a_failed_record(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient
) -> None:
    _fault(payment_stack, path_prefix="/v1/checkout/sessions", mode="error_500", count=5)
    try:
        response = create_checkout_session.sync_detailed(
            client=payment_client,
            body=CustomAmountCheckout(custom_amount=Money(777, Currency.USD)),
        )
    finally:
        payment_stack.sandbox_call("DELETE", "/_sandbox/faults")
    assert response.status_code == 502
    assert isinstance(response.parsed, Problem)
    failed = list_payments.sync(client=payment_client, status=PaymentStatus.FAILED, limit=100)
    assert isinstance(failed, PaymentList)
    assert any(p.amount.amount == 777 for p in failed.data)
    pending = list_payments.sync(client=payment_client, status=PaymentStatus.PENDING, limit=100)
    assert isinstance(pending, PaymentList)
    assert not any(p.amount.amount == 777 for p in pending.data)


def test_gateway_timeout_is_504_and_a_retry_with_the_key_succeeds(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient
) -> None:
    _fault(payment_stack, path_prefix="/v1/checkout/sessions", mode="hang", count=2, seconds=3)
    key = uuid.uuid4().hex
    body = CustomAmountCheckout(custom_amount=Money(778, Currency.USD))
    started = time.monotonic()
    try:
        response = create_checkout_session.sync_detailed(
            client=payment_client, body=body, idempotency_key=key
        )
    finally:
        payment_stack.sandbox_call("DELETE", "/_sandbox/faults")
    assert response.status_code == 504, response.content
    assert time.monotonic() - started < 10
    retry = create_checkout_session.sync_detailed(
        client=payment_client, body=body, idempotency_key=key
    )
    assert retry.status_code in (201, 409), retry.content


def test_gateway_connection_drop_is_never_a_500(
    payment_client: AuthenticatedClient, payment_stack: PaymentStack
) -> None:
    _fault(payment_stack, path_prefix="/v1/checkout/sessions", mode="drop", count=2)
    try:
        response = create_checkout_session.sync_detailed(
            client=payment_client, body=CustomAmountCheckout(custom_amount=Money(779, Currency.USD))
        )
    finally:
        payment_stack.sandbox_call("DELETE", "/_sandbox/faults")
    assert response.status_code in (502, 503, 504)


# -- users --------------------------------------------------------------------------------


def test_unknown_user_is_422_or_user_service_down_is_503(
    payment_client: AuthenticatedClient,
) -> None:
    response = create_checkout_session.sync_detailed(
        client=payment_client,
        body=CustomAmountCheckout(custom_amount=Money(500, Currency.USD), user_id="999999"),
    )
    assert response.status_code in (422, 503), response.content
    assert isinstance(response.parsed, Problem)


# -- payments listing ---------------------------------------------------------------------


def test_payments_paginate_with_a_cursor_and_filter(payment_client: AuthenticatedClient) -> None:
    product = new_product(payment_client, 300)
    ids = {checkout(payment_client, product).payment_id for _ in range(3)}
    seen: list[str] = []
    cursor = None
    while True:
        page = list_payments.sync(client=payment_client, limit=2, cursor=cursor or None)
        assert isinstance(page, PaymentList)
        assert len(page.data) <= 2
        seen += [p.id for p in page.data]
        cursor = page.next_cursor
        if not cursor:
            break
    assert ids <= set(seen)
    assert len(seen) == len(set(seen))
    created = [fetch(payment_client, i).created_at for i in ids]
    window = list_payments.sync(
        client=payment_client, created_gte=min(created), created_lt=max(created), limit=100
    )
    assert isinstance(window, PaymentList)
    assert all(min(created) <= p.created_at < max(created) for p in window.data)


def test_a_payment_is_found_by_its_checkout_session_and_customers_find_only_their_own(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient, customer: Customer
) -> None:
    product = new_product(payment_client, 450)
    started = checkout(payment_client, product)
    checkout(payment_client, product)  # another one, not found
    found = list_payments.sync(client=payment_client, checkout_session_id=started.session_id)
    assert isinstance(found, PaymentList)
    assert [p.id for p in found.data] == [started.payment_id]
    assert found.data[0].gateway.checkout_session_id == started.session_id
    with payment_stack.client(customer.token) as as_customer:  # the admin's payment: not theirs
        theirs = list_payments.sync(client=as_customer, checkout_session_id=started.session_id)
    assert isinstance(theirs, PaymentList)
    assert theirs.data == []
    none = list_payments.sync(client=payment_client, checkout_session_id="cs_test_unknown")
    assert isinstance(none, PaymentList)
    assert none.data == []


def test_bad_cursor_and_naive_dates_are_422(payment_stack: PaymentStack) -> None:
    with raw(payment_stack) as http:
        assert http.get("/payments", params={"cursor": "garbage!"}).status_code == 422
        assert http.get("/payments", params={"cursor": "1_ab"}).json()["data"] == []
        assert (
            http.get("/payments", params={"created_gte": "2026-01-01T00:00:00"}).status_code == 422
        )
        assert http.get("/payments", params={"status": "weird"}).status_code == 422


def test_a_bad_checkout_body_names_only_the_fields_of_the_shape_it_aimed_at(
    payment_stack: PaymentStack,
) -> None:
    with raw(payment_stack) as http:
        fractional = {"custom_amount": {"amount": 10.5, "currency": "USD"}}
        answer = http.post("/checkout-sessions", json=fractional)
        assert answer.status_code == 422
        assert [e["field"] for e in answer.json()["errors"]] == ["body.custom_amount.amount"]
        # neither shape: both are named
        empty = http.post("/checkout-sessions", json={})
        assert empty.status_code == 422
        assert {e["field"] for e in empty.json()["errors"]} == {
            "body.line_items",
            "body.custom_amount",
        }


# -- webhook signature --------------------------------------------------------------------


@pytest.mark.parametrize(
    "signature",
    [None, "t=1,v1=deadbeef", "garbage", "stale", "wrong-secret"],
)
def test_bad_webhook_signatures_are_400_and_store_nothing(
    payment_stack: PaymentStack, signature: str | None
) -> None:
    payload = (
        b'{"id": "evt_bad_%s", "object": "event", "type": "checkout.session.completed", '
        b'"data": {"object": {}}}' % uuid.uuid4().hex.encode()
    )
    headers = {"content-type": "application/json"}
    if signature == "stale":
        headers["Stripe-Signature"] = sign(payload, at=int(time.time()) - 3600)
    elif signature == "wrong-secret":
        headers["Stripe-Signature"] = sign(payload, secret="whsec_other")
    elif signature is not None:
        headers["Stripe-Signature"] = signature
    with raw(payment_stack) as http:
        response = http.post("/webhooks/stripe", content=payload, headers=headers)
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        event_id = payload.split(b'"')[3].decode()
        assert http.post(f"/webhooks/events/{event_id}/replay").status_code == 404


@pytest.mark.parametrize(
    "bad",
    [{"active": 0}, {"active": "true"}, {"price": {"amount": "5", "currency": "USD"}}],
)
def test_types_are_strict_no_coercion(payment_stack: PaymentStack, bad: dict[str, Any]) -> None:
    body = {"name": "x", "price": {"amount": 1, "currency": "USD"}, **bad}
    with raw(payment_stack) as http:
        assert http.post("/products", json=body).status_code == 422
