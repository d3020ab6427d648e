"""The shopper's landing pages (success_url, cancel_url) in isolation: what each payment state
reads as, amounts in the currency's own decimals, and escaping of what came from outside."""

from __future__ import annotations

from typing import Any

import pytest

from payment_api.api.checkout_pages import UNKNOWN, amount_text, outcome_page, render
from payment_api.domain.states import PaymentStatus


def payment(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "status": status,
        "amount": 1250,
        "currency": "USD",
        "description": None,
        "failure_reason": None,
        **extra,
    }


def page_text(status: str, *, left_checkout: bool = False, **extra: Any) -> str:
    return bytes(
        render(outcome_page(payment(status, **extra), left_checkout=left_checkout)).body
    ).decode()


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [(1250, "USD", "12.50 USD"), (123456, "EUR", "1,234.56 EUR"), (5000, "JPY", "5,000 JPY"),
     (1234, "KWD", "1.234 KWD"), (1, "BHD", "0.001 BHD"), (7, "USD", "0.07 USD")],
)  # fmt: skip
def test_amounts_have_exactly_the_currencys_decimals(
    amount: int, currency: str, shown: str
) -> None:
    assert amount_text(amount, currency) == shown


@pytest.mark.parametrize(
    ("status", "title"),
    [
        ("succeeded", "Payment received"),
        ("partially_refunded", "Payment received, partly refunded"),
        ("refunded", "Payment refunded"),
        ("pending", "Payment still being confirmed"),
        ("processing", "Payment still being confirmed"),
        ("failed", "Payment failed"),
        ("expired", "Checkout expired"),
        ("canceled", "Payment canceled"),
    ],
)
def test_every_status_has_its_own_truthful_title(status: str, title: str) -> None:
    assert f"<h1>{title}</h1>" in page_text(status)


def test_only_succeeded_and_its_refunds_say_received() -> None:
    received = {s for s in PaymentStatus if "received" in page_text(s.value).lower()}
    assert received == {
        PaymentStatus.SUCCEEDED,
        PaymentStatus.PARTIALLY_REFUNDED,
        PaymentStatus.REFUNDED,
    }


@pytest.mark.parametrize("status", ["pending", "processing"])
def test_a_payment_not_final_yet_reloads_itself_and_says_so(status: str) -> None:
    text = page_text(status)
    assert '<meta http-equiv="refresh" content="5">' in text
    assert "still being confirmed" in text
    assert "reload" in text


@pytest.mark.parametrize("status", ["succeeded", "failed", "expired", "canceled", "refunded"])
def test_a_final_payment_does_not_reload(status: str) -> None:
    assert "http-equiv" not in page_text(status)


def test_a_failed_payment_shows_the_gateways_reason_and_that_nothing_was_taken() -> None:
    text = page_text("failed", failure_reason="card_declined: Your card was declined.")
    assert "<dt>Reason</dt><dd>card_declined: Your card was declined.</dd>" in text
    assert "No payment was taken." in text
    assert "the payment gateway gave none" in page_text("failed")


@pytest.mark.parametrize("status", ["expired", "canceled"])
def test_expired_and_canceled_say_no_payment_was_taken(status: str) -> None:
    assert "No payment was taken." in page_text(status)


def test_back_through_cancel_an_unpaid_payment_reads_not_taken() -> None:
    text = page_text("pending", left_checkout=True)
    assert "<h1>Payment not taken</h1>" in text
    assert "no payment of 12.50 USD was taken" in text
    assert "http-equiv" not in text
    # ...but a payment made meanwhile (another tab) is told as it is
    assert "<h1>Payment received</h1>" in page_text("succeeded", left_checkout=True)


def test_description_and_reason_are_escaped() -> None:
    text = page_text(
        "failed",
        description='<script>alert("x")</script> & tea',
        failure_reason="<img src=x onerror=alert(1)>",
    )
    assert "<script>" not in text
    assert "<img" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; tea" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text


def test_the_page_shows_status_amount_and_description_only() -> None:
    text = page_text(
        "succeeded", description="Green tea", user_id="u-1", customer_email="ada@example.com"
    )
    assert "<dd>12.50 USD</dd>" in text
    assert "<dd>Green tea</dd>" in text
    assert "ada@example.com" not in text
    assert "u-1" not in text


def test_unknown_session_is_a_404_page_that_is_not_cached() -> None:
    response = render(UNKNOWN)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
