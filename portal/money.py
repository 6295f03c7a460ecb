"""Exact money: integer minor units with an ISO 4217 code, formatted by Babel.

A float never holds an amount. Parsing goes through Decimal, sums happen on integers (in SQL where
they can), and rates are basis points (1 % = 100 bps).
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache

from babel.core import Locale
from babel.numbers import (
    format_decimal,
    get_currency_precision,
    list_currencies,
    parse_pattern,
)

DEFAULT_LOCALE = "en_KE"
_CURRENCIES = frozenset(list_currencies())
_CODE_PATTERN = "¤¤\u00a0#,##0.00"
# Parsed once: a page of figures formats hundreds of amounts, and `format_currency` would parse
# the pattern (and look up the locale) for each of them.
_CODE_FORMAT = parse_pattern(_CODE_PATTERN)
_locale = cache(Locale.parse)


class MoneyError(ValueError):
    """An amount or a currency a person typed that we cannot take, with the reason."""


def is_currency(code: str) -> bool:
    return code in _CURRENCIES


def digits(currency: str) -> int:
    """How many minor-unit digits the currency has (KES 2, JPY 0, BHD 3)."""
    if not is_currency(currency):
        raise MoneyError(f"“{currency}” is not a currency code we know (ISO 4217, e.g. KES).")
    return get_currency_precision(currency)


def parse_amount(text: str | Decimal | int, currency: str) -> int:
    """Turn a typed amount ("1,250.50", "1 250.5") into minor units, exactly.

    Refuses more decimals than the currency has, rather than rounding someone's money.
    """
    value = _to_decimal(text)
    places = digits(currency)
    scaled = value.scaleb(places)
    if scaled != scaled.to_integral_value():
        unit = "no decimals" if places == 0 else f"at most {places} decimals"
        raise MoneyError(f"{currency} amounts have {unit}.")
    return int(scaled)


def _to_decimal(text: str | Decimal | int) -> Decimal:
    if isinstance(text, Decimal | int):
        return Decimal(text)
    cleaned = text.strip().replace(",", "").replace(" ", "").replace("\u00a0", "")
    if not cleaned:
        raise MoneyError("Enter an amount.")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise MoneyError(f"“{text}” is not an amount: use digits, e.g. 1250.50.") from None
    if not value.is_finite():
        raise MoneyError(f"“{text}” is not an amount: use digits, e.g. 1250.50.")
    return value


def to_decimal(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-digits(currency))


def format_money(minor: int | None, currency: str, locale: str = DEFAULT_LOCALE) -> str:
    """KES 45,000.00: the ISO code (unambiguous across currencies), the locale's grouping."""
    if minor is None:
        return "—"
    return _CODE_FORMAT.apply(
        to_decimal(minor, currency), _locale(locale), currency=currency, currency_digits=True
    )


def plain_amount(minor: int, currency: str) -> str:
    """The amount as a form shows it for editing: 45000.00 (no grouping, no symbol)."""
    return f"{to_decimal(minor, currency):f}"


def format_rate(bps: int | None, locale: str = DEFAULT_LOCALE) -> str:
    """3000 → 30 %; 750 → 7.5 %."""
    if bps is None:
        return "—"
    percent = Decimal(bps) / 100
    return format_decimal(percent, format="#,##0.##", locale=locale) + " %"


def parse_rate(text: str) -> int:
    """A percentage typed by a person ("7.5", "7.5 %") as basis points."""
    cleaned = text.strip().removesuffix("%").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise MoneyError(f"“{text}” is not a percentage: use digits, e.g. 15 or 7.5.") from None
    bps = value * 100
    if not value.is_finite() or bps != bps.to_integral_value():
        raise MoneyError("Use at most two decimals in a percentage, e.g. 7.25.")
    if not 0 <= bps <= 10000:
        raise MoneyError("A percentage is between 0 and 100.")
    return int(bps)


def apply_rate(amount_minor: int, bps: int) -> int:
    """amount × rate, rounded half-up to the minor unit (symmetric for negative amounts)."""
    sign = -1 if amount_minor < 0 else 1
    product = Decimal(abs(amount_minor)) * bps / 10000
    return sign * int(product.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def currency_name(code: str, locale: str = DEFAULT_LOCALE) -> str:
    return Locale.parse(locale).currencies.get(code, code)


@dataclass(frozen=True, order=True)
class Money:
    """An amount and its currency, for code that passes both around together."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise TypeError("Money holds an integer number of minor units")
        digits(self.currency)

    def __add__(self, other: "Money") -> "Money":
        self._same_currency(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same_currency(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> "Money":
        return Money(-self.minor, self.currency)

    def _same_currency(self, other: "Money") -> None:
        if other.currency != self.currency:
            raise MoneyError(f"Cannot combine {self.currency} with {other.currency}.")

    def format(self, locale: str = DEFAULT_LOCALE) -> str:
        return format_money(self.minor, self.currency, locale)

    @classmethod
    def parse(cls, text: str, currency: str) -> "Money":
        return cls(parse_amount(text, currency), currency)
