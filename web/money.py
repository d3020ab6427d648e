"""Money as the APIs carry it (integer minor units + ISO 4217 code), shown with Babel.

The number of minor-unit digits is the APIs' (Stripe's zero- and three-decimal lists); Babel
formats the value with exactly those digits in the configured locale.
"""

from __future__ import annotations

import copy
from decimal import Decimal, InvalidOperation

from babel import Locale
from babel.numbers import format_currency

ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV",
     "XAF", "XOF", "XPF"}
)  # fmt: skip
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
MAX_MINOR_AMOUNT = 99_999_999


def minor_unit_digits(currency: str) -> int:
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def format_money(amount: int, currency: str, locale: str = "en_US") -> str:
    """`1099 USD` -> `$10.99`, `5000 JPY` -> `¥5,000`, `1234 KWD` -> `KWD 1.234`."""
    digits = minor_unit_digits(currency)
    parsed = Locale.parse(locale)
    pattern = copy.copy(parsed.currency_formats["standard"])
    pattern.frac_prec = (digits, digits)
    value = Decimal(amount).scaleb(-digits)
    text: str = format_currency(
        value, currency.upper(), format=pattern, locale=parsed, currency_digits=False
    )
    return text.replace("\xa0", " ")


def major_text(amount: int, currency: str) -> str:
    """The amount in major units for an input field: `1099 USD` -> `10.99`, `5000 JPY` -> `5000`."""
    digits = minor_unit_digits(currency)
    return f"{Decimal(amount).scaleb(-digits):.{digits}f}"


class AmountError(ValueError):
    pass


def to_minor(text: str, currency: str) -> int:
    """`"10.99"` USD -> 1099; refuses more decimals than the currency has, negatives, junk."""
    digits = minor_unit_digits(currency)
    cleaned = text.strip().replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise AmountError("Enter an amount such as 10.99.") from exc
    if not value.is_finite() or value < 0:
        raise AmountError("Enter a positive amount.")
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > digits:
        if digits == 0:
            raise AmountError(f"{currency.upper()} has no decimals.")
        raise AmountError(f"{currency.upper()} has at most {digits} decimals.")
    minor = int(value.scaleb(digits))
    if minor > MAX_MINOR_AMOUNT:
        raise AmountError("That amount is too large.")
    return minor
