"""The web's pages behind the mailed links, over plain HTTP against the running web, user
service, mail worker and SMTP sink: forgot password → mail → new password → sign in; a
verification link confirmed by a button (a GET never spends it)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import jwt

from tests.fixtures.auth import Customer
from tests.fixtures.mail import Mailbox
from tests.fixtures.web import WebStack
from tests.web.helpers import csrf_of, hidden, problem_fields, sign_in

NEW_PASSWORD = "a freshly chosen passphrase"


def test_a_forgotten_password_is_reset_from_the_mailed_link_and_signs_in(
    web_stack: WebStack, web_client: httpx.Client, mailbox: Mailbox,
    make_customer: Callable[..., Customer],
) -> None:  # fmt: skip
    customer = make_customer()
    assert 'href="/account/forgot-password"' in web_client.get("/account/sign-in").text
    csrf = csrf_of(web_client, "/account/forgot-password")
    sent = web_client.post(
        "/account/forgot-password", data={"csrf_token": csrf, "email": customer.email}
    )
    assert sent.status_code == 200
    assert "a link to choose a new password is on its way" in sent.text
    token = mailbox.wait_for(customer.email, "Reset your password").link_token("reset-password")

    page = web_client.get(f"/account/reset-password?token={token}")
    assert hidden(page.text, "token") == token
    form = {"csrf_token": hidden(page.text, "csrf_token"), "token": token}
    mismatch = web_client.post(
        "/account/reset-password",
        data={**form, "new_password": NEW_PASSWORD, "new_password_confirm": "something else"},
    )
    assert mismatch.status_code == 422
    assert "new_password_confirm" in problem_fields(mismatch.text)
    done = web_client.post(
        "/account/reset-password",
        data={**form, "new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD},
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/account/sign-in"
    with httpx.Client(base_url=web_stack.url, timeout=15) as other:
        sign_in(other, customer.email, NEW_PASSWORD)

    reused = web_client.post(
        "/account/reset-password",
        data={**form, "new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD},
    )
    assert reused.status_code == 422
    assert "used already" in reused.text
    assert 'href="/account/forgot-password"' in reused.text


def test_an_unknown_email_sees_the_same_page_as_a_known_one(
    web_client: httpx.Client, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer()
    pages = []
    for email in (customer.email, f"nobody-{customer.email}"):
        csrf = csrf_of(web_client, "/account/forgot-password")
        answer = web_client.post(
            "/account/forgot-password", data={"csrf_token": csrf, "email": email}
        )
        pages.append((answer.status_code, answer.text.replace(email, "EMAIL")))
    assert pages[0][0] == pages[1][0] == 200
    assert pages[0][1].split("<main")[1] == pages[1][1].split("<main")[1]


def test_an_email_is_confirmed_by_the_button_behind_the_link_not_by_opening_it(
    web_stack: WebStack, mailbox: Mailbox, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer()
    token = mailbox.wait_for(customer.email, "Confirm your email").link_token("verify-email")
    with httpx.Client(base_url=web_stack.url, timeout=15) as client:
        sign_in(client, customer.email, customer.password, "/account")
        assert "not confirmed yet" in client.get("/account").text
        page = client.get(f"/account/verify-email?token={token}")
        assert "not confirmed yet" in client.get("/account").text  # the GET spent nothing
        confirmed = client.post(
            "/account/verify-email",
            data={"csrf_token": hidden(page.text, "csrf_token"), "token": token},
        )
        assert confirmed.status_code == 200
        assert f"{customer.email} is confirmed" in confirmed.text
        # the session's access token was renewed: it says so to the payment service at once
        stored = web_stack.session(client.cookies["web_session"])["access_token"]
        assert jwt.decode(stored, options={"verify_signature": False})["email_verified"] is True
        profile = client.get("/account").text
        assert "confirmed" in profile
        assert "not confirmed yet" not in profile
        assert "Mail me a new confirmation link" not in profile


def test_a_signed_in_customer_can_ask_for_a_new_confirmation_link(
    web_stack: WebStack, mailbox: Mailbox, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer()
    with httpx.Client(base_url=web_stack.url, timeout=15) as client:
        sign_in(client, customer.email, customer.password, "/account")
        csrf = csrf_of(client, "/account")
        answer = client.post("/account/verification", data={"csrf_token": csrf})
        assert answer.status_code == 303
        assert "A new confirmation link is on its way" in client.get("/account").text
    mailbox.wait_for(customer.email, "Confirm your email", count=2)
