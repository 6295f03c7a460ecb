"""Tests for portal.ledger.fees, named for the rule they pin down."""

from __future__ import annotations

import random
from dataclasses import astuple

import pytest

from portal.ledger.fees import (
    AgeUplift,
    FeeBand,
    FeeSchedule,
    fee_on,
    format_bps,
    plain_amount,
    rate_for,
    split,
    tax_on,
    validate_schedule,
)

# Debitura's published schedule (DOMAIN.md), in cents.  The lowest band starts at 0: the
# $100 minimum claim is a placement rule, not a fee rule.
DEBITURA = FeeSchedule(
    bands=(
        FeeBand(0, 3000),
        FeeBand(100_000, 2000),  # $1,000.00
        FeeBand(800_000, 1500),  # $8,000.00
        FeeBand(7_500_000, 1000),  # $75,000.00
        FeeBand(15_000_000, 750),  # $150,000.00
    ),
    age_uplifts=(AgeUplift(365, 1000), AgeUplift(730, 2000)),
)


def with_(schedule: FeeSchedule, **changes) -> FeeSchedule:
    return FeeSchedule(**{**schedule.__dict__, **changes})


# --- balance bands -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("balance", "rate"),
    [
        (0, 3000),
        (10_000, 3000),  # $100.00
        (99_999, 3000),  # $999.99
        (100_000, 2000),  # $1,000.00
        (799_999, 2000),  # $7,999.99
        (800_000, 1500),  # $8,000.00
        (7_499_999, 1500),  # $74,999.99
        (7_500_000, 1000),  # $75,000.00
        (14_999_999, 1000),  # $149,999.99
        (15_000_000, 750),  # $150,000.00
        (10**12, 750),
    ],
)
def test_band_is_the_greatest_lower_bound_not_above_the_balance(balance, rate):
    assert rate_for(DEBITURA, balance, 30).rate_bps == rate


def test_band_order_in_the_schedule_does_not_matter():
    shuffled = with_(DEBITURA, bands=tuple(reversed(DEBITURA.bands)))
    for balance in (99_999, 100_000, 800_000, 15_000_000):
        assert rate_for(shuffled, balance, 30) == rate_for(DEBITURA, balance, 30)


# --- age uplifts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age_days", "rate"),
    [(0, 1500), (365, 1500), (366, 2500), (730, 2500), (731, 3500), (800, 3500)],
)
def test_age_uplift_applies_strictly_over_the_threshold(age_days, rate):
    assert rate_for(DEBITURA, 800_000, age_days).rate_bps == rate


def test_age_uplifts_are_not_cumulative():
    # 800 days is over both 365 and 730 days: +20 points, not +30.
    assert rate_for(DEBITURA, 800_000, 800).rate_bps == 1500 + 2000


def test_age_uplift_order_in_the_schedule_does_not_matter():
    shuffled = with_(DEBITURA, age_uplifts=tuple(reversed(DEBITURA.age_uplifts)))
    assert rate_for(shuffled, 800_000, 800).rate_bps == 3500


# --- cap and legal stage -------------------------------------------------------------------


def test_cap_lowers_a_rate_above_it():
    capped = with_(DEBITURA, cap_bps=2500)
    result = rate_for(capped, 50_000, 800)  # 30 % + 20 points = 50 %
    assert result.rate_bps == 2500
    assert result.explanation.endswith("; capped at 25 % → 25 %")


def test_cap_leaves_a_rate_at_or_below_it():
    capped = with_(DEBITURA, cap_bps=2500)
    assert rate_for(capped, 800_000, 400).rate_bps == 2500  # exactly at the cap
    assert rate_for(capped, 800_000, 30).rate_bps == 1500


def test_legal_rate_replaces_band_and_uplift():
    legal = with_(DEBITURA, legal_rate_bps=3500)
    for balance, age in ((50_000, 0), (15_000_000, 900)):
        result = rate_for(legal, balance, age, legal=True)
        assert result.rate_bps == 3500
        assert result.explanation.startswith("Legal stage: 35 %")


def test_cap_applies_to_the_legal_rate_too():
    legal = with_(DEBITURA, legal_rate_bps=3500, cap_bps=3000)
    assert rate_for(legal, 50_000, 0, legal=True).rate_bps == 3000


def test_legal_without_a_legal_rate_is_an_error():
    with pytest.raises(ValueError, match="legal"):
        rate_for(DEBITURA, 50_000, 0, legal=True)


# --- explanation ---------------------------------------------------------------------------


