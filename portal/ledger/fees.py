"""The agency's contingency fee: which rate applies to a case, and the fee on each recovery.

Pure and exact: every amount is an integer in the currency's minor unit, every rate an integer
in basis points (10000 bps = 100 %).  No floats anywhere.

Rules (each one is tested):

* **Balance band**: the band with the greatest ``min_balance_minor`` not above the balance at
  placement.  The lowest band must start at 0, so every balance has a band.
* **Age uplift**: the uplift of the highest threshold the debt's age *exceeds* (strictly
  over: 365 means "over 365 days").  Uplifts are not cumulative: with +10 points over 365
  days and +20 over 730 days, a debt of 800 days gets +20, not +30.
* **Legal stage**: ``legal=True`` uses ``legal_rate_bps`` in place of band and uplift.
* **Cap**: applied last, to whichever rate was found.
* **Rounding**: half-up to the minor unit, once per recovery, computed on the magnitude, so a
  reversal (a negative amount) gets exactly the negative of the original fee:
  ``fee_on(-x, r) == -fee_on(x, r)``.  Tax on the fee is computed on the rounded fee, with the
  same rounding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

__all__ = [
    "REMITTANCE_MODES",
    "AgeUplift",
    "FeeBand",
    "FeeRate",
    "FeeSchedule",
    "Split",
    "fee_on",
    "format_bps",
    "plain_amount",
    "rate_for",
    "split",
    "tax_on",
    "validate_schedule",
]

MAX_BPS = 10_000
REMITTANCE_MODES = ("net", "gross", "direct")


@dataclass(frozen=True)
class FeeBand:
    """A balance band: from ``min_balance_minor`` (inclusive) up to the next band's start."""

    min_balance_minor: int
    rate_bps: int


@dataclass(frozen=True)
class AgeUplift:
    """Points added to the band rate when the debt is strictly older than ``min_age_days``."""

    min_age_days: int
    uplift_bps: int


@dataclass(frozen=True)
class FeeSchedule:
    """An agency's fee schedule: balance bands, age uplifts, a legal-stage rate and a cap."""

    bands: tuple[FeeBand, ...]
    age_uplifts: tuple[AgeUplift, ...] = ()
    legal_rate_bps: int | None = None
    cap_bps: int | None = None


@dataclass(frozen=True)
class FeeRate:
    """The rate that applies to a case, and how it was found (for the admin's screen)."""

    rate_bps: int
    explanation: str


@dataclass(frozen=True)
class Split:
    """One recovery divided between agency and client.

    ``net_to_client`` is always ``gross - fee - tax``.  What differs between remittance modes
    is who holds the money:

    * ``net``: the agency keeps fee and tax and remits the rest now
      (``remitted_now = net_to_client``, ``invoiced = 0``);
    * ``gross``: the agency remits everything now and invoices fee and tax
      (``remitted_now = gross``, ``invoiced = fee + tax``);
    * ``direct``: the debtor paid the client directly; the agency remits nothing and invoices
      fee and tax (``remitted_now = 0``, ``invoiced = fee + tax``).
    """

    gross: int
    fee: int
    tax: int
    net_to_client: int
    remittance: str
    remitted_now: int
    invoiced: int


def plain_amount(minor: int) -> str:
    """Minor units as a plain major amount with two decimals: 4500000 → '45,000.00'."""
    sign = "-" if minor < 0 else ""
    major, cents = divmod(abs(minor), 100)
    return f"{sign}{major:,}.{cents:02d}"


def format_bps(bps: int) -> str:
    """Basis points as a percentage the way people write it: 3000 → '30 %', 750 → '7.5 %'."""
    return f"{_points(bps)} %"


def _points(bps: int) -> str:
    """Basis points as percentage points without trailing zeros: 1000 → '10', 1250 → '12.5'."""
    sign = "-" if bps < 0 else ""
    whole, hundredths = divmod(abs(bps), 100)
    if hundredths == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{hundredths:02d}".rstrip("0")


