"""The business dashboard: each figure against known rows."""

from datetime import date, timedelta

import pytest

from portal.dashboard import business
from portal.dashboard import services as s
from portal.models import CaseStatus, CloseCode, OrgKind, PaidTo
from tests import factories
from tests.dashboard import helpers as h

TODAY = date(2026, 11, 15)


def _totals(world, today=TODAY):
    return {t.currency: t for t in business.dashboard(world.business_admin, today).totals}


def test_cases_by_status_counts_every_status_of_the_business(app, world):
    h.placed_case(world.business, world.agency, status=CaseStatus.IN_COLLECTION)
    h.placed_case(world.business, world.agency, status=CaseStatus.IN_COLLECTION)
    h.placed_case(world.business, world.agency, status=CaseStatus.SUBMITTED)
    factories.case(world.business)  # a draft
    h.settle()
    counts = business.status_counts(world.business_admin)
    assert counts[CaseStatus.IN_COLLECTION] == 2
    assert counts[CaseStatus.SUBMITTED] == 1
    assert counts[CaseStatus.DRAFT] == 1
    assert counts[CaseStatus.CLOSED] == 0 and set(counts) == set(CaseStatus)


def test_placed_recovered_fees_and_net_add_up_the_known_rows(app, world):
    a = h.placed_case(world.business, world.agency, amount=100_000, fee_rate_bps=2000)
    b = h.placed_case(world.business, world.agency, amount=50_000, fee_rate_bps=3000)
    h.recovery(a, 10_000, date(2026, 4, 1), tax_bps=1600)  # fee 2,000, tax 320
    h.recovery(b, 5_000, date(2026, 4, 2), paid_to=PaidTo.CLIENT)  # fee 1,500
    h.settle()
    t = _totals(world)["KES"]
    assert (t.cases, t.placed, t.recovered) == (2, 150_000, 15_000)
    assert t.fees == 2_000 + 320 + 1_500
    assert t.net == 15_000 - 3_820


def test_a_reversed_payment_counts_against_what_was_recovered(app, world):
    a = h.placed_case(world.business, world.agency, amount=100_000)
    paid = h.recovery(a, 10_000, date(2026, 4, 1))
    h.recovery(a, -10_000, date(2026, 4, 5), reverses=paid)
    h.recovery(a, 4_000, date(2026, 4, 9))
    h.settle()
    t = _totals(world)["KES"]
    assert (t.recovered, t.fees, t.net) == (4_000, 800, 3_200)


def test_drafts_and_placements_the_agency_rejected_are_not_counted_as_placed(app, world):
    h.placed_case(world.business, world.agency, amount=70_000)
    h.placed_case(
        world.business,
        world.agency,
        amount=900_000,
        status=CaseStatus.CLOSED,
        close_code=CloseCode.REJECTED,
    )
    factories.case(world.business, amount_minor=500_000)
    h.settle()
    t = _totals(world)["KES"]
    assert (t.cases, t.placed) == (1, 70_000)


def test_recovery_rate_is_recovered_over_placed_in_basis_points(app, world):
    a = h.placed_case(world.business, world.agency, amount=300_000)
    h.placed_case(world.business, world.agency, amount=100_000)
    h.recovery(a, 100_000, date(2026, 5, 1))
    h.settle()
    assert _totals(world)["KES"].rate_bps == 2500  # 100,000 of 400,000
    assert s.rate_bps(1, 3) == 3333 and s.rate_bps(2, 3) == 6667 and s.rate_bps(5, 0) is None


def test_days_to_first_payment_averages_from_placement_to_each_cases_first_payment(app, world):
    a = h.placed_case(world.business, world.agency, submitted=date(2026, 3, 1))
    b = h.placed_case(world.business, world.agency, submitted=date(2026, 3, 10))
    h.placed_case(world.business, world.agency, submitted=date(2026, 3, 1))  # never paid
    bounced = h.recovery(a, 5_000, date(2026, 3, 5))
    h.recovery(a, -5_000, date(2026, 3, 8), reverses=bounced)
    h.recovery(a, 1_000, date(2026, 3, 21))  # a later payment does not move the first
    h.recovery(b, 2_000, date(2026, 4, 9))  # 30 days
    h.settle()
    t = _totals(world)["KES"]
    assert t.paid_cases == 2
    assert t.average_days == 17.0  # (4 + 30) / 2
    assert business.dashboard(world.business_admin, TODAY).days_overall == 17.0


def test_money_is_grouped_per_currency_and_never_added_across_currencies(app, world):
    kes = h.placed_case(world.business, world.agency, amount=100_000, currency="KES")
    usd = h.placed_case(world.business, world.agency, amount=2_000, currency="USD")
    h.recovery(kes, 10_000, date(2026, 11, 2))
    h.recovery(usd, 500, date(2026, 11, 3))
    h.settle()
    d = business.dashboard(world.business_admin, TODAY)
    totals = {t.currency: (t.placed, t.recovered) for t in d.totals}
    assert totals == {"KES": (100_000, 10_000), "USD": (2_000, 500)}
    assert {c: bars[-1].amount for c, bars in d.months.items()} == {"KES": 10_000, "USD": 500}
    assert d.age_currencies == ["KES", "USD"]
    assert d.ages[0].amounts == {"KES": (0, 0), "USD": (0, 0)}
    [agency] = d.agencies
    assert [(line.currency, line.placed) for line in agency.lines] == [
        ("KES", 100_000),
        ("USD", 2_000),
    ]


