"""The web signs every shopper in from its own address; with its API client's auth:proxy it
tells the user service whose attempt each one is, so one shopper's failed sign-ins slow that
shopper and nobody else (the user service's per-(account, address) throttle)."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.fixtures.auth import Customer
from tests.fixtures.web import WebStack
from tests.web.helpers import csrf_of


def sign_in_from(web_stack: WebStack, address: str, email: str, password: str) -> httpx.Response:
    """A sign-in through the web by a browser at `address` (uvicorn trusts the loopback proxy's
    X-Forwarded-For, as it trusts the compose proxy's)."""
    with httpx.Client(base_url=web_stack.url, timeout=15,
                      headers={"X-Forwarded-For": address}) as browser:  # fmt: skip
        token = csrf_of(browser, "/account/sign-in")
        return browser.post("/account/sign-in", data={
            "csrf_token": token, "email": email, "password": password, "next": "/",
        })  # fmt: skip


def test_one_shoppers_failed_sign_ins_through_the_web_do_not_make_another_wait(
    web_stack: WebStack, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer()
    for _ in range(5):  # the user service's per-(account, address) limit
        assert sign_in_from(web_stack, "198.51.100.21", customer.email, "wrong").status_code == 422
    waiting = sign_in_from(web_stack, "198.51.100.21", customer.email, customer.password)
    assert "Please wait" in waiting.text
    elsewhere = sign_in_from(web_stack, "198.51.100.22", customer.email, customer.password)
    assert elsewhere.status_code == 303, elsewhere.text[:500]