def rate_for(
    schedule: FeeSchedule,
    balance_minor: int,
    age_days: int,
    *,
    legal: bool = False,
    format_amount: Callable[[int], str] = plain_amount,
) -> FeeRate:
    """The fee rate for a case with this balance and debt age at placement.

    Raises ValueError for an invalid schedule, a negative balance or age, or ``legal=True``
    on a schedule without a legal-stage rate.
    """
    problems = validate_schedule(schedule, format_amount=format_amount)
    if problems:
        raise ValueError("invalid fee schedule: " + " ".join(problems))
    _require_int(balance_minor, "balance_minor")
    _require_int(age_days, "age_days")
    if balance_minor < 0 or age_days < 0:
        raise ValueError("balance and age must not be negative")
    if legal:
        rate, steps = _legal_rate(schedule)
    else:
        rate, steps = _band_and_uplift(schedule, balance_minor, age_days, format_amount)
    rate, cap_step = _apply_cap(rate, schedule.cap_bps)
    steps += cap_step
    return FeeRate(rate, "; ".join(steps) + f" → {format_bps(rate)}")


def _legal_rate(schedule: FeeSchedule) -> tuple[int, list[str]]:
    if schedule.legal_rate_bps is None:
        raise ValueError("this fee schedule has no legal-stage rate")
    rate = schedule.legal_rate_bps
    return rate, [f"Legal stage: {format_bps(rate)}, in place of the balance band and age uplift"]


def _band_and_uplift(
    schedule: FeeSchedule, balance: int, age_days: int, format_amount: Callable[[int], str]
) -> tuple[int, list[str]]:
    band = max(
        (b for b in schedule.bands if b.min_balance_minor <= balance),
        key=lambda b: b.min_balance_minor,
    )
    steps = [
        f"Balance {format_amount(balance)} falls in the band from "
        f"{format_amount(band.min_balance_minor)}: {format_bps(band.rate_bps)}"
    ]
    exceeded = [u for u in schedule.age_uplifts if age_days > u.min_age_days]
    if exceeded:
        uplift = max(exceeded, key=lambda u: u.min_age_days)
        steps.append(
            f"debt {age_days} days old: +{_points(uplift.uplift_bps)} points "
            f"(over {uplift.min_age_days} days)"
        )
        return band.rate_bps + uplift.uplift_bps, steps
    if schedule.age_uplifts:
        lowest = min(u.min_age_days for u in schedule.age_uplifts)
        steps.append(f"debt {age_days} days old: no uplift (not over {lowest} days)")
    return band.rate_bps, steps


def _apply_cap(rate: int, cap: int | None) -> tuple[int, list[str]]:
    if cap is None:
        return rate, []
    if rate > cap:
        return cap, [f"capped at {format_bps(cap)}"]
    return rate, [f"cap {format_bps(cap)} not exceeded"]


def fee_on(amount_minor: int, rate_bps: int) -> int:
    """The fee on one recovery, rounded half-up to the minor unit.

    A negative amount (a reversal) gives exactly the negative of the fee on the positive
    amount.
    """
    _require_int(amount_minor, "amount_minor")
    _require_bps(rate_bps, "rate_bps")
    return _round_half_up(amount_minor, rate_bps)


def tax_on(fee_minor: int, tax_rate_bps: int) -> int:
    """Tax on a fee (e.g. VAT), rounded half-up to the minor unit, symmetric for reversals."""
    _require_int(fee_minor, "fee_minor")
    _require_bps(tax_rate_bps, "tax_rate_bps")
    return _round_half_up(fee_minor, tax_rate_bps)