def test_by_agency_splits_cases_and_money_per_agency(app, world):
    second = factories.organisation(OrgKind.AGENCY, "Zebra Collections")
    factories.agreement(world.business, second)
    a = h.placed_case(world.business, world.agency, amount=100_000)
    h.placed_case(world.business, world.agency, amount=20_000, status=CaseStatus.CLOSED)
    z = h.placed_case(world.business, second, amount=40_000)
    h.recovery(a, 10_000, date(2026, 4, 1))
    h.recovery(z, 4_000, date(2026, 4, 1))
    h.settle()
    d = business.dashboard(world.business_admin, TODAY)
    rows = {
        a.name: (a.lines[0].cases, a.lines[0].open_cases, a.lines[0].placed) for a in d.agencies
    }
    assert rows == {"Nairobi Recovery": (2, 1, 120_000), "Zebra Collections": (1, 1, 40_000)}
    recovered = {a.name: a.lines[0].recovered for a in d.agencies}
    assert recovered == {"Nairobi Recovery": 10_000, "Zebra Collections": 4_000}


@pytest.mark.parametrize(
    ("days_past_due", "bucket"),
    [
        (-10, "0-30"),
        (0, "0-30"),
        (30, "0-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "91-180"),
        (180, "91-180"),
        (181, "181+"),
        (900, "181+"),
    ],
)
def test_open_balances_fall_in_their_age_bucket_at_the_edges(app, world, days_past_due, bucket):
    h.placed_case(world.business, world.agency, amount=12_345, due=TODAY - timedelta(days_past_due))
    h.settle()
    ages, currencies = business.open_balances_by_age(world.business_admin, TODAY)
    found = {line.bucket.key: line.amounts["KES"] for line in ages}
    assert currencies == ["KES"]
    assert found[bucket] == (1, 12_345)
    assert sum(n for n, _ in found.values()) == 1


def test_age_is_measured_from_the_oldest_unpaid_invoice(app, world):
    case = h.placed_case(world.business, world.agency, due=TODAY - timedelta(days=40))
    h.invoice(case, TODAY - timedelta(days=200), amount=1000, paid=1000)  # paid: not counted
    h.invoice(case, TODAY - timedelta(days=75), amount=1000, paid=10)  # oldest unpaid
    h.settle()
    ages, _ = business.open_balances_by_age(world.business_admin, TODAY)
    assert {line.bucket.key: line.amounts["KES"][0] for line in ages}["61-90"] == 1


def test_open_balance_is_placement_plus_charges_less_recoveries_of_open_cases_only(app, world):
    case = h.placed_case(world.business, world.agency, amount=100_000, due=TODAY)
    h.charge(case, 4_000)
    h.recovery(case, 30_000, date(2026, 10, 1))
    h.placed_case(world.business, world.agency, amount=500, status=CaseStatus.CLOSED, due=TODAY)
    factories.case(world.business)  # a draft is not an open balance
    h.settle()
    ages, _ = business.open_balances_by_age(world.business_admin, TODAY)
    assert ages[0].amounts["KES"] == (1, 74_000)


def test_recoveries_by_month_cover_the_last_twelve_months_this_one_included(app, world):
    case = h.placed_case(world.business, world.agency, amount=1_000_000)
    h.recovery(case, 111, date(2025, 11, 30))  # 12 months back: outside
    h.recovery(case, 1_000, date(2025, 12, 1))  # the first month shown
    h.recovery(case, 2_000, date(2026, 6, 15))
    h.recovery(case, 3_000, date(2026, 6, 30))
    h.recovery(case, 4_000, date(2026, 11, 15))  # today
    h.settle()
    bars = business.recoveries_by_month(world.business_admin, TODAY)["KES"]
    assert bars[0].start == date(2025, 12, 1) and len(bars) == 12
    assert bars[-1].start == date(2026, 11, 1)
    amounts = {b.start: b.amount for b in bars if b.amount}
    assert amounts == {date(2025, 12, 1): 1_000, date(2026, 6, 1): 5_000, date(2026, 11, 1): 4_000}


def test_another_organisations_cases_and_money_are_never_counted(app, world):
    mine = h.placed_case(world.business, world.agency, amount=10_000)
    theirs = h.placed_case(world.other_business, world.agency, amount=990_000)
    h.recovery(mine, 1_000, date(2026, 11, 1))
    h.recovery(theirs, 99_000, date(2026, 11, 1))
    h.settle()
    d = business.dashboard(world.business_admin, TODAY)
    assert [(t.placed, t.recovered) for t in d.totals] == [(10_000, 1_000)]
    assert d.case_count == 1
    assert d.months["KES"][-1].amount == 1_000
    assert sum(line.amounts["KES"][1] for line in d.ages) == 9_000
    other = business.dashboard(world.other_business_admin, TODAY)
    assert [(t.placed, t.recovered) for t in other.totals] == [(990_000, 99_000)]


def test_a_business_member_sees_the_same_figures_as_its_admin(app, world):
    case = h.placed_case(world.business, world.agency, amount=10_000)
    h.recovery(case, 2_500, date(2026, 11, 1))
    h.settle()
    admin = business.dashboard(world.business_admin, TODAY)
    member = business.dashboard(world.business_member, TODAY)
    assert admin.totals == member.totals and admin.status_counts == member.status_counts


def test_a_payment_dated_before_the_placement_counts_as_day_zero(app, world):
    case = h.placed_case(world.business, world.agency, submitted=date(2026, 3, 10))
    other = h.placed_case(world.business, world.agency, submitted=date(2026, 3, 10))
    h.recovery(case, 1_000, date(2026, 3, 1))  # a direct payment the business reported late
    h.recovery(other, 1_000, date(2026, 3, 20))
    h.settle()
    assert _totals(world)["KES"].average_days == 5.0