def test_explanation_walks_band_uplift_and_cap():
    result = rate_for(
        with_(DEBITURA, cap_bps=2500),
        4_500_000,
        400,
        format_amount=lambda minor: "KES " + plain_amount(minor),
    )
    assert result.explanation == (
        "Balance KES 45,000.00 falls in the band from KES 8,000.00: 15 %; "
        "debt 400 days old: +10 points (over 365 days); cap 25 % not exceeded → 25 %"
    )


def test_explanation_says_when_no_uplift_applies():
    result = rate_for(DEBITURA, 15_000_000, 365)
    assert result.explanation == (
        "Balance 150,000.00 falls in the band from 150,000.00: 7.5 %; "
        "debt 365 days old: no uplift (not over 365 days) → 7.5 %"
    )


def test_format_helpers_use_integers_only():
    assert format_bps(750) == "7.5 %"
    assert format_bps(10_000) == "100 %"


def test_rates_are_shown_without_trailing_zeros():
    assert format_bps(3000) == "30 %"
    assert format_bps(1250) == "12.5 %"
    assert format_bps(1234) == "12.34 %"
    assert format_bps(5) == "0.05 %"
    assert format_bps(-1) == "-0.01 %"
    assert plain_amount(-123_456_789) == "-1,234,567.89"
    assert plain_amount(5) == "0.05"


# --- rate_for input checks -----------------------------------------------------------------


def test_rate_for_rejects_an_invalid_schedule():
    with pytest.raises(ValueError, match="no balance bands"):
        rate_for(FeeSchedule(bands=()), 100, 0)


def test_rate_for_rejects_negative_balance_or_age():
    with pytest.raises(ValueError):
        rate_for(DEBITURA, -1, 0)
    with pytest.raises(ValueError):
        rate_for(DEBITURA, 100, -1)


def test_rate_for_rejects_floats():
    with pytest.raises(TypeError):
        rate_for(DEBITURA, 100.0, 0)


# --- fee rounding --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "bps", "fee"),
    [
        (1, 5000, 1),  # 0.5 rounds up
        (1, 4999, 0),  # 0.4999 rounds down
        (3, 1666, 0),  # 0.4998
        (3, 1667, 1),  # 0.5001
        (25, 1000, 3),  # 2.5 rounds up (not to even)
        (15, 1000, 2),  # 1.5
        (1, 750, 0),
        (12_345, 1500, 1852),  # 1851.75
        (100_000, 750, 7_500),
        (0, 3000, 0),
        (99_999, 10_000, 99_999),
        (99_999, 0, 0),
    ],
)
def test_fee_rounds_half_up_to_the_minor_unit(amount, bps, fee):
    assert fee_on(amount, bps) == fee


def test_fee_is_exact_on_amounts_floats_cannot_hold():
    assert fee_on(2**60 + 1, 5000) == 2**59 + 1  # 2**59 + 0.5 rounds up


def test_fee_reversal_is_the_exact_negative():
    assert fee_on(-25, 1000) == -3  # not -2, which flooring would give
    assert fee_on(-1, 5000) == -1
    rng = random.Random(7)
    for _ in range(2000):
        amount, bps = rng.randint(0, 10**9), rng.randint(0, 10_000)
        assert fee_on(-amount, bps) == -fee_on(amount, bps)


@pytest.mark.parametrize("bps", [-1, 10_001])
def test_fee_rate_must_be_between_0_and_10000_bps(bps):
    with pytest.raises(ValueError):
        fee_on(100, bps)


@pytest.mark.parametrize(("amount", "bps"), [(100.0, 1000), (100, 1000.0), (True, 1000)])
def test_fee_accepts_integers_only(amount, bps):
    with pytest.raises(TypeError):
        fee_on(amount, bps)


@pytest.mark.parametrize(
    ("fee", "bps", "tax"),
    [(5, 1000, 1), (-5, 1000, -1), (1852, 2000, 370), (1853, 1600, 296), (0, 2000, 0)],
)
def test_tax_on_fee_rounds_half_up_symmetrically(fee, bps, tax):
    assert tax_on(fee, bps) == tax


# --- split and remittance ------------------------------------------------------------------


def test_split_net_remits_gross_less_fee_and_tax():
    result = split(100_000, 1500, 2000, "net")
    assert (result.gross, result.fee, result.tax, result.net_to_client) == (
        100_000,
        15_000,
        3_000,
        82_000,
    )
    assert (result.remitted_now, result.invoiced) == (82_000, 0)


def test_split_gross_remits_everything_and_invoices_fee_and_tax():
    result = split(100_000, 1500, 2000, "gross")
    assert result.net_to_client == 82_000
    assert (result.remitted_now, result.invoiced) == (100_000, 18_000)


def test_split_direct_payment_remits_nothing_and_invoices_fee_and_tax():
    result = split(100_000, 1500, 2000, "direct")
    assert result.net_to_client == 82_000
    assert (result.remitted_now, result.invoiced) == (0, 18_000)


