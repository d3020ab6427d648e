"""The hosted checkout page: rendering, minor-unit formatting, buttons and redirects."""

from __future__ import annotations

import re

import httpx
import pytest

from devstack.processes import ServerProcess
from tests.stripe_sandbox.helpers import create_session, sdk


def page(sandbox: ServerProcess, session_id: str) -> str:
    response = httpx.get(f"{sandbox.url}/checkout/{session_id}")
    assert response.status_code == 200
    return response.text


def press(sandbox: ServerProcess, session_id: str, action: str) -> httpx.Response:
    return httpx.post(f"{sandbox.url}/checkout/{session_id}", data={"action": action})


def test_page_shows_items_total_and_four_buttons_without_card_fields(
    stripe_sandbox: ServerProcess,
) -> None:
    session = create_session(sdk(stripe_sandbox), amount=1099, quantity=2)
    html = page(stripe_sandbox, session.id)
    assert "Green tea" in html
    assert "21.98 USD" in html
    for label in ("Pay", "Pay (async, succeeds)", "Pay (async, fails)", "Cancel"):
        assert f">{label}</button>" in html
    assert not re.search(r"card|cvc", html.split("</table>")[1], re.IGNORECASE)


def test_page_names_the_merchant_in_test_mode_and_is_laid_out_for_phones(
    stripe_sandbox: ServerProcess,
) -> None:
    session = create_session(sdk(stripe_sandbox), amount=1099, quantity=1)
    html = page(stripe_sandbox, session.id)
    assert "Demo Shop" in html  # SANDBOX_BUSINESS_NAME's default
    assert "TEST MODE" in html
    assert "<meta name='viewport' content='width=device-width, initial-scale=1'>" in html
    assert "<html lang='en'>" in html


@pytest.mark.parametrize(
    ("currency", "amount", "shown"),
    [("jpy", 1500, "3,000 JPY"), ("bhd", 1234, "2.468 BHD"), ("eur", 5, "0.10 EUR")],
)
def test_totals_respect_the_currency_minor_unit(
    stripe_sandbox: ServerProcess, currency: str, amount: int, shown: str
) -> None:
    session = create_session(sdk(stripe_sandbox), amount=amount, currency=currency, quantity=2)
    assert f"<strong id='total'>{shown}</strong>" in page(stripe_sandbox, session.id)


@pytest.mark.parametrize(
    ("action", "payment_status"), [("paid", "paid"), ("async_succeeded", "paid"),
                                   ("async_failed", "unpaid")]
)  # fmt: skip
def test_pay_buttons_redirect_to_success_url_with_session_id(
    stripe_sandbox: ServerProcess, action: str, payment_status: str
) -> None:
    client = sdk(stripe_sandbox)
    session = create_session(client)
    response = press(stripe_sandbox, session.id, action)
    assert response.status_code == 303
    assert response.headers["location"] == f"http://shop.test/ok?session_id={session.id}"
    after = client.v1.checkout.sessions.retrieve(session.id)
    assert (after.status, after.payment_status) == ("complete", payment_status)
    assert "already complete" in page(stripe_sandbox, session.id)


def test_cancel_redirects_to_cancel_url_and_leaves_session_open(
    stripe_sandbox: ServerProcess,
) -> None:
    client = sdk(stripe_sandbox)
    session = create_session(client)
    response = press(stripe_sandbox, session.id, "cancel")
    assert response.status_code == 303
    assert response.headers["location"] == "http://shop.test/cancel"
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_expired_session_page_says_so_and_cannot_be_paid(stripe_sandbox: ServerProcess) -> None:
    client = sdk(stripe_sandbox)
    session = create_session(client)
    client.v1.checkout.sessions.expire(session.id)
    assert "expired" in page(stripe_sandbox, session.id)
    assert press(stripe_sandbox, session.id, "paid").status_code == 400
    assert httpx.get(f"{stripe_sandbox.url}/checkout/cs_test_unknown").status_code == 404
