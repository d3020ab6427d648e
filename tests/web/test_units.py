"""Unit tests of the web's own logic (no process): money, the dashboard's figures and page
bound, field-error mapping, redirect safety, settings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from babel.numbers import get_currency_precision
from payment_api_client.models import Currency
from pydantic import ValidationError

import web
from web import dashboard
from web.api import ApiError
from web.context import safe_next
from web.money import AmountError, format_money, major_text, minor_unit_digits, to_minor
from web.settings import Settings


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "shown"),
    [
        (1099, "USD", "en_US", "$10.99"),
        (5000, "JPY", "en_US", "¥5,000"),
        (1234, "KWD", "en_US", "KWD1.234"),
        (1234, "BHD", "en_US", "BHD1.234"),
        (500, "KRW", "en_US", "₩500"),
        (123456, "EUR", "de_DE", "1.234,56 €"),
        (5, "EUR", "en_US", "€0.05"),
        (0, "GBP", "en_GB", "£0.00"),
    ],
)
def test_minor_units_are_shown_with_the_currencys_own_digits(
    amount: int, currency: str, locale: str, shown: str
) -> None:
    assert format_money(amount, currency, locale) == shown


def test_the_digits_agree_with_babel_for_every_currency_the_api_accepts() -> None:
    for currency in Currency:
        assert minor_unit_digits(currency.value) == get_currency_precision(currency.value)


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [("10.99", "USD", 1099), ("10", "USD", 1000), ("5000", "JPY", 5000), ("1.234", "KWD", 1234),
     ("1,000.50", "USD", 100050), (" 0.5 ", "EUR", 50)],
)  # fmt: skip
def test_major_unit_input_becomes_exact_minor_units(text: str, currency: str, minor: int) -> None:
    assert to_minor(text, currency) == minor
    assert to_minor(major_text(minor, currency), currency) == minor


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [("10.999", "USD", "at most 2 decimals"), ("1.5", "JPY", "no decimals"),
     ("-1", "USD", "positive"), ("ten", "USD", "such as"), ("1e9", "USD", "too large"),
     ("NaN", "USD", "positive")],
)  # fmt: skip
def test_amounts_that_cannot_be_exact_are_refused_with_a_reason(
    text: str, currency: str, message: str
) -> None:
    with pytest.raises(AmountError, match=message):
        to_minor(text, currency)


@dataclass
class M:
    amount: int
    currency: str


@dataclass
class P:
    status: str
    amount: M
    refunded_amount: M
    created_at: dt.datetime


def pay(status: str, amount: int, refunded: int, day: int, currency: str = "USD") -> P:
    at = dt.datetime(2026, 12, day, 12, tzinfo=dt.UTC)
    return P(status, M(amount, currency), M(refunded, currency), at)


def test_dashboard_counts_statuses_and_sums_net_revenue_per_day_and_currency() -> None:
    payments = [
        pay("succeeded", 1000, 0, 1),
        pay("partially_refunded", 1000, 300, 1),
        pay("refunded", 500, 500, 2),
        pay("failed", 9999, 0, 2),
        pay("pending", 9999, 0, 3),
        pay("succeeded", 5000, 0, 3, "JPY"),
    ]
    dash = dashboard.summarize(
        payments, today=dt.date(2026, 12, 3), days=3, pages_read=1, complete=True
    )
    assert dict(dash.by_status) == {
        "succeeded": 2, "partially_refunded": 1, "refunded": 1, "failed": 1, "pending": 1,
    }  # fmt: skip
    usd, jpy = dash.charts  # the currency with more paid payments first
    assert (usd.currency, jpy.currency) == ("USD", "JPY")
    assert [bar.amount for bar in usd.bars] == [1700, 0, 0]
    assert usd.total_label == "$17.00"
    assert [bar.amount for bar in jpy.bars] == [0, 0, 5000]
    tallest = max(usd.bars, key=lambda b: b.height)
    assert tallest.y >= 0
    assert tallest.y + tallest.height == usd.baseline


def test_the_dashboard_stops_at_its_page_bound_and_says_the_listing_did_not_end() -> None:
    calls: list[str | None] = []

    def fetch(cursor: str | None) -> tuple[list[int], str | None]:
        calls.append(cursor)
        page = int(cursor or 0)
        return [page], str(page + 1)  # a listing that never ends

    items, pages, complete = dashboard.read_pages(fetch, 3)
    assert (items, pages, complete) == ([0, 1, 2], 3, False)
    assert calls == [None, "1", "2"]


def test_the_dashboard_reads_a_short_listing_to_its_end() -> None:
    pages = {None: ([1, 2], "a"), "a": ([3], None)}
    items, read, complete = dashboard.read_pages(lambda c: pages[c], 10)
    assert (items, read, complete) == ([1, 2, 3], 2, True)


def test_problem_field_paths_map_to_form_fields() -> None:
    error = ApiError(
        422,
        errors=[("body.email", "Not a valid email address."), ("body.price.amount", "too big"),
                ("body.price.currency", "unknown"), ("query.limit", "bad")],
    )  # fmt: skip
    assert error.field_errors({"price.currency": "currency", "price": "price"}) == {
        "email": "Not a valid email address.",
        "price": "too big",
        "currency": "unknown",
        "limit": "bad",
    }


@pytest.mark.parametrize(
    ("target", "safe"),
    [("/account/orders?cursor=1", "/account/orders?cursor=1"), ("//evil.example", "/"),
     ("/\\evil.example", "/"), ("https://evil.example/", "/"), ("", "/"), (None, "/"),
     ("account", "/")],
)  # fmt: skip
def test_only_paths_on_this_site_are_followed_after_sign_in(target: str | None, safe: str) -> None:
    assert safe_next(target) == safe


@pytest.mark.parametrize(
    "client", [{}, {"api_client_id": "cli_1"}, {"api_client_secret": "cs_1"}], ids=str
)
def test_guest_checkout_without_both_api_client_settings_stops_the_start_saying_what_to_set(
    client: dict[str, str],
) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(allow_guest_checkout=True, **client)
    message = str(refused.value)
    assert "WEB_API_CLIENT_ID" in message
    assert "WEB_API_CLIENT_SECRET" in message
    assert "create-api-client" in message
    assert "cs_1" not in message  # the error shows no secret
    assert Settings().allow_guest_checkout is False


def test_guest_checkout_with_an_api_client_is_accepted_and_the_secret_is_not_in_its_repr() -> None:
    settings = Settings(allow_guest_checkout=True, api_client_id="cli_1", api_client_secret="cs_x1")
    assert settings.allow_guest_checkout is True
    assert "cs_x1" not in repr(settings)
    assert "cli_1" in repr(settings)


def test_bad_settings_stop_the_start_naming_the_setting() -> None:
    with pytest.raises(ValidationError, match="public_url"):
        Settings(public_url="shop.example")
    with pytest.raises(ValidationError, match="unknown locale"):
        Settings(locale="xx_NOPE")
    assert Settings(
        hosted_checkout_origins="http://127.0.0.1:1/,https://Checkout.Stripe.com"
    ).hosted_checkout_origins == ["http://127.0.0.1:1", "https://checkout.stripe.com"]


def test_the_web_reaches_the_apis_only_through_the_generated_sdks() -> None:
    """No import of a service's own code, and httpx only for the SDKs' transport settings."""
    import ast
    from pathlib import Path

    allowed_httpx = {"HTTPTransport", "Timeout", "TransportError"}
    for path in Path(web.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = (
                    [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else [alias.name for alias in node.names]
                )
                for name in names:
                    root = name.split(".")[0]
                    assert root not in {
                        "payment_api", "user_management_service", "stripe_sandbox", "devstack",
                        "requests", "urllib3",
                    }, f"{path}: imports {name}"  # fmt: skip
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "httpx"
            ):
                assert node.attr in allowed_httpx, f"{path}: httpx.{node.attr}"


def test_the_setup_key_is_shown_in_groups_of_four_for_typing() -> None:
    from web.routes.account_security import grouped

    assert grouped("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP") == "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP"
    assert grouped("ABCDEF") == "ABCD EF"


@pytest.mark.parametrize(
    ("secret", "uri", "shown"),
    [("JBSWY3DPEHPK3PXP", "otpauth://totp/Shop:a%40b.example?secret=JBSWY3DPEHPK3PXP", True),
     ("JBSWY3DPEHPK3PXP", "javascript:alert(1)", False),
     ("not base32!", "otpauth://totp/x?secret=A", False),
     ("", "", False)],
)  # fmt: skip
def test_only_a_base32_key_and_an_otpauth_uri_are_shown_again_after_a_wrong_code(
    secret: str, uri: str, shown: bool
) -> None:
    from web.routes.account_security import echoed_enrolment

    assert (echoed_enrolment({"secret": secret, "otpauth_uri": uri}) is not None) is shown


def test_the_api_client_form_becomes_the_apis_body_or_field_errors() -> None:
    from web.routes.console_api_clients import client_form

    today = dt.date(2026, 12, 3)
    body, errors = client_form(
        {"name": " Backend ", "scope.payments:read": "on", "scope.nope": "on",
         "expires_on": "2027-01-31"},
        today,
    )  # fmt: skip
    assert errors == {}
    assert body is not None
    assert body.to_dict() == {
        "name": "Backend",
        "scopes": ["payments:read"],
        "expires_at": "2027-01-31T00:00:00+00:00",
    }
    body, errors = client_form({"name": "x\x07", "expires_on": "2026-12-03"}, today)
    assert body is None
    assert set(errors) == {"name", "scopes", "expires_on"}


def test_the_token_request_line_quotes_what_a_shell_would_split() -> None:
    from web.routes.console_api_clients import token_request_line

    assert token_request_line("http://127.0.0.1:5000/auth/token", "cli_1", "cs_a-b_c") == (
        "curl -u cli_1:cs_a-b_c -d grant_type=client_credentials http://127.0.0.1:5000/auth/token"
    )
    assert "'cli_1:cs_a&b'" in token_request_line("http://u/auth/token", "cli_1", "cs_a&b")


def test_the_curl_lines_user_service_address_defaults_to_the_webs_own() -> None:
    assert Settings(user_service_url="http://users:5000").users_public_url == "http://users:5000"
    assert (
        Settings(user_service_public_url="https://id.shop.example/").users_public_url
        == "https://id.shop.example"
    )
