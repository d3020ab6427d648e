"""The web against the real services over plain HTTP: what a browser test would make slow.

Security headers, cookie flags, CSRF refusal, tokens kept server-side and their refresh,
logout revoking the refresh token, pagination, field errors, friendly error pages.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from payment_api_client import AuthenticatedClient

from devstack import services
from devstack.processes import free_port
from tests.fixtures.auth import Customer
from tests.fixtures.web import WEB_TEST_PAGE_SIZE, WebStack, start_web
from tests.web.helpers import (
    add_to_cart,
    check_out,
    csrf_of,
    hidden,
    new_product,
    problem_fields,
    sign_in,
    signed_in_client,
    wait_for_payment,
)
from web.context import checked_form

PAGES = ["/", "/cart", "/account/sign-in", "/account/register", "/no-such-page"]


@pytest.mark.parametrize("path", [*PAGES, "/static/web.css", "/static/status.js"])
def test_every_answer_carries_the_security_headers_and_a_csp_without_unsafe_inline(
    web_client: httpx.Client, path: str
) -> None:
    response = web_client.get(path)
    headers = response.headers
    csp = headers["content-security-policy"]
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-frame-options"] == "DENY"
    assert "camera=()" in headers["permissions-policy"]
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert "strict-transport-security" not in headers  # plain http in tests


def test_pages_carry_no_inline_script_or_style(web_client: httpx.Client) -> None:
    for path in PAGES:
        page = web_client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), path
        assert "<style" not in page, path
        assert " style=" not in page, path
        assert not re.search(r"\son[a-z]+=", page), path  # no inline event handlers


def test_the_session_cookie_is_httponly_samesite_lax_and_only_an_opaque_id(
    web_client: httpx.Client, customer: Customer, web_stack: WebStack
) -> None:
    sign_in(web_client, customer.email, customer.password, "/account")
    cookies = [c for c in web_client.cookies.jar if c.name == "web_session"]
    assert len(cookies) == 1
    cookie = cookies[0]
    assert cookie.has_nonstandard_attr("HttpOnly")
    assert cookie.get_nonstandard_attr("SameSite", "").lower() == "lax"
    assert cookie.path == "/"
    assert not cookie.secure  # plain http here; the next test shows https
    assert "." not in (cookie.value or "")  # not a JWT: an opaque random id
    rows = [r for r in web_stack.sessions() if r["access_token"]]
    assert rows
    assert all(r["id_hash"] != cookie.value for r in rows)


def test_over_https_the_cookie_is_secure_host_prefixed_and_hsts_is_sent(
    web_stack: WebStack, tmp_path: Path, logs_dir: Path
) -> None:
    web = start_web(
        free_port(),
        web_stack.payments,
        tmp_path / "web.sqlite3",
        logs_dir / "web-https.log",
        env={"WEB_PUBLIC_URL": "https://shop.example"},  # as behind a TLS-terminating proxy
    )
    try:
        response = httpx.get(web.url + "/", timeout=10)
    finally:
        web.stop()
    assert response.status_code == 200
    set_cookie = response.headers["set-cookie"].lower()
    assert set_cookie.startswith("__host-web_session=")
    assert "secure" in set_cookie
    assert "httponly" in set_cookie
    assert "samesite=lax" in set_cookie
    assert "path=/" in set_cookie
    assert "domain=" not in set_cookie
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_every_post_route_takes_its_fields_through_the_csrf_check() -> None:
    from web.routes import (
        account,
        account_recovery,
        account_security,
        console,
        console_api_clients,
        console_audit,
        console_webhooks,
        shop,
    )

    routes = [
        *shop.router.routes,
        *account.router.routes,
        *account_recovery.router.routes,
        *account_security.router.routes,
        *console.router.routes,
        *console_webhooks.router.routes,
        *console_api_clients.router.routes,
        *console_audit.router.routes,
    ]
    posts = [r for r in routes if isinstance(r, APIRoute) and "POST" in r.methods]
    assert len(posts) >= 27
    for route in posts:
        calls = {dep.call for dep in route.dependant.dependencies}
        assert checked_form in calls, route.path


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_form_posted_without_its_csrf_token_is_refused_and_does_nothing(
    web_client: httpx.Client,
    web_stack: WebStack,
    payment_client: AuthenticatedClient,
    token: str | None,
) -> None:
    product = new_product(payment_client)
    csrf_of(web_client, "/")  # the session exists, with a token of its own
    data = {"product_id": product.id, "quantity": "1"}
    if token is not None:
        data["csrf_token"] = token
    response = web_client.post("/cart/add", data=data)
    assert response.status_code == 403
    assert "This form has expired" in response.text
    assert product.name not in web_client.get("/cart").text


def test_a_form_of_another_session_is_refused(
    web_stack: WebStack, payment_client: AuthenticatedClient
) -> None:
    product = new_product(payment_client)
    with (
        httpx.Client(base_url=web_stack.url) as victim,
        httpx.Client(base_url=web_stack.url) as attacker,
    ):
        token = csrf_of(attacker, "/")
        csrf_of(victim, "/")
        response = victim.post(
            "/cart/add", data={"csrf_token": token, "product_id": product.id, "quantity": "1"}
        )
        assert response.status_code == 403


def test_tokens_never_reach_the_browser(
    web_client: httpx.Client, customer: Customer, web_stack: WebStack
) -> None:
    seen: list[str] = []
    web_client.event_hooks["response"] = [lambda r: seen.append(_dump(r))]
    sign_in(web_client, customer.email, customer.password, "/account")
    for path in ["/account", "/account/orders", "/", "/cart"]:
        web_client.get(path)
    stored = next(r for r in web_stack.sessions() if r["data"] and customer.email in r["data"])
    for secret in (stored["access_token"], stored["refresh_token"]):
        assert secret
        assert not any(secret in text for text in seen)
    assert not any(re.search(r"eyJ[\w-]+\.eyJ[\w-]+\.", text) for text in seen)  # no JWT at all


def _dump(response: httpx.Response) -> str:
    response.read()
    return str(response.headers) + response.text


def session_of(web_stack: WebStack, email: str) -> dict[str, Any]:
    return next(r for r in web_stack.sessions() if r["data"] and email in r["data"])


def test_an_access_token_near_expiry_is_refreshed_and_the_refresh_token_rotated(
    web_stack: WebStack, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer()
    with signed_in_client(web_stack, customer) as client:
        before = session_of(web_stack, customer.email)
        web_stack.age_sessions(access_expires_at=time.time() + 5)  # inside the margin
        response = client.get("/account")
        assert response.status_code == 200
        assert customer.email in response.text
        after = session_of(web_stack, customer.email)
    assert after["refresh_token"] != before["refresh_token"]
    assert after["access_token"] != before["access_token"]
    assert after["access_expires_at"] > time.time() + 600


def test_an_access_token_the_api_refuses_401_is_refreshed_once_and_the_page_still_works(
    web_stack: WebStack, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer()
    with signed_in_client(web_stack, customer) as client:
        before = session_of(web_stack, customer.email)
        web_stack.age_sessions(access_token="not-a-valid-token")
        response = client.get("/account/orders")
        assert response.status_code == 200
        after = session_of(web_stack, customer.email)
    assert after["access_token"] != "not-a-valid-token"
    assert after["refresh_token"] != before["refresh_token"]


def test_a_refresh_token_the_user_service_refuses_sends_the_user_to_sign_in_again(
    web_stack: WebStack, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer()
    with signed_in_client(web_stack, customer) as client:
        web_stack.age_sessions(access_token="not-a-valid-token", refresh_token="revoked")
        response = client.get("/account/orders")
        assert response.status_code == 303
        assert response.headers["location"] == (
            "/account/sign-in?next=/account/orders&reason=expired"
        )
        assert "Your session has expired" in client.get(response.headers["location"]).text


def test_sign_out_revokes_the_refresh_token_and_ends_the_session(
    web_stack: WebStack, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer()
    with signed_in_client(web_stack, customer) as client:
        refresh = session_of(web_stack, customer.email)["refresh_token"]
        response = client.post("/account/sign-out", data={"csrf_token": csrf_of(client, "/")})
        assert response.status_code == 303
        assert client.get("/account").headers["location"].startswith("/account/sign-in")
    answer = httpx.post(
        f"{web_stack.payments.users_url}/auth/refresh", json={"refresh_token": refresh}
    )
    assert answer.status_code == 401
    assert not [r for r in web_stack.sessions() if r["data"] and customer.email in r["data"]]


def test_signing_in_gives_a_new_session_id_and_keeps_the_cart(
    web_client: httpx.Client,
    web_stack: WebStack,
    payment_client: AuthenticatedClient,
    customer: Customer,
) -> None:
    product = new_product(payment_client)
    add_to_cart(web_client, product, 2)
    anonymous = web_client.cookies["web_session"]
    sign_in(web_client, customer.email, customer.password, "/cart")
    assert web_client.cookies["web_session"] != anonymous  # no session fixation
    assert product.name in web_client.get("/cart").text


def test_order_history_paginates_with_the_apis_next_cursor(
    web_stack: WebStack, make_customer: Callable[..., Customer], payment_client: AuthenticatedClient
) -> None:
    customer = make_customer()
    product = new_product(payment_client, 300)
    with signed_in_client(web_stack, customer) as client:
        for _ in range(WEB_TEST_PAGE_SIZE + 2):
            add_to_cart(client, product)
            check_out(client)
        first = client.get("/account/orders")
        rows_first = re.findall(r'href="/account/orders/([^"]+)"', first.text)
        assert len(rows_first) == WEB_TEST_PAGE_SIZE
        next_link = re.search(r'href="(/account/orders\?cursor=[^"]+)" rel="next"', first.text)
        assert next_link
        second = client.get(next_link.group(1).replace("&amp;", "&"))
        rows_second = re.findall(r'href="/account/orders/([^"]+)"', second.text)
        assert len(rows_second) == 2
        assert not set(rows_first) & set(rows_second)
        assert 'rel="next"' not in second.text
        assert 'href="/account/orders">First page' in second.text


def test_registration_field_errors_from_the_api_appear_next_to_their_fields(
    web_client: httpx.Client, customer: Customer
) -> None:
    token = csrf_of(web_client, "/account/register")
    form = {"csrf_token": token, "full_name": "Ada", "next": "/"}
    taken = web_client.post(
        "/account/register",
        data={**form, "email": customer.email, "password": "a-fine-long-passphrase-9",
              "password_confirm": "a-fine-long-passphrase-9"},
    )  # fmt: skip
    assert taken.status_code == 422
    assert "email" in problem_fields(taken.text)  # 409 body.email -> the email field
    common = web_client.post(
        "/account/register",
        data={**form, "email": "new-person@example.com", "password": "password123",
              "password_confirm": "password123"},
    )  # fmt: skip
    assert common.status_code == 422
    fields = problem_fields(common.text)
    assert "password" in fields
    assert "email" not in fields
    assert 'aria-describedby="f-password-hint f-password-error"' in common.text
    assert 'aria-invalid="true"' in common.text


def test_a_wrong_password_is_one_message_without_saying_which_part_was_wrong(
    web_client: httpx.Client, customer: Customer
) -> None:
    token = csrf_of(web_client, "/account/sign-in")
    response = web_client.post(
        "/account/sign-in",
        data={"csrf_token": token, "email": customer.email, "password": "wrong-password-1"},
    )
    assert response.status_code == 422
    assert "That email and password do not match an account." in response.text


def test_sign_in_never_redirects_off_site(web_client: httpx.Client, customer: Customer) -> None:
    token = csrf_of(web_client, "/account/sign-in")
    response = web_client.post(
        "/account/sign-in",
        data={"csrf_token": token, "email": customer.email, "password": customer.password,
              "next": "//evil.example/steal"},
    )  # fmt: skip
    assert response.headers["location"] == "/"


def test_changing_the_password_checks_the_current_one_and_keeps_the_user_signed_in(
    web_stack: WebStack, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer()
    with signed_in_client(web_stack, customer) as client:
        token = csrf_of(client, "/account/password")
        new = "another-long-passphrase-3"
        wrong = client.post(
            "/account/password",
            data={"csrf_token": token, "current_password": "not-my-password",
                  "new_password": new, "new_password_confirm": new},
        )  # fmt: skip
        assert wrong.status_code == 422
        assert problem_fields(wrong.text) == {
            "current_password": "That is not your current password."
        }
        done = client.post(
            "/account/password",
            data={"csrf_token": token, "current_password": customer.password,
                  "new_password": new, "new_password_confirm": new},
        )  # fmt: skip
        assert done.status_code == 303
        assert client.get("/account").status_code == 200  # still signed in, new tokens
    assert (
        httpx.post(
            f"{web_stack.payments.users_url}/auth/token",
            data={"username": customer.email, "password": new},
        ).status_code
        == 200
    )


def test_a_double_submitted_refund_form_refunds_once(
    web_stack: WebStack, customer: Customer, payment_client: AuthenticatedClient
) -> None:
    product = new_product(payment_client, 2000)
    with signed_in_client(web_stack, customer) as shopper:
        add_to_cart(shopper, product)
        hosted = check_out(shopper)
    session_id = hosted.rsplit("/", 1)[1]
    web_stack.pay(session_id)
    with signed_in_client(web_stack, _admin(web_stack)) as admin:
        deadline = time.monotonic() + 20  # the worker processes the sandbox's event
        while True:
            payments = admin.get("/console/payments?status=succeeded").text
            found = [
                pid
                for pid in re.findall(r'href="/console/payments/([0-9a-f-]{36})"', payments)
                if wait_for_payment(payment_client, pid, "succeeded").gateway.checkout_session_id
                == session_id
            ]
            if found:
                payment_id = found[0]
                break
            assert time.monotonic() < deadline, "the paid payment never listed as succeeded"
            time.sleep(0.2)
        page = admin.get(f"/console/payments/{payment_id}").text
        form = {
            "csrf_token": hidden(page, "csrf_token"),
            "idempotency_key": hidden(page, "idempotency_key"),
            "amount": "5.00",
            "reason": "requested_by_customer",
        }
        first = admin.post(f"/console/payments/{payment_id}/refunds", data=form)
        second = admin.post(f"/console/payments/{payment_id}/refunds", data=form)
        assert first.status_code == second.status_code == 303
        detail = admin.get(f"/console/payments/{payment_id}").text
    refunds = re.findall(r"<td class=\"num\">\$5\.00</td><td>(\w+)</td>", detail)
    assert len(refunds) == 1


def _admin(web_stack: WebStack) -> Customer:
    return Customer("", services.DEV_ADMIN_EMAIL, services.DEV_ADMIN_PASSWORD, "")


def test_a_customer_gets_a_friendly_403_on_the_console(
    web_stack: WebStack, customer: Customer
) -> None:
    with signed_in_client(web_stack, customer) as client:
        response = client.get("/console/payments")
    assert response.status_code == 403
    assert "Not allowed" in response.text
    assert "<html" in response.text


def test_unknown_pages_and_orders_are_friendly_404_pages(
    web_stack: WebStack, customer: Customer
) -> None:
    with signed_in_client(web_stack, customer) as client:
        for path in ["/no-such-page", "/account/orders/00000000-0000-0000-0000-000000000000"]:
            response = client.get(path)
            assert response.status_code == 404
            assert "Page not found" in response.text
            assert "Traceback" not in response.text


def test_a_payment_service_that_refuses_connections_gives_a_friendly_503_page(
    web_stack: WebStack, tmp_path: Path, logs_dir: Path
) -> None:
    dead = web_stack.payments
    web = services.web(
        free_port(),
        user_service_url=dead.users_url,
        payment_service_url=f"http://127.0.0.1:{free_port()}",  # nothing listens there
        database_url=f"sqlite:///{tmp_path / 'web.sqlite3'}",
        hosted_checkout_origins=[dead.sandbox.url],
        log_path=logs_dir / "web-no-payments.log",
    ).start()
    try:
        response = httpx.get(web.url + "/", timeout=10)
    finally:
        web.stop()
    assert response.status_code == 503
    assert "Our payment service is not answering right now" in response.text
    assert "Traceback" not in response.text
    assert response.headers["content-security-policy"]


def test_the_catalogue_is_public_shows_only_active_products_and_formats_each_currency(
    web_client: httpx.Client, payment_client: AuthenticatedClient
) -> None:
    from payment_api_client.api.products import update_product
    from payment_api_client.models import ProductUpdate

    yen = new_product(payment_client, 5000, "JPY")
    dinar = new_product(payment_client, 1234, "KWD")
    gone = new_product(payment_client, 999, "USD")
    update_product.sync_detailed(gone.id, client=payment_client, body=ProductUpdate(active=False))
    text = ""
    cursor_path = "/"
    for _ in range(20):  # the shop's pages until both products were seen
        page = web_client.get(cursor_path).text
        text += page
        more = re.search(r'href="(/\?cursor=[^"]+)" rel="next"', page)
        if (yen.name in text and dinar.name in text) or not more:
            break
        cursor_path = more.group(1).replace("&amp;", "&")
    assert yen.name in text
    assert dinar.name in text
    assert "¥5,000" in text
    assert "KWD1.234" in text
    assert gone.name not in text
    assert web_client.get(f"/products/{gone.id}").status_code == 404
