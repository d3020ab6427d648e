"""Money: exact minor-unit conversions for zero-, two- and three-decimal currencies."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payment_api.domain.money import (
    CURRENCIES,
    THREE_DECIMAL,
    ZERO_DECIMAL,
    Money,
    MoneyError,
    exponent,
    to_major,
    to_minor,
)


@pytest.mark.parametrize("currency", CURRENCIES)
def test_every_currency_round_trips_minor_to_major_and_back(currency: str) -> None:
    for amount in (0, 1, 5, 99, 100, 1234, 99_999_999):
        assert to_minor(to_major(amount, currency), currency) == amount


@pytest.mark.parametrize("currency", CURRENCIES)
def test_one_more_decimal_than_the_currency_has_is_refused(currency: str) -> None:
    digits = exponent(currency)
    too_precise = "1." + "0" * digits + "1"
    with pytest.raises(MoneyError, match="more decimals"):
        to_minor(too_precise, currency)


@pytest.mark.parametrize(
    ("major", "currency", "minor"),
    [
        ("50", "USD", 5000),
        ("50.1", "usd", 5010),
        ("0.01", "EUR", 1),
        ("19.99", "GBP", 1999),
        ("0.1", "USD", 10),  # a float would make 0.1 inexact; Decimal does not
        ("500", "JPY", 500),
        ("500.0", "JPY", 500),  # trailing zeros are not extra precision
        ("1000", "KRW", 1000),
        ("1.234", "KWD", 1234),
        ("0.001", "BHD", 1),
        ("12.5", "KWD", 12500),
        ("12.50", "USD", 1250),
    ],
)
def test_major_units_convert_exactly(major: str, currency: str, minor: int) -> None:
    assert to_minor(major, currency) == minor


@pytest.mark.parametrize(
    ("major", "currency"),
    [("50.5", "JPY"), ("0.001", "USD"), ("1.2345", "KWD"), ("0.1", "KRW")],
)
def test_extra_decimals_are_rejected_not_rounded(major: str, currency: str) -> None:
    with pytest.raises(MoneyError):
        to_minor(major, currency)


@pytest.mark.parametrize("bad", ["abc", "", "-1", "NaN", "Infinity", "1e", "--2"])
def test_non_numbers_and_negatives_are_rejected(bad: str) -> None:
    with pytest.raises(MoneyError):
        to_minor(bad, "USD")


def test_to_major_keeps_the_currency_exponent() -> None:
    assert to_major(1, "USD") == Decimal("0.01")
    assert str(to_major(1050, "USD")) == "10.50"
    assert str(to_major(500, "JPY")) == "500"
    assert str(to_major(1234, "KWD")) == "1.234"


def test_exponent_table() -> None:
    assert {exponent(c) for c in ZERO_DECIMAL} == {0}
    assert {exponent(c) for c in THREE_DECIMAL} == {3}
    assert exponent("usd") == 2


def test_unknown_currency_is_refused_naming_the_field() -> None:
    with pytest.raises(MoneyError) as info:
        Money(100, "ZZZ")
    assert info.value.field == "currency"


def test_money_is_an_integer_never_a_float_or_bool() -> None:
    with pytest.raises(MoneyError):
        Money(10.5, "USD")  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        Money(True, "USD")
    with pytest.raises(MoneyError):
        Money(-1, "USD")


def test_adding_different_currencies_is_refused() -> None:
    assert Money(100, "usd") + Money(50, "USD") == Money(150, "USD")
    with pytest.raises(MoneyError):
        Money(100, "USD") + Money(1, "EUR")


def test_times_multiplies_quantity() -> None:
    assert Money(1099, "USD").times(3) == Money(3297, "USD")
    assert str(Money(1099, "USD")) == "10.99 USD"
