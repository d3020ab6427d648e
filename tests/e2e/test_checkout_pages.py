"""The shopper's journey back from the hosted page, with real processes: the sandbox's buttons
redirect to our default success_url / cancel_url, and those pages tell the payment's real state
(from our database, fed by the signed webhooks)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from payment_api_client import AuthenticatedClient
from payment_api_client.api.checkout import create_checkout_session
from payment_api_client.models import CheckoutSession, Currency, CustomAmountCheckout, Money

from tests.fixtures.payment_service import PaymentStack
from tests.payment.helpers import custom_checkout, wait_for_status

DECLINED = "card_declined: Your card was declined."


def start(
    client: AuthenticatedClient, amount: int, currency: str = "USD", description: str = "Tea"
) -> CheckoutSession:
    body = CustomAmountCheckout(
        custom_amount=Money(amount, Currency(currency)), description=description
    )
    response = create_checkout_session.sync_detailed(client=client, body=body)
    assert isinstance(response.parsed, CheckoutSession), response.content
    return response.parsed


def press(stack: PaymentStack, session: CheckoutSession, action: str) -> str:
    """Press a button on the hosted page; returns where it sends the shopper (our page)."""
    response = httpx.post(session.url, data={"action": action}, timeout=10)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith(stack.url)
    assert parse_qs(urlsplit(location).query)["session_id"] == [session.session_id]
    return location


def landing(url: str) -> httpx.Response:
    response = httpx.get(url, timeout=10)
    assert response.headers["content-type"].startswith("text/html")
    return response


def test_paid_checkout_lands_on_payment_received_with_the_amount(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient
) -> None:
    session = start(payment_client, 5000, "JPY", "Matcha")
    url = press(payment_stack, session, "paid")
    wait_for_status(payment_client, session.payment_id, "succeeded")
    page = landing(url)
    assert page.status_code == 200
    assert "<h1>Payment received</h1>" in page.text
    assert "<dd>5,000 JPY</dd>" in page.text
    assert "<dd>Matcha</dd>" in page.text
    assert "http-equiv" not in page.text


def test_async_payment_that_fails_lands_on_payment_failed_with_the_reason(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient
) -> None:
    session = start(payment_client, 1234, "KWD")
    url = press(payment_stack, session, "async_failed")
    wait_for_status(payment_client, session.payment_id, "failed")
    page = landing(url)
    assert page.status_code == 200
    assert "<h1>Payment failed</h1>" in page.text
    assert "Payment received" not in page.text
    assert f"<dd>{DECLINED}</dd>" in page.text
    assert "<dd>1.234 KWD</dd>" in page.text


def test_a_payment_still_processing_is_still_being_confirmed_and_reloads(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient
) -> None:
    session = custom_checkout(payment_client, 4200)
    payment_stack.sandbox_call(
        "POST",
        f"/_sandbox/checkout/sessions/{session.session_id}/complete",
        json={"outcome": "async_pending"},
    )
    wait_for_status(payment_client, session.payment_id, "processing")
    page = landing(f"{payment_stack.url}/checkout/success?session_id={session.session_id}")
    assert page.status_code == 200
    assert "<h1>Payment still being confirmed</h1>" in page.text
    assert '<meta http-equiv="refresh" content="5">' in page.text
    assert "reload" in page.text
    assert page.headers["cache-control"] == "no-store"


def test_cancel_lands_on_payment_not_taken(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient
) -> None:
    session = start(payment_client, 999)
    url = press(payment_stack, session, "cancel")
    assert urlsplit(url).path == "/checkout/cancel"
    page = landing(url)
    assert page.status_code == 200
    assert "<h1>Payment not taken</h1>" in page.text
    assert "no payment of 9.99 USD was taken" in page.text


def test_an_expired_checkout_says_so_on_both_pages(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient
) -> None:
    session = custom_checkout(payment_client, 4400)
    payment_stack.sandbox_call("POST", f"/_sandbox/checkout/sessions/{session.session_id}/expire")
    wait_for_status(payment_client, session.payment_id, "expired")
    for page_name in ("success", "cancel"):
        page = landing(f"{payment_stack.url}/checkout/{page_name}?session_id={session.session_id}")
        assert "<h1>Checkout expired</h1>" in page.text
        assert "No payment was taken." in page.text


@pytest.mark.parametrize(
    "query",
    ["?session_id=garbage", "?session_id=cs_test_" + "x" * 58, "?session_id=", "",
     "?session_id=%7BCHECKOUT_SESSION_ID%7D", "?session_id=" + "a" * 300,
     "?session_id=%00", "?session_id=%3Cscript%3Ealert(1)%3C%2Fscript%3E"],
)  # fmt: skip
def test_success_page_for_an_unknown_or_missing_session_is_a_404_page(
    payment_stack: PaymentStack, query: str
) -> None:
    page = landing(f"{payment_stack.url}/checkout/success{query}")
    assert page.status_code == 404
    assert "<h1>Checkout not found</h1>" in page.text
    assert "Payment received" not in page.text
    assert "<script>" not in page.text


def test_cancel_page_without_a_session_id_claims_nothing(payment_stack: PaymentStack) -> None:
    page = landing(f"{payment_stack.url}/checkout/cancel")
    assert page.status_code == 200
    assert "<h1>Checkout canceled</h1>" in page.text
    assert landing(f"{payment_stack.url}/checkout/cancel?session_id=garbage").status_code == 404
