"""Password reset and email verification end to end: the running user service, its mail
worker and the SMTP sink (tests/fixtures/mail.py); links are read from the mail received."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import jwt
import pytest
from sqlalchemy import create_engine, text
from user_management_client import AuthenticatedClient, Client
from user_management_client.api.account import (
    request_email_verification,
    request_password_reset,
    reset_password,
    verify_email,
)
from user_management_client.models import EmailVerification, PasswordReset, PasswordResetRequest

from devstack.auth import login
from devstack.processes import ServerProcess
from tests.fixtures.auth import Customer
from tests.fixtures.mail import Mailbox

NEW_PASSWORD = "a freshly chosen passphrase"
RESET = "Reset your password"
VERIFY = "Confirm your email address"
CHANGED = "Your password was changed"


@pytest.fixture
def customer(make_customer: Callable[..., Customer]) -> Customer:
    return make_customer()


def reset_link(client: Client, mailbox: Mailbox, email: str, count: int = 1) -> str:
    answer = request_password_reset.sync_detailed(
        client=client, body=PasswordResetRequest(email=email)
    )
    assert answer.status_code == 202
    return mailbox.wait_for(email, RESET, count=count).link_token("reset-password")


def test_a_reset_link_sets_a_new_password_signs_out_every_session_and_tells_the_owner(
    user_service: ServerProcess, user_client: Client, mailbox: Mailbox, customer: Customer
) -> None:
    token = reset_link(user_client, mailbox, customer.email)
    answer = reset_password.sync_detailed(
        client=user_client, body=PasswordReset(token=token, password=NEW_PASSWORD)
    )
    assert answer.status_code == 204
    refreshed = httpx.post(
        f"{user_service.url}/auth/refresh", json={"refresh_token": customer.refresh_token}
    )
    assert refreshed.status_code == 401
    old = httpx.post(
        f"{user_service.url}/auth/token",
        data={"username": customer.email, "password": customer.password},
    )
    assert old.status_code == 401
    assert login(user_service.url, customer.email, NEW_PASSWORD).access_token
    notice = mailbox.wait_for(customer.email, CHANGED)
    assert "was just changed" in notice.text
    assert "/forgot-password" in notice.html


def test_a_reset_link_works_once(
    user_service: ServerProcess, user_client: Client, mailbox: Mailbox, customer: Customer
) -> None:
    token = reset_link(user_client, mailbox, customer.email)
    body = {"token": token, "password": NEW_PASSWORD}
    assert (
        httpx.post(f"{user_service.url}/auth/password-reset/confirm", json=body).status_code == 204
    )
    again = httpx.post(f"{user_service.url}/auth/password-reset/confirm", json=body)
    assert again.status_code == 422
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["errors"] == [
        {"field": "body.token", "message": "The link was used already; ask for a new one."}
    ]


def test_an_expired_reset_link_is_refused_and_changes_nothing(
    user_service: ServerProcess, user_client: Client, mailbox: Mailbox, customer: Customer,
    user_service_database_url: str,
) -> None:  # fmt: skip
    token = reset_link(user_client, mailbox, customer.email)
    engine = create_engine(user_service_database_url)
    with engine.begin() as db:  # as if the 30 minutes had passed
        db.execute(
            text("UPDATE ums_account_tokens SET expires_at = created_at WHERE email = :e"),
            {"e": customer.email},
        )
    engine.dispose()
    answer = httpx.post(
        f"{user_service.url}/auth/password-reset/confirm",
        json={"token": token, "password": NEW_PASSWORD},
    )
    assert answer.status_code == 422
    assert "expired" in answer.json()["detail"]
    assert login(user_service.url, customer.email, customer.password).access_token


def test_an_unknown_email_gets_the_same_answer_and_no_mail(
    user_service: ServerProcess, mailbox: Mailbox, customer: Customer
) -> None:
    unknown = f"nobody-{customer.email}"
    answers = [
        httpx.post(f"{user_service.url}/auth/password-reset", json={"email": email})
        for email in (unknown, customer.email)
    ]
    assert [a.status_code for a in answers] == [202, 202]
    assert answers[0].content == answers[1].content
    mailbox.wait_for(customer.email, RESET)  # queued after the unknown one: that one is done
    assert mailbox.to(unknown) == []


def test_a_weak_new_password_is_refused_naming_the_field_and_the_link_stays_usable(
    user_service: ServerProcess, user_client: Client, mailbox: Mailbox, customer: Customer
) -> None:
    token = reset_link(user_client, mailbox, customer.email)
    weak = httpx.post(
        f"{user_service.url}/auth/password-reset/confirm",
        json={"token": token, "password": "password123"},
    )
    assert weak.status_code == 422
    assert [e["field"] for e in weak.json()["errors"]] == ["body.password"]
    strong = httpx.post(
        f"{user_service.url}/auth/password-reset/confirm",
        json={"token": token, "password": NEW_PASSWORD},
    )
    assert strong.status_code == 204


def test_registration_mails_a_verification_link_that_verifies_the_email_once(
    user_service: ServerProcess, user_client: Client, mailbox: Mailbox, customer: Customer
) -> None:
    me = httpx.get(f"{user_service.url}/users/me", headers=customer.headers).json()
    assert (me["email_verified"], me["email_verified_at"]) == (False, None)
    token = mailbox.wait_for(customer.email, VERIFY).link_token("verify-email")
    verified = verify_email.sync_detailed(client=user_client, body=EmailVerification(token=token))
    assert verified.status_code == 200
    assert verified.parsed is not None
    assert verified.parsed.email_verified is True
    again = httpx.post(f"{user_service.url}/auth/email-verification/confirm", json={"token": token})
    assert again.status_code == 422
    authed = AuthenticatedClient(base_url=user_service.url, token=customer.token)
    assert request_email_verification.sync_detailed(client=authed).status_code == 409


def test_a_new_email_must_be_verified_again_and_the_old_link_stops_working(
    user_service: ServerProcess, mailbox: Mailbox, customer: Customer
) -> None:
    old_link = mailbox.wait_for(customer.email, VERIFY).link_token("verify-email")
    new_email = f"new-{customer.email}"
    changed = httpx.patch(
        f"{user_service.url}/users/{customer.id}", json={"email": new_email},
        headers=customer.headers,
    )  # fmt: skip
    assert changed.status_code == 200
    assert changed.json()["email_verified"] is False
    refused = httpx.post(
        f"{user_service.url}/auth/email-verification/confirm", json={"token": old_link}
    )
    assert refused.status_code == 422
    new_link = mailbox.wait_for(new_email, VERIFY).link_token("verify-email")
    ok = httpx.post(f"{user_service.url}/auth/email-verification/confirm", json={"token": new_link})
    assert ok.json()["email"] == new_email
    assert ok.json()["email_verified"] is True


def test_a_customer_may_ask_for_another_verification_link(
    user_service: ServerProcess, mailbox: Mailbox, customer: Customer
) -> None:
    mailbox.wait_for(customer.email, VERIFY)
    answer = httpx.post(f"{user_service.url}/users/me/email-verification", headers=customer.headers)
    assert answer.status_code == 202
    first = mailbox.wait_for(customer.email, VERIFY).link_token("verify-email")
    second = mailbox.wait_for(customer.email, VERIFY, count=2).link_token("verify-email")
    assert second != first


def test_the_mail_has_a_text_and_an_html_part_with_the_same_link(
    user_client: Client, mailbox: Mailbox, customer: Customer
) -> None:
    mail = mailbox.wait_for(customer.email, VERIFY)
    assert mail.text.startswith("Hello ")
    assert '<a href="http://web.test/account/verify-email?token=' in mail.html
    mail.link_token("verify-email")  # the same token in both parts


def test_access_tokens_say_whether_the_email_is_verified(
    user_service: ServerProcess, mailbox: Mailbox, customer: Customer
) -> None:
    def claim(token: str) -> object:
        return jwt.decode(token, options={"verify_signature": False})["email_verified"]

    assert claim(customer.token) is False
    token = mailbox.wait_for(customer.email, VERIFY).link_token("verify-email")
    httpx.post(f"{user_service.url}/auth/email-verification/confirm", json={"token": token})
    assert claim(login(user_service.url, customer.email, customer.password).access_token) is True
