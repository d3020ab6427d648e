"""Secrets never leave: a realistic flow against the session processes, then every response
it received and both services' log files are scanned for the Stripe key, the webhook secret,
the passwords used, the access and refresh tokens, and card-like (Luhn-valid) numbers."""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from devstack import services
from devstack.processes import ServerProcess
from tests.fixtures.payment_service import SHOP_ORIGIN, PaymentStack
from tests.payment.helpers import event_payload, sign

# 13-19 digits in a row, or grouped like a printed card (4-4-4-x, Amex 4-6-5), standing alone:
# not part of a word, a hex id, a UUID group or a float's fraction (log durations).
CARD_LIKE = re.compile(
    r"(?<![\w.-])(?:\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}|\d{4}([ -])\d{6}\2\d{5})"
    r"(?![\w-]|\.\d)"
)
KEY_LIKE = re.compile(r"\b(?:sk|rk)_(?:test|live)_[A-Za-z0-9]{4,}|\bwhsec_[A-Za-z0-9_]{8,}")


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def card_like_numbers(text: str) -> list[str]:
    found = []
    for match in CARD_LIKE.finditer(text):
        digits = re.sub(r"[ -]", "", match.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits) and len(set(digits)) > 1:
            found.append(match.group())
    return found


def test_the_card_detector_finds_test_cards_and_ignores_ordinary_numbers() -> None:
    assert card_like_numbers('{"pan": "4242424242424242"}') == ["4242424242424242"]
    assert card_like_numbers("card 4000 0566 5566 5556 here") == ["4000 0566 5566 5556"]
    assert card_like_numbers("card 3782 822463 10005.") == ["3782 822463 10005"]
    assert card_like_numbers("amount 2500, id 1234567890123, ts 2026-11-29T06:30:00Z") == []
    ordinary = [
        '"duration_ms": 1.7030171452915',  # a float's fraction
        "req_4242424242424242",  # part of an id
        "ab4242424242424242cd",  # inside a hex string
        "/users/84702411-0231-4242-4242-424242424242",  # UUID groups
    ]
    assert [card_like_numbers(text) for text in ordinary] == [[], [], [], []]


@dataclass
class Recorder:
    """Every answer of our two services this flow received, with the tokens each one issued
    (a login answer carries its own tokens; no other answer may)."""

    answers: list[tuple[str, str, set[str]]] = field(default_factory=list)

    def __call__(self, response: httpx.Response, issued: set[str] | None = None) -> httpx.Response:
        where = f"{response.request.method} {response.request.url.path} -> {response.status_code}"
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        self.answers.append((where, headers + "\n\n" + response.text, issued or set()))
        return response


@dataclass
class Flow:
    secrets: dict[str, str]
    recorder: Recorder
    logs: list[Path]


