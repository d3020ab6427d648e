"""Two-step sign-in (TOTP) through the web, against the real processes over plain HTTP:
turning it on from Account → Security (password, secret, first code, recovery codes shown
once), signing in with the code, turning it off with a recovery code, the field errors, an
admin's reset from the console, and that neither the password nor the secret is kept.

A code of the step the enrolment spent cannot be used again: the next step's code
(`TOTP.at(now + 30)`, inside the service's window) signs in.
"""

from __future__ import annotations

import html
import re
import time
import uuid
from collections.abc import Callable

import httpx
import pyotp

from devstack import services
from tests.fixtures.auth import Customer
from tests.fixtures.web import WebStack
from tests.web.helpers import csrf_of, hidden, problem_fields, sign_in

SECRET = re.compile(r'id="totp-secret">([A-Z2-7 ]+)</code>')
OTPAUTH = re.compile(r'<a href="(otpauth://[^"]+)" id="otpauth-link">')
CODES = re.compile(r'<ol class="codes mono" id="recovery-codes">(.*?)</ol>', re.S)
CODE_ERROR = "Enter the 6-digit code from your authenticator app, or a recovery code."


def flashes(page: str) -> list[str]:
    return [
        html.unescape(m.group(1))
        for m in re.finditer(
            r'<div class="flash \w+" role="\w+"(?: id="[\w-]+")?>([^<]*)</div>', page
        )
    ]


def start(client: httpx.Client, password: str) -> httpx.Response:
    token = csrf_of(client, "/account/security")
    return client.post(
        "/account/security/totp", data={"csrf_token": token, "current_password": password}
    )


def secret_of(page: str) -> str:
    match = SECRET.search(page)
    assert match, page[:2000]
    return match.group(1).replace(" ", "")


def confirm(client: httpx.Client, setup_page: str, code: str) -> httpx.Response:
    return client.post(
        "/account/security/totp/confirm",
        data={
            "csrf_token": hidden(setup_page, "csrf_token"),
            "secret": hidden(setup_page, "secret"),
            "otpauth_uri": hidden(setup_page, "otpauth_uri"),
            "code": code,
        },
    )


def recovery_codes(page: str) -> list[str]:
    match = CODES.search(page)
    assert match, page[:2000]
    return [html.unescape(c) for c in re.findall(r"<li>([^<]+)</li>", match.group(1))]


def enrol(client: httpx.Client, password: str) -> tuple[str, list[str]]:
    """Turn two-step sign-in on through the pages; the secret and the recovery codes."""
    setup = start(client, password)
    assert setup.status_code == 200, setup.text[:1000]
    secret = secret_of(setup.text)
    done = confirm(client, setup.text, pyotp.TOTP(secret).now())
    assert done.status_code == 200, done.text[:1000]
    return secret, recovery_codes(done.text)


def sign_in_form(
    client: httpx.Client, email: str, password: str, otp: str = "", next_path: str = "/account"
) -> httpx.Response:
    token = csrf_of(client, "/account/sign-in")
    return client.post(
        "/account/sign-in",
        data={
            "csrf_token": token,
            "email": email,
            "password": password,
            "otp": otp,
            "next": next_path,
        },
    )


def sign_out(client: httpx.Client) -> None:
    token = csrf_of(client, "/account")
    assert client.post("/account/sign-out", data={"csrf_token": token}).status_code == 303