def _round_half_up(amount: int, bps: int) -> int:
    magnitude = (abs(amount) * bps + MAX_BPS // 2) // MAX_BPS
    return -magnitude if amount < 0 else magnitude


def split(
    amount_minor: int, rate_bps: int, tax_rate_bps: int = 0, remittance: str = "net"
) -> Split:
    """Divide one recovery into fee, tax on the fee, and the client's share.

    ``remittance`` is 'net', 'gross' or 'direct' (see ``Split``).  A reversal (negative
    amount) gives the exact negative of every figure.
    """
    if remittance not in REMITTANCE_MODES:
        raise ValueError(f"remittance must be one of {', '.join(REMITTANCE_MODES)}")
    fee = fee_on(amount_minor, rate_bps)
    tax = tax_on(fee, tax_rate_bps)
    net = amount_minor - fee - tax
    remitted_now = {"net": net, "gross": amount_minor, "direct": 0}[remittance]
    invoiced = 0 if remittance == "net" else fee + tax
    return Split(amount_minor, fee, tax, net, remittance, remitted_now, invoiced)


def validate_schedule(
    schedule: FeeSchedule, *, format_amount: Callable[[int], str] = plain_amount
) -> list[str]:
    """Problems with a fee schedule, in plain English; an empty list means it is usable."""
    problems = _type_problems(schedule)
    if problems:
        return problems
    return (
        _band_problems(schedule.bands, format_amount)
        + _uplift_problems(schedule.age_uplifts)
        + _rate_limit_problems(schedule)
    )


def _type_problems(schedule: FeeSchedule) -> list[str]:
    numbers = [("legal rate", schedule.legal_rate_bps), ("cap", schedule.cap_bps)]
    for band in schedule.bands:
        numbers += [("band lower bound", band.min_balance_minor), ("band rate", band.rate_bps)]
    for uplift in schedule.age_uplifts:
        numbers += [("uplift age", uplift.min_age_days), ("uplift", uplift.uplift_bps)]
    return [
        f"The {name} {value!r} is not a whole number."
        for name, value in numbers
        if value is not None and not _is_int(value)
    ]


def _band_problems(bands: tuple[FeeBand, ...], format_amount: Callable[[int], str]) -> list[str]:
    if not bands:
        return ["The schedule has no balance bands."]
    problems = []
    lowest = min(b.min_balance_minor for b in bands)
    if lowest != 0:
        problems.append(
            f"The lowest band starts at {format_amount(lowest)}; it must start at 0 so that "
            "every balance has a rate."
        )
    starts = [b.min_balance_minor for b in bands]
    for start in sorted({s for s in starts if starts.count(s) > 1}):
        problems.append(f"More than one band starts at {format_amount(start)}.")
    for band in bands:
        if not 0 <= band.rate_bps <= MAX_BPS:
            problems.append(
                f"The band from {format_amount(band.min_balance_minor)} has a rate of "
                f"{format_bps(band.rate_bps)}; rates must be between 0 % and 100 %."
            )
    return problems


def _uplift_problems(uplifts: tuple[AgeUplift, ...]) -> list[str]:
    problems = []
    for uplift in uplifts:
        if uplift.min_age_days < 0:
            problems.append(f"An uplift starts at a negative age ({uplift.min_age_days} days).")
        if not 0 <= uplift.uplift_bps <= MAX_BPS:
            problems.append(
                f"The uplift over {uplift.min_age_days} days is {_points(uplift.uplift_bps)} "
                "points; uplifts must be between 0 and 100 points."
            )
    ordered = sorted(uplifts, key=lambda u: u.min_age_days)
    for younger, older in pairwise(ordered):
        if younger.min_age_days == older.min_age_days:
            problems.append(f"More than one uplift starts over {older.min_age_days} days.")
        elif older.uplift_bps <= younger.uplift_bps:
            problems.append(
                f"The uplift over {older.min_age_days} days "
                f"(+{_points(older.uplift_bps)} points) is not larger than the uplift over "
                f"{younger.min_age_days} days (+{_points(younger.uplift_bps)} points)."
            )
    return problems


def _rate_limit_problems(schedule: FeeSchedule) -> list[str]:
    problems = []
    legal, cap = schedule.legal_rate_bps, schedule.cap_bps
    if legal is not None and not 0 <= legal <= MAX_BPS:
        problems.append(f"The legal-stage rate {format_bps(legal)} is not between 0 % and 100 %.")
    if cap is not None and not 0 <= cap <= MAX_BPS:
        problems.append(f"The cap {format_bps(cap)} is not between 0 % and 100 %.")
    if cap is not None and schedule.bands:
        lowest_rate = min(b.rate_bps for b in schedule.bands)
        if cap < lowest_rate:
            problems.append(
                f"The cap {format_bps(cap)} is below the lowest band rate "
                f"{format_bps(lowest_rate)}, so it would replace every band."
            )
    highest = max((b.rate_bps for b in schedule.bands), default=0)
    top_uplift = max((u.uplift_bps for u in schedule.age_uplifts), default=0)
    in_range = highest <= MAX_BPS and top_uplift <= MAX_BPS  # else reported above
    if cap is None and in_range and highest + top_uplift > MAX_BPS:
        problems.append(
            f"A band rate plus an age uplift can reach {format_bps(highest + top_uplift)}, "
            "over 100 %, and there is no cap."
        )
    return problems


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _require_int(value: object, name: str) -> None:
    if not _is_int(value):
        raise TypeError(f"{name} must be an int in minor units or days, not {value!r}")


def _require_bps(value: int, name: str) -> None:
    _require_int(value, name)
    if not 0 <= value <= MAX_BPS:
        raise ValueError(f"{name} must be between 0 and {MAX_BPS} basis points")
