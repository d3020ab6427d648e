"""Guest checkout against the real services over plain HTTP: the web's own API client
(`tests/fixtures/web.py` creates it, as `make run` does) starts a guest's checkout, follows
its payment and closes it, and a session is shown only the guest payments it started."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest
from payment_api_client import AuthenticatedClient

from devstack import services
from devstack.processes import free_port
from tests.fixtures.auth import Customer
from tests.fixtures.web import WebStack, start_web
from tests.web.helpers import add_to_cart, hidden, new_product, signed_in_client, wait_for_payment

GUEST_FORM = re.compile(r'<form method="post" action="/checkout/guest".*?</form>', re.S)
JWT = re.compile(r"eyJ[\w-]+\.eyJ[\w-]+\.")


def guest_form(client: httpx.Client) -> dict[str, str]:
    """The fields of the cart's "Check out as a guest" form."""
    cart = client.get("/cart")
    assert cart.status_code == 200, cart.text[:500]
    form = GUEST_FORM.search(cart.text)
    assert form, "the cart offers no guest checkout"
    assert "Check out as a guest" in form.group(0)
    return {
        "csrf_token": hidden(form.group(0), "csrf_token"),
        "idempotency_key": hidden(form.group(0), "idempotency_key"),
    }


def check_out_as_guest(client: httpx.Client, form: dict[str, str] | None = None) -> str:
    """Press "Check out as a guest"; the hosted page's URL it redirects to."""
    response = client.post("/checkout/guest", data=form or guest_form(client))
    assert response.status_code == 303, response.text[:500]
    return str(response.headers["location"])


def session_of(hosted_url: str) -> str:
    return hosted_url.rsplit("/", 1)[1]


def payment_of(web_stack: WebStack, client: httpx.Client, session_id: str) -> str:
    """The payment id this browser's session remembers for the checkout session."""
    stored = web_stack.session(client.cookies["web_session"])
    match = re.search(rf'"{session_id}": "([^"]+)"', stored["data"])
    assert match, stored["data"]
    return match.group(1)


def status_of(client: httpx.Client, session_id: str, wanted: str, timeout: float = 20) -> None:
    """Poll the success page's status JSON (as its script does) until `wanted`."""
    deadline = time.monotonic() + timeout
    while True:
        answer = client.get("/checkout/status", params={"session_id": session_id})
        assert answer.status_code == 200, answer.text[:500]
        if answer.json()["status"] == wanted:
            return
        assert time.monotonic() < deadline, answer.json()
        time.sleep(0.3)


def test_a_guest_pays_from_the_cart_and_the_success_page_shows_succeeded(
    web_stack: WebStack, payment_client: AuthenticatedClient
) -> None:
    product = new_product(payment_client, 1350)
    with httpx.Client(base_url=web_stack.url, timeout=15) as guest:
        add_to_cart(guest, product, 2)
        cart = guest.get("/cart").text
        assert 'action="/checkout"' in cart  # sign in / register stays offered beside it
        hosted = check_out_as_guest(guest)
        assert hosted.startswith(web_stack.payments.sandbox.url + "/checkout/cs_")
        session_id = session_of(hosted)
        payment_id = payment_of(web_stack, guest, session_id)

        pending = guest.get("/checkout/success", params={"session_id": session_id})
        assert pending.status_code == 200
        assert 'id="payment-status"' in pending.text

        web_stack.pay(session_id)  # the hosted page's Pay button
        status_of(guest, session_id, "succeeded")  # followed live, as the page's script does
        page = guest.get("/checkout/success", params={"session_id": session_id})
        assert page.status_code == 200
        assert "Thank you! Your payment succeeded" in page.text
        assert "status-succeeded" in page.text
        assert "/account/orders" not in page.text  # a guest has no order history
        assert product.name not in guest.get("/cart").text  # the order left the cart

    paid = wait_for_payment(payment_client, payment_id, "succeeded")
    assert paid.user_id is None  # nobody's: a guest's
    assert paid.amount.amount == 2700
    assert paid.gateway.checkout_session_id == session_id


def test_a_guest_cannot_see_or_cancel_another_sessions_payment(
    web_stack: WebStack, payment_client: AuthenticatedClient, customer: Customer
) -> None:
    product = new_product(payment_client, 800)
    with (
        httpx.Client(base_url=web_stack.url, timeout=15) as owner,
        httpx.Client(base_url=web_stack.url, timeout=15) as other,
    ):
        add_to_cart(owner, product)
        session_id = session_of(check_out_as_guest(owner))
        payment_id = payment_of(web_stack, owner, session_id)
        other.get("/")  # a session of its own
        for path in ["/checkout/success", "/checkout/cancel"]:
            page = other.get(path, params={"session_id": session_id})
            assert page.status_code == 404
            assert "Page not found" in page.text
        status = other.get("/checkout/status", params={"session_id": session_id})
        assert status.status_code == 404
    with signed_in_client(web_stack, customer) as signed_in:  # nor someone with an account
        page = signed_in.get("/checkout/success", params={"session_id": session_id})
        assert page.status_code == 404
    wait_for_payment(payment_client, payment_id, "pending")  # the cancel page did nothing