def next_code(secret: str) -> str:
    """The next step's code: the current one was spent by the enrolment."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def wrong_code(secret: str) -> str:
    """Six digits that none of the steps the service accepts now would give."""
    totp = pyotp.TOTP(secret)
    accepted = {totp.at(time.time() + d) for d in (-30, 0, 30, 60)}
    return next(c for c in ("000000", "111111", "222222", "333333", "444444") if c not in accepted)


def test_the_sign_in_page_has_an_optional_authentication_code_field_for_authenticator_apps(
    web_client: httpx.Client,
) -> None:
    page = web_client.get("/account/sign-in").text
    field = re.search(r'<input id="f-otp" name="otp"[^>]*>', page)
    assert field, page
    tag = field.group(0)
    assert 'autocomplete="one-time-code"' in tag
    assert 'inputmode="numeric"' in tag
    assert "required" not in tag
    assert '<label for="f-otp">Authentication code</label>' in page
    assert "only if you turned on two-step sign-in" in page.lower()


def test_a_user_turns_on_two_step_sign_in_and_then_signs_in_only_with_the_code(
    web_stack: WebStack, make_customer: Callable[..., Customer]
) -> None:
    user = make_customer()
    with httpx.Client(base_url=web_stack.url, timeout=15) as client:
        sign_in(client, user.email, user.password, "/account")
        assert 'href="/account/security"' in client.get("/account").text
        page = client.get("/account/security").text
        assert "Off" in page
        setup = start(client, user.password)
        assert setup.status_code == 200
        secret = secret_of(setup.text)
        grouped = SECRET.search(setup.text)
        assert grouped
        assert all(len(g) == 4 for g in grouped.group(1).split(" ")[:-1])  # typed in 4s
        uri = OTPAUTH.search(setup.text)
        assert uri
        assert html.unescape(uri.group(1)).startswith("otpauth://totp/")
        assert f"secret={secret}" in html.unescape(uri.group(1))
        done = confirm(client, setup.text, pyotp.TOTP(secret).now())
        assert done.status_code == 200
        codes = recovery_codes(done.text)
        assert len(codes) == 10
        assert "shown only this once" in done.text
        assert "On" in client.get("/account/security").text
        stored = str(web_stack.sessions())
        assert secret not in stored  # neither the secret nor the codes are kept
        assert not any(code in stored for code in codes)
        sign_out(client)

        refused = sign_in_form(client, user.email, user.password)
        assert refused.status_code == 422
        assert problem_fields(refused.text) == {"otp": CODE_ERROR}
        assert user.password not in refused.text  # typed again, never kept in the page
        assert user.password not in str(web_stack.sessions())
        password_field = re.search(r'<input id="f-password"[^>]*>', refused.text)
        assert password_field
        assert 'value=""' in password_field.group(0)
        assert client.get("/account").status_code == 303  # still signed out

        wrong = sign_in_form(client, user.email, user.password, wrong_code(secret))
        assert problem_fields(wrong.text) == {"otp": CODE_ERROR}

        signed_in = sign_in_form(client, user.email, user.password, next_code(secret))
        assert signed_in.status_code == 303, signed_in.text[:1000]
        assert signed_in.headers["location"] == "/account"
        assert client.get("/account").status_code == 200


def test_a_wrong_current_password_or_first_code_is_shown_at_its_field(
    web_stack: WebStack, make_customer: Callable[..., Customer]
) -> None:
    user = make_customer()
    with httpx.Client(base_url=web_stack.url, timeout=15) as client:
        sign_in(client, user.email, user.password, "/account")
        refused = start(client, "not-the-password-at-all")
        assert refused.status_code == 422
        assert problem_fields(refused.text) == {
            "current_password": "That is not your current password."
        }
        setup = start(client, user.password)
        secret = secret_of(setup.text)
        again = confirm(client, setup.text, wrong_code(secret))
        assert again.status_code == 422
        assert set(problem_fields(again.text)) == {"code"}
        assert secret_of(again.text) == secret  # the same secret, to try the next code
        done = confirm(client, again.text, pyotp.TOTP(secret).now())
        assert done.status_code == 200
        assert len(recovery_codes(done.text)) == 10


def test_two_step_sign_in_is_turned_off_with_a_recovery_code(
    web_stack: WebStack, make_customer: Callable[..., Customer]
) -> None:
    user = make_customer()
    with httpx.Client(base_url=web_stack.url, timeout=15) as client:
        sign_in(client, user.email, user.password, "/account")
        secret, codes = enrol(client, user.password)
        token = csrf_of(client, "/account/security")
        wrong = client.post(
            "/account/security/totp/disable",
            data={"csrf_token": token, "code": wrong_code(secret)},
        )
        assert wrong.status_code == 422
        assert set(problem_fields(wrong.text)) == {"code"}
        off = client.post(
            "/account/security/totp/disable", data={"csrf_token": token, "code": codes[0]}
        )
        assert off.status_code == 303
        page = client.get("/account/security").text
        assert "Two-step sign-in is off; your recovery codes no longer work." in flashes(page)
        assert "Off" in page
        sign_out(client)
        assert sign_in_form(client, user.email, user.password).status_code == 303


def test_a_recovery_code_signs_in_in_place_of_the_apps_code(
    web_stack: WebStack, make_customer: Callable[..., Customer]
) -> None:
    user = make_customer()
    with httpx.Client(base_url=web_stack.url, timeout=15) as client:
        sign_in(client, user.email, user.password, "/account")
        _, codes = enrol(client, user.password)
        sign_out(client)
        assert sign_in_form(client, user.email, user.password, codes[3]).status_code == 303
        sign_out(client)
        used = sign_in_form(client, user.email, user.password, codes[3])  # single-use
        assert problem_fields(used.text) == {"otp": CODE_ERROR}


def test_changing_the_password_with_two_step_sign_in_asks_to_sign_in_again_with_a_code(
    web_stack: WebStack, make_customer: Callable[..., Customer]
) -> None:
    user = make_customer()
    new = f"another-long-passphrase-{uuid.uuid4().hex[:6]}"
    with httpx.Client(base_url=web_stack.url, timeout=15) as client:
        sign_in(client, user.email, user.password, "/account")
        secret, _ = enrol(client, user.password)
        token = csrf_of(client, "/account/password")
        changed = client.post(
            "/account/password",
            data={
                "csrf_token": token,
                "current_password": user.password,
                "new_password": new,
                "new_password_confirm": new,
            },
        )
        assert changed.status_code == 303
        assert changed.headers["location"].startswith("/account/sign-in?next=/account")
        assert client.get("/account").status_code == 303
        assert sign_in_form(client, user.email, new, next_code(secret)).status_code == 303


def test_an_admin_resets_a_users_two_step_sign_in_from_the_console(
    web_stack: WebStack, make_customer: Callable[..., Customer]
) -> None:
    user = make_customer()
    with httpx.Client(base_url=web_stack.url, timeout=15) as client:
        sign_in(client, user.email, user.password, "/account")
        enrol(client, user.password)
    with httpx.Client(base_url=web_stack.url, timeout=15) as admin:
        sign_in(admin, services.DEV_ADMIN_EMAIL, services.DEV_ADMIN_PASSWORD, "/console")
        page = admin.get("/console/users", params={"email": user.email}).text
        action = f"/console/users/{user.id}/mfa-reset"
        assert f'action="{action}"' in page
        assert "Reset two-step sign-in" in page
        reset = admin.post(action, data={"csrf_token": hidden(page, "csrf_token")})
        assert reset.status_code == 303
        after = admin.get("/console/users", params={"email": user.email}).text
        assert any(
            f.startswith(f"Two-step sign-in of {user.email} is reset") for f in flashes(after)
        )
        assert f'action="{action}"' not in after  # no factor left: no button
        again = admin.post(action, data={"csrf_token": hidden(after, "csrf_token")})
        assert again.status_code == 303
        assert f"{user.email} has no two-step sign-in to reset." in flashes(
            admin.get("/console/users").text
        )
    with httpx.Client(base_url=web_stack.url, timeout=15) as client:
        assert sign_in_form(client, user.email, user.password).status_code == 303


def test_the_security_pages_need_a_signed_in_user_and_a_csrf_token(
    web_client: httpx.Client, customer: Customer
) -> None:
    response = web_client.get("/account/security")
    assert response.status_code == 303
    assert response.headers["location"] == "/account/sign-in?next=/account/security"
    sign_in(web_client, customer.email, customer.password, "/account")
    refused = web_client.post(
        "/account/security/totp", data={"current_password": customer.password}
    )
    assert refused.status_code == 403
    assert "Off" in web_client.get("/account/security").text