def wait_succeeded(stack: PaymentStack, payment_id: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        got = httpx.get(f"{stack.url}/payments/{payment_id}", headers=stack.admin_headers)
        if got.json().get("status") == "succeeded":
            return
        time.sleep(0.05)
    raise AssertionError(f"payment {payment_id} never succeeded")


@pytest.fixture(scope="module")
def flow(payment_stack: PaymentStack, user_service: ServerProcess, admin_token: str) -> Flow:
    record = Recorder()
    users, pay = user_service.url, payment_stack.url
    email = f"secret-{uuid.uuid4().hex[:10]}@example.com"
    password = f"Pw-{uuid.uuid4().hex}-never-logged"
    wrong = [f"Wrong-{uuid.uuid4().hex}" for _ in range(2)]
    rejected_password = f"Rejected-{uuid.uuid4().hex}"
    admin = {"Authorization": f"Bearer {admin_token}"}

    registered = record(
        httpx.post(
            f"{users}/users", json={"email": email, "full_name": "Sec Ret", "password": password}
        )
    )
    assert registered.status_code == 201, registered.text
    # a registration refused for its email must not echo the password it carried
    record(
        httpx.post(
            f"{users}/users",
            json={"email": "not-an-email", "full_name": "X", "password": rejected_password},
        )
    )
    for attempt in wrong:
        failed = record(
            httpx.post(f"{users}/auth/token", data={"username": email, "password": attempt})
        )
        assert failed.status_code == 401
    login = httpx.post(f"{users}/auth/token", data={"username": email, "password": password})
    pair = login.json()
    record(login, {pair["access_token"], pair["refresh_token"]})
    refreshed = httpx.post(f"{users}/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    if refreshed.status_code == 415:  # form-encoded like the token endpoint
        refreshed = httpx.post(
            f"{users}/auth/refresh", data={"refresh_token": pair["refresh_token"]}
        )
    assert refreshed.status_code == 200, refreshed.text
    new_pair = refreshed.json()
    record(refreshed, {new_pair["access_token"], new_pair["refresh_token"]})
    me = {"Authorization": f"Bearer {new_pair['access_token']}"}
    record(httpx.get(f"{users}/users/me", headers=me))
    # the spent refresh token again: reuse detection answers 401 without echoing it
    record(httpx.post(f"{users}/auth/refresh", json={"refresh_token": pair["refresh_token"]}))

    checkout = record(
        httpx.post(
            f"{pay}/checkout-sessions",
            json={
                "custom_amount": {"amount": 3100, "currency": "USD"},
                "success_url": f"{SHOP_ORIGIN}/thanks",
            },
            headers=me,
            timeout=15,
        )
    )
    assert checkout.status_code == 201, checkout.text
    session = checkout.json()
    payment_stack.sandbox_call(
        "POST",
        f"/_sandbox/checkout/sessions/{session['session_id']}/complete",
        json={"outcome": "paid"},
    )
    wait_succeeded(payment_stack, session["payment_id"])
    record(httpx.get(f"{pay}/payments/{session['payment_id']}", headers=me))
    record(httpx.get(f"{pay}/payments", headers=me))

    payload = event_payload("customer.created", {"id": f"cus_{uuid.uuid4().hex[:12]}"})
    webhook = f"{pay}/webhooks/stripe"
    record(httpx.post(webhook, content=payload, headers={"Stripe-Signature": sign(payload)}))
    forged = sign(payload, secret="whsec_not_the_right_one")
    record(httpx.post(webhook, content=payload, headers={"Stripe-Signature": forged}))
    record(httpx.post(webhook, content=payload, headers={"Stripe-Signature": "garbage"}))

    refund_url = f"{pay}/payments/{session['payment_id']}/refunds"
    key = {"Idempotency-Key": uuid.uuid4().hex}
    refund = record(httpx.post(refund_url, json={"amount": 1000}, headers={**admin, **key}))
    assert refund.status_code in (200, 201), refund.text
    record(httpx.post(refund_url, json={"amount": 1000}, headers={**admin, **key}))
    record(httpx.post(refund_url, json={"amount": 999_999}, headers=admin | _key()))
    record(httpx.post(refund_url, json={}, headers=me | _key()))  # a customer: 403
    record(httpx.get(f"{pay}/payments/{uuid.uuid4()}", headers=me))  # 404
    record(httpx.get(f"{pay}/payments", headers={"Authorization": "Bearer not.a.token"}))
    record(httpx.get(f"{pay}/payments", headers={"Authorization": f"Bearer {password}"}))
    record(
        httpx.post(
            f"{pay}/checkout-sessions",
            json={
                "custom_amount": {"amount": 1, "currency": "USD"},
                "cancel_url": "https://x.evil/",
            },
            headers=me,
        )
    )
    record(httpx.post(f"{users}/auth/logout", json={"refresh_token": new_pair["refresh_token"]}))
    record(httpx.get(f"{users}/users/me", headers={"Authorization": f"Bearer {password}"}))

    time.sleep(0.5)  # let both services flush their last log lines
    logs = [p for p in (user_service.log_path, payment_stack.payment.log_path) if p is not None]
    secrets = {
        "stripe api key": services.SANDBOX_API_KEY,
        "webhook secret": services.SANDBOX_WEBHOOK_SECRET,
        "admin password": services.DEV_ADMIN_PASSWORD,
        "customer password": password,
        "wrong password 1": wrong[0],
        "wrong password 2": wrong[1],
        "password of a refused registration": rejected_password,
        "admin access token": admin_token,
        "access token": pair["access_token"],
        "refresh token": pair["refresh_token"],
        "refreshed access token": new_pair["access_token"],
        "refreshed refresh token": new_pair["refresh_token"],
    }
    for name in [n for n in secrets if "access token" in n]:  # a JWT's signature alone, too
        secrets[f"{name} (signature)"] = secrets[name].rsplit(".", 1)[1]
    return Flow(secrets, record, logs)


def _key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def leaks(text: str, secrets: dict[str, str], allowed: set[str]) -> list[str]:
    found = [name for name, value in secrets.items() if value in text and value not in allowed]
    found += [f"key-like {m.group()!r}" for m in KEY_LIKE.finditer(text)]
    found += [f"card-like {number!r}" for number in card_like_numbers(text)]
    return found


def test_no_response_carries_a_secret_except_the_tokens_it_issues(flow: Flow) -> None:
    assert len(flow.recorder.answers) >= 20
    # the scan does see secrets: the login answer, read without its own tokens allowed
    logins = [text for where, text, issued in flow.recorder.answers if issued]
    assert logins
    assert all("access token" in " ".join(leaks(text, flow.secrets, set())) for text in logins)
    found = {}
    for where, text, issued in flow.recorder.answers:
        allowed = issued | {t.rsplit(".", 1)[1] for t in issued if t.count(".") == 2}
        if hits := leaks(text, flow.secrets, allowed):
            found[where] = hits
    assert not found, json.dumps(found, indent=1)


def test_no_log_line_of_either_service_carries_a_secret(flow: Flow) -> None:
    assert flow.logs, "the session services write no log file"
    found = {}
    for log in flow.logs:
        text = log.read_text(errors="replace")
        assert text, f"{log} is empty"
        hits = [
            (line_no, hit)
            for line_no, line in enumerate(text.splitlines(), 1)
            for hit in leaks(line, flow.secrets, set())
        ]
        if hits:
            found[log.name] = hits[:20]
    assert not found, json.dumps(found, indent=1)