def test_the_cancel_page_closes_a_guests_pending_payment(
    web_stack: WebStack, payment_client: AuthenticatedClient
) -> None:
    product = new_product(payment_client, 450)
    with httpx.Client(base_url=web_stack.url, timeout=15) as guest:
        add_to_cart(guest, product)
        session_id = session_of(check_out_as_guest(guest))
        payment_id = payment_of(web_stack, guest, session_id)
        page = guest.get("/checkout/cancel", params={"session_id": session_id})
        assert page.status_code == 200
        assert "Your checkout was canceled" in page.text
        assert product.name in guest.get("/cart").text  # the cart is kept
    wait_for_payment(payment_client, payment_id, "canceled")


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_the_guest_checkout_form_without_its_csrf_token_is_refused_and_starts_nothing(
    web_stack: WebStack, payment_client: AuthenticatedClient, token: str | None
) -> None:
    product = new_product(payment_client)
    with httpx.Client(base_url=web_stack.url, timeout=15) as guest:
        add_to_cart(guest, product)
        form = guest_form(guest)
        if token is None:
            form.pop("csrf_token")
        else:
            form["csrf_token"] = token
        response = guest.post("/checkout/guest", data=form)
        assert response.status_code == 403
        assert "This form has expired" in response.text
        stored = web_stack.session(guest.cookies["web_session"])
    assert "guest_payments" not in stored["data"]
    assert "checkouts" not in stored["data"]


def test_a_double_submitted_guest_form_is_one_checkout_and_another_sessions_key_is_not(
    web_stack: WebStack, payment_client: AuthenticatedClient
) -> None:
    product = new_product(payment_client, 600)
    with (
        httpx.Client(base_url=web_stack.url, timeout=15) as guest,
        httpx.Client(base_url=web_stack.url, timeout=15) as other,
    ):
        add_to_cart(guest, product)
        form = guest_form(guest)
        first = check_out_as_guest(guest, form)
        assert check_out_as_guest(guest, form) == first  # the same Idempotency-Key
        add_to_cart(other, product)
        replayed = {**guest_form(other), "idempotency_key": form["idempotency_key"]}
        # every guest is the web's one API client: the key is bound to the session, so
        # another session's key never replays this guest's checkout to it
        assert check_out_as_guest(other, replayed) != first


def test_the_machine_token_never_reaches_the_browser_or_the_session(
    web_stack: WebStack, payment_client: AuthenticatedClient
) -> None:
    product = new_product(payment_client, 500)
    seen: list[str] = []
    with httpx.Client(base_url=web_stack.url, timeout=15) as guest:
        guest.event_hooks["response"] = [lambda r: seen.append(_dump(r))]
        add_to_cart(guest, product)
        session_id = session_of(check_out_as_guest(guest))
        guest.get("/checkout/success", params={"session_id": session_id})
        guest.get("/checkout/status", params={"session_id": session_id})
        guest.get("/checkout/cancel", params={"session_id": session_id})
        stored = web_stack.session(guest.cookies["web_session"])
    assert not any(JWT.search(text) for text in seen)
    assert not JWT.search(str(stored))
    assert web_stack.api_client is not None
    assert not any(web_stack.api_client[1] in text for text in seen)


def _dump(response: httpx.Response) -> str:
    response.read()
    return str(response.headers) + response.text


def test_signed_in_shoppers_are_not_offered_guest_checkout(
    web_stack: WebStack, payment_client: AuthenticatedClient, customer: Customer
) -> None:
    product = new_product(payment_client)
    with signed_in_client(web_stack, customer) as shopper:
        add_to_cart(shopper, product)
        cart = shopper.get("/cart").text
    assert 'action="/checkout"' in cart
    assert "Check out as a guest" not in cart


def test_a_web_without_guest_checkout_offers_none_and_refuses_the_form(
    web_stack: WebStack, payment_client: AuthenticatedClient, tmp_path: Path, logs_dir: Path
) -> None:
    product = new_product(payment_client)
    web = start_web(
        free_port(), web_stack.payments, tmp_path / "web.sqlite3", logs_dir / "web-no-guests.log",
        workers=1,
    )  # fmt: skip
    try:
        with httpx.Client(base_url=web.url, timeout=15) as shopper:
            add_to_cart(shopper, product)
            cart = shopper.get("/cart").text
            assert "Check out as a guest" not in cart
            refused = shopper.post(
                "/checkout/guest",
                data={
                    "csrf_token": hidden(cart, "csrf_token"),
                    "idempotency_key": hidden(cart, "idempotency_key"),
                },
            )
            assert refused.status_code == 404
    finally:
        web.stop()


def test_with_the_user_service_down_guest_checkout_is_the_friendly_503_page(
    web_stack: WebStack, payment_client: AuthenticatedClient, tmp_path: Path, logs_dir: Path
) -> None:
    product = new_product(payment_client)
    web = services.web(
        free_port(),
        user_service_url=f"http://127.0.0.1:{free_port()}",  # nothing listens there
        payment_service_url=web_stack.payments.url,
        database_url=f"sqlite:///{tmp_path / 'web.sqlite3'}",
        hosted_checkout_origins=[web_stack.payments.sandbox.url],
        workers=1,
        api_client=("cli_000000000000000000000000", "cs_unused"),
        log_path=logs_dir / "web-guest-users-down.log",
    ).start()
    try:
        with httpx.Client(base_url=web.url, timeout=15) as guest:
            add_to_cart(guest, product)  # the catalogue is the payment service's
            response = guest.post("/checkout/guest", data=guest_form(guest))
    finally:
        web.stop()
    assert response.status_code == 503
    assert "Our account service is not answering right now" in response.text
    assert "Traceback" not in response.text
