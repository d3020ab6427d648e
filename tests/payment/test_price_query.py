"""The `price` of `GET /checkout/` (major units) to minor units, and its refusals in words."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payment_api.api.checkout import PRICE_PATTERN, price_in_minor_units
from payment_api.domain.errors import InvalidFieldError


@pytest.mark.parametrize(
    ("price", "currency", "minor"),
    [
        ("50", "USD", 5000),
        ("12.5", "USD", 1250),
        ("12.50", "EUR", 1250),
        ("0.01", "USD", 1),
        (".5", "GBP", 50),
        ("500", "JPY", 500),
        ("1.234", "KWD", 1234),
        ("0.001", "BHD", 1),
        ("999999.99", "USD", 99_999_999),
        ("0050", "USD", 5000),
    ],
)
def test_price_in_major_units_becomes_exact_minor_units(
    price: str, currency: str, minor: int
) -> None:
    assert price_in_minor_units(price, currency) == minor


@pytest.mark.parametrize(
    ("price", "currency", "message"),
    [
        ("abc", "USD", "must be an amount in major units such as 50 or 12.50 "
                       "(at most 2 decimals for USD)"),
        ("12.345", "USD", "must be an amount in major units such as 50 or 12.50 "
                          "(at most 2 decimals for USD)"),
        ("50.5", "JPY", "must be an amount in major units such as 500 (no decimals for JPY)"),
        ("1.2345", "KWD", "such as 50 or 12.500 (at most 3 decimals for KWD)"),
        ("0", "USD", "must be greater than zero: an amount in major units such as 50"),
        ("0.00", "USD", "must be greater than zero"),
        ("-5", "USD", "must be an amount in major units"),
        ("1e3", "USD", "must be an amount in major units"),
        ("NaN", "USD", "must be an amount in major units"),
        ("1,50", "EUR", "must be an amount in major units"),
        ("1000000", "USD", "must be an amount in major units"),
        ("999999.999", "KWD", "must be at most 99999.999 KWD"),
        ("5\\n", "USD", "must be an amount in major units"),
    ],
)  # fmt: skip
def test_bad_price_is_refused_in_words_naming_query_price(
    price: str, currency: str, message: str
) -> None:
    with pytest.raises(InvalidFieldError) as caught:
        price_in_minor_units(price.replace("\\n", "\n"), currency)
    assert caught.value.field == "query.price"
    assert message in caught.value.message
    assert "[0-9]" not in caught.value.message


@settings(max_examples=300, deadline=None)
@given(
    price=st.text(alphabet="0123456789.-+e \n", max_size=12),
    currency=st.sampled_from(["USD", "JPY", "KWD"]),
)
def test_code_refuses_everything_the_declared_pattern_refuses(price: str, currency: str) -> None:
    """The contract's pattern is not checked by FastAPI here but by `price_in_minor_units`:
    nothing the pattern refuses may get through (schemathesis' negative-data check)."""
    if re.fullmatch(PRICE_PATTERN, price) is None:
        with pytest.raises(InvalidFieldError):
            price_in_minor_units(price, currency)
