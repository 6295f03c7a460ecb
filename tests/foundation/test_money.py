"""Money is exact: integer minor units, Babel's digits, half-up rounding once."""

from decimal import Decimal

import pytest

from portal.money import (
    Money,
    MoneyError,
    apply_rate,
    digits,
    format_money,
    format_rate,
    parse_amount,
    parse_rate,
)


def test_minor_unit_digits_come_from_the_currency():
    assert (digits("KES"), digits("JPY"), digits("BHD")) == (2, 0, 3)


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("1,250.50", "KES", 125050),
        ("1 250.5", "KES", 125050),
        ("0.1", "KES", 10),
        ("1204500.00", "KES", 120450000),
        ("500", "JPY", 500),
        ("1.234", "BHD", 1234),
        (Decimal("0.30"), "KES", 30),
    ],
)
def test_typed_amounts_parse_to_exact_minor_units(text, currency, minor):
    assert parse_amount(text, currency) == minor


def test_point_one_plus_point_two_is_exactly_point_three():
    assert parse_amount("0.1", "KES") + parse_amount("0.2", "KES") == parse_amount("0.3", "KES")


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("1.005", "KES"),
        ("12.5", "JPY"),
        ("abc", "KES"),
        ("", "KES"),
        ("NaN", "KES"),
        ("Infinity", "KES"),
    ],
)
def test_amounts_that_would_need_rounding_or_are_not_numbers_are_refused(text, currency):
    with pytest.raises(MoneyError):
        parse_amount(text, currency)


def test_unknown_currency_is_refused_with_its_code():
    with pytest.raises(MoneyError, match="XYZ"):
        digits("XYZ")


def test_amounts_are_shown_with_the_iso_code_and_grouping():
    assert format_money(4500000, "KES") == "KES\u00a045,000.00"
    assert format_money(-200000, "KES") == "-KES\u00a02,000.00"
    assert format_money(5, "JPY") == "JPY\u00a05"
    assert format_money(None, "KES") == "—"


def test_rates_are_basis_points():
    assert parse_rate("7.5") == 750
    assert parse_rate("30 %") == 3000
    assert format_rate(750) == "7.5 %"
    with pytest.raises(MoneyError):
        parse_rate("100.01")
    with pytest.raises(MoneyError):
        parse_rate("7.125")


@pytest.mark.parametrize(
    ("amount", "bps", "fee"),
    [
        (1, 5000, 1),  # exactly half rounds up
        (3, 1666, 0),  # 0.4998 rounds down
        (10_000, 1500, 1500),
        (333, 3333, 111),  # 110.9889
        (-1, 5000, -1),  # a reversal mirrors the fee it reverses
    ],
)
def test_a_rate_applies_half_up_to_the_minor_unit(amount, bps, fee):
    assert apply_rate(amount, bps) == fee


def test_money_refuses_floats_and_mixed_currencies():
    with pytest.raises(TypeError):
        Money(1.5, "KES")  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        Money(100, "KES") + Money(100, "USD")
    assert Money.parse("10.00", "KES") - Money(1, "KES") == Money(999, "KES")
