"""Money as an integer amount in the currency's minor unit plus an ISO 4217 code.

Conversions go through `Decimal` only, so a major-unit amount such as "50.1" becomes 5010
cents exactly; an amount with more decimals than the currency has is refused, never rounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# ISO 4217 minor-unit exponents of the currencies the service accepts (Stripe's set, trimmed).
ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV",
     "XAF", "XOF", "XPF"}
)  # fmt: skip
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
TWO_DECIMAL = frozenset(
    {"AED", "AUD", "BRL", "CAD", "CHF", "CNY", "CZK", "DKK", "EUR", "GBP", "HKD", "HUF", "ILS",
     "INR", "MXN", "NOK", "NZD", "PLN", "RON", "SEK", "SGD", "THB", "TRY", "USD", "ZAR"}
)  # fmt: skip
CURRENCIES = tuple(sorted(ZERO_DECIMAL | THREE_DECIMAL | TWO_DECIMAL))
MAX_MINOR_AMOUNT = 99_999_999  # Stripe's upper bound for one amount (8 digits)


class MoneyError(ValueError):
    """A money value that cannot be represented exactly; `field` names the culprit."""

    def __init__(self, message: str, field: str = "amount") -> None:
        super().__init__(message)
        self.field = field


def normalise_currency(code: str) -> str:
    upper = code.upper()
    if upper not in CURRENCIES:
        raise MoneyError(f"unsupported currency {code!r}", field="currency")
    return upper


def exponent(currency: str) -> int:
    """Digits after the decimal point in the currency's major unit (0, 2 or 3)."""
    code = normalise_currency(currency)
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def to_minor(major: str | Decimal | int, currency: str) -> int:
    """Exact major -> minor conversion; refuses extra decimals, negatives and non-numbers."""
    try:
        value = major if isinstance(major, Decimal) else Decimal(str(major).strip())
    except InvalidOperation:
        raise MoneyError(f"{major!r} is not a decimal number") from None
    if not value.is_finite():
        raise MoneyError(f"{major!r} is not a finite number")
    if value < 0:
        raise MoneyError("amount must not be negative")
    digits = exponent(currency)
    scaled = value.scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise MoneyError(
            f"{major} has more decimals than {normalise_currency(currency)} allows ({digits})"
        )
    return int(scaled)


def major_unit_rule(currency: str) -> str:
    """How to write an amount of `currency` in major units, for people: "such as 50 or 12.50
    (at most 2 decimals for USD)"; "such as 500 (no decimals for JPY)"."""
    code, digits = normalise_currency(currency), exponent(currency)
    if digits == 0:
        return f"such as 500 (no decimals for {code})"
    return f"such as 50 or 12.{'5'.ljust(digits, '0')} (at most {digits} decimals for {code})"


def to_major(amount: int, currency: str) -> Decimal:
    """Exact minor -> major conversion, with exactly the currency's number of decimals."""
    digits = exponent(currency)
    return Decimal(amount).scaleb(-digits).quantize(Decimal(1).scaleb(-digits))


@dataclass(frozen=True)
class Money:
    amount: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise MoneyError("amount must be an integer number of minor units")
        if self.amount < 0:
            raise MoneyError("amount must not be negative")
        object.__setattr__(self, "currency", normalise_currency(self.currency))

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise MoneyError("cannot add different currencies", field="currency")
        return Money(self.amount + other.amount, self.currency)

    def times(self, quantity: int) -> Money:
        return Money(self.amount * quantity, self.currency)

    def __str__(self) -> str:
        return f"{to_major(self.amount, self.currency)} {self.currency}"