def test_split_tax_is_on_the_rounded_fee():
    # fee 0.5 → 1; tax at 50 % of the rounded fee is 0.5 → 1 (0 if taxed before rounding).
    result = split(5, 1000, 5000)
    assert (result.fee, result.tax, result.net_to_client) == (1, 1, 3)


def test_split_adds_up_in_every_mode():
    rng = random.Random(11)
    for _ in range(1000):
        amount = rng.randint(-(10**9), 10**9)
        rate, tax_rate = rng.randint(0, 10_000), rng.choice([0, 1600, 2000, 2500])
        net, gross, direct = (split(amount, rate, tax_rate, m) for m in ("net", "gross", "direct"))
        assert net.fee + net.tax + net.net_to_client == amount
        assert net.remitted_now - net.invoiced == net.net_to_client
        assert gross.remitted_now - gross.invoiced == gross.net_to_client
        assert amount + direct.remitted_now - direct.invoiced == direct.net_to_client


def test_split_reversal_is_the_exact_negative():
    for mode in ("net", "gross", "direct"):
        forward, reversal = split(12_345, 1500, 2000, mode), split(-12_345, 1500, 2000, mode)
        numbers = [v for v in astuple(forward) if isinstance(v, int)]
        assert [v for v in astuple(reversal) if isinstance(v, int)] == [-v for v in numbers]


def test_split_rejects_an_unknown_remittance_mode():
    with pytest.raises(ValueError, match="remittance"):
        split(100, 1000, 0, "cash")


# --- schedule validation -------------------------------------------------------------------


def test_validate_debitura_schedule_is_clean():
    assert validate_schedule(DEBITURA) == []


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        (FeeSchedule(bands=()), "The schedule has no balance bands."),
        (
            FeeSchedule(bands=(FeeBand(10_000, 3000),)),
            "The lowest band starts at 100.00; it must start at 0 so that every balance has "
            "a rate.",
        ),
        (
            FeeSchedule(bands=(FeeBand(0, 3000), FeeBand(500, 2000), FeeBand(500, 1000))),
            "More than one band starts at 5.00.",
        ),
        (
            FeeSchedule(bands=(FeeBand(0, 10_001),)),
            "The band from 0.00 has a rate of 100.01 %; rates must be between 0 % and 100 %.",
        ),
        (
            FeeSchedule(bands=(FeeBand(0, -1),)),
            "The band from 0.00 has a rate of -0.01 %; rates must be between 0 % and 100 %.",
        ),
        (
            with_(DEBITURA, age_uplifts=(AgeUplift(365, 1000), AgeUplift(365, 2000))),
            "More than one uplift starts over 365 days.",
        ),
        (
            with_(DEBITURA, age_uplifts=(AgeUplift(365, 2000), AgeUplift(730, 1000))),
            "The uplift over 730 days (+10 points) is not larger than the uplift over 365 "
            "days (+20 points).",
        ),
        (
            with_(DEBITURA, age_uplifts=(AgeUplift(365, 1000), AgeUplift(730, 1000))),
            "The uplift over 730 days (+10 points) is not larger than the uplift over 365 "
            "days (+10 points).",
        ),
        (
            with_(DEBITURA, age_uplifts=(AgeUplift(-1, 1000),)),
            "An uplift starts at a negative age (-1 days).",
        ),
        (
            with_(DEBITURA, cap_bps=500),
            "The cap 5 % is below the lowest band rate 7.5 %, so it would replace every band.",
        ),
        (
            with_(DEBITURA, cap_bps=10_001),
            "The cap 100.01 % is not between 0 % and 100 %.",
        ),
        (
            with_(DEBITURA, legal_rate_bps=-5),
            "The legal-stage rate -0.05 % is not between 0 % and 100 %.",
        ),
        (
            FeeSchedule(bands=(FeeBand(0, 9500),), age_uplifts=(AgeUplift(365, 1000),)),
            "A band rate plus an age uplift can reach 105 %, over 100 %, and there is no cap.",
        ),
        (
            FeeSchedule(bands=(FeeBand(0, 7.5),)),
            "The band rate 7.5 is not a whole number.",
        ),
    ],
)
def test_validate_schedule_reports_problems_in_plain_english(schedule, expected):
    assert expected in validate_schedule(schedule)


def test_validate_schedule_accepts_uplift_over_100_when_capped():
    schedule = FeeSchedule(
        bands=(FeeBand(0, 9500),), age_uplifts=(AgeUplift(365, 1000),), cap_bps=9500
    )
    assert validate_schedule(schedule) == []
    assert rate_for(schedule, 100, 400).rate_bps == 9500
