"""The agency dashboard: each figure against known rows; a caseworker's subset."""

from datetime import UTC, date, datetime, timedelta

from portal.dashboard import agency
from portal.models import ArrangementStatus, CaseStatus, Role
from tests import factories
from tests.dashboard import helpers as h

TODAY = date(2026, 11, 15)
NOW = datetime(2026, 11, 15, 9, 0, tzinfo=UTC)


def _board(user, today=TODAY, now=NOW):
    return agency.dashboard(user, today, now)


def test_placements_awaiting_an_answer_list_the_late_ones_first(app, world):
    on_time = h.placed_case(
        world.business,
        world.agency,
        status=CaseStatus.SUBMITTED,
        answer_due_at=NOW + timedelta(days=1),
        submitted=date(2026, 11, 1),
    )
    late = h.placed_case(
        world.business,
        world.agency,
        status=CaseStatus.SUBMITTED,
        answer_due_at=NOW - timedelta(hours=1),
        submitted=date(2026, 11, 14),
    )
    later_late = h.placed_case(
        world.business,
        world.agency,
        status=CaseStatus.INFO_REQUESTED,
        answer_due_at=NOW - timedelta(days=3),
    )
    h.placed_case(world.business, world.agency, status=CaseStatus.IN_COLLECTION)
    h.settle()
    d = _board(world.agency_admin)
    assert (d.waiting_count, d.late_count) == (3, 2)
    assert [w.id for w in d.waiting] == [later_late.id, late.id, on_time.id]
    assert [w.late for w in d.waiting] == [True, True, False]


def test_open_cases_count_only_the_cases_being_worked(app, world):
    for status in (CaseStatus.ACCEPTED, CaseStatus.IN_COLLECTION, CaseStatus.PAYMENT_PLAN):
        h.placed_case(world.business, world.agency, status=status)
    h.placed_case(world.business, world.agency, status=CaseStatus.ON_HOLD)
    h.placed_case(world.business, world.agency, status=CaseStatus.SUBMITTED)
    h.placed_case(world.business, world.agency, status=CaseStatus.CLOSED)
    factories.case(world.business, world.agency)  # a draft names the agency but is not placed
    h.settle()
    d = _board(world.agency_admin)
    assert d.open_total == 4
    assert d.open_cases[CaseStatus.ON_HOLD] == 1 and d.open_cases[CaseStatus.IN_LEGAL] == 0


def test_promises_due_are_dated_today_or_earlier_and_not_yet_kept(app, world):
    made = datetime(2026, 11, 1, 10, tzinfo=UTC)

    def promise(day, amount=5_000, **case_fields):
        case = h.placed_case(world.business, world.agency, **case_fields)
        h.contact(case, made, promise_date=day, promise_amount=amount)
        return case

    promise(TODAY)  # due today: counted
    promise(TODAY - timedelta(days=3), amount=None)  # earlier, no amount: counted
    promise(TODAY + timedelta(days=1))  # tomorrow: not yet
    kept = promise(TODAY - timedelta(days=1))
    h.recovery(kept, 5_000, date(2026, 11, 10))  # paid in full since: kept
    short = promise(TODAY - timedelta(days=1))
    h.recovery(short, 4_999, date(2026, 11, 10))  # one short: still due
    before = promise(TODAY - timedelta(days=1))
    h.recovery(before, 9_000, date(2026, 10, 30))  # paid before the promise: not this one
    promise(TODAY, status=CaseStatus.CLOSED)  # the case is closed
    h.settle()
    assert _board(world.agency_admin).promises_due == 4


def test_only_the_latest_uncorrected_promise_on_a_case_is_due(app, world):
    case = h.placed_case(world.business, world.agency)
    h.contact(case, datetime(2026, 11, 1, tzinfo=UTC), promise_date=date(2026, 11, 5))
    h.contact(case, datetime(2026, 11, 6, tzinfo=UTC), promise_date=date(2026, 11, 12))
    other = h.placed_case(world.business, world.agency)
    wrong = h.contact(other, datetime(2026, 11, 2, tzinfo=UTC), promise_date=date(2026, 11, 3))
    h.contact(other, datetime(2026, 11, 3, tzinfo=UTC), corrects=wrong)
    h.settle()
    assert _board(world.agency_admin).promises_due == 1


def test_broken_plans_count_plans_broken_or_missed_that_nothing_replaced(app, world):
    broken = h.placed_case(world.business, world.agency)
    h.plan(broken, ArrangementStatus.BROKEN)
    missed = h.placed_case(world.business, world.agency, status=CaseStatus.PAYMENT_PLAN)
    h.plan(missed, ArrangementStatus.ACTIVE, missed=True)
    replaced = h.placed_case(world.business, world.agency, status=CaseStatus.PAYMENT_PLAN)
    h.plan(replaced, ArrangementStatus.BROKEN)
    h.plan(replaced, ArrangementStatus.ACTIVE)
    healthy = h.placed_case(world.business, world.agency, status=CaseStatus.PAYMENT_PLAN)
    h.plan(healthy, ArrangementStatus.ACTIVE)
    closed = h.placed_case(world.business, world.agency, status=CaseStatus.CLOSED)
    h.plan(closed, ArrangementStatus.BROKEN)
    h.settle()
    assert _board(world.agency_admin).broken_plans == 2


def test_flagged_contacts_count_rule_breaches_of_the_last_30_days(app, world):
    case = h.placed_case(world.business, world.agency)
    h.contact(case, NOW - timedelta(days=1), breach=True)
    h.contact(case, NOW - timedelta(days=29, hours=23), breach=True)
    h.contact(case, NOW - timedelta(days=31), breach=True)  # too old
    h.contact(case, NOW - timedelta(hours=2))  # within the rules
    h.settle()
    assert _board(world.agency_admin).flagged_contacts == 2


def test_collections_compare_this_month_with_last_per_currency(app, world):
    kes = h.placed_case(world.business, world.agency, currency="KES")
    usd = h.placed_case(world.business, world.agency, currency="USD")
    h.recovery(kes, 1_000, date(2026, 11, 1))
    h.recovery(kes, 2_000, date(2026, 11, 15))
    h.recovery(kes, 4_000, date(2026, 10, 31))
    h.recovery(kes, 8_000, date(2026, 9, 30))  # two months back: neither
    h.recovery(usd, 50, date(2026, 10, 1))
    h.settle()
    d = _board(world.agency_admin)
    assert [(c.currency, c.this_month, c.last_month) for c in d.collected] == [
        ("KES", 3_000, 4_000),
        ("USD", 0, 50),
    ]
    assert d.collected[0].change == -1_000


def test_collections_in_january_compare_with_december(app, world):
    case = h.placed_case(world.business, world.agency)
    h.recovery(case, 700, date(2026, 12, 20))
    h.recovery(case, 300, date(2027, 1, 2))
    h.settle()
    d = _board(world.agency_admin, date(2027, 1, 5), datetime(2027, 1, 5, tzinfo=UTC))
    assert [(c.this_month, c.last_month) for c in d.collected] == [(300, 700)]


def test_by_client_and_by_caseworker_split_open_cases_and_collections(app, world):
    a = h.placed_case(world.business, world.agency, assigned_to=world.caseworker)
    b = h.placed_case(world.other_business, world.agency, assigned_to=world.other_caseworker)
    h.placed_case(world.other_business, world.agency)  # not assigned
    h.recovery(a, 1_000, date(2026, 11, 3))
    h.recovery(b, 2_000, date(2026, 10, 3))
    h.settle()
    d = _board(world.agency_admin)
    clients = {
        g.name: (g.open_cases, [(c.this_month, c.last_month) for c in g.collected])
        for g in d.by_client
    }
    assert clients == {"Acacia": (1, [(1_000, 0)]), "Baobab": (2, [(0, 2_000)])}
    workers = {
        g.ident: (g.open_cases, [(c.this_month, c.last_month) for c in g.collected])
        for g in d.by_caseworker
    }
    assert workers == {
        world.caseworker.id: (1, [(1_000, 0)]),
        world.other_caseworker.id: (1, [(0, 2_000)]),
        None: (1, []),
    }
    assert d.by_caseworker[-1].ident is None  # "not assigned" comes last


def test_a_caseworker_sees_only_the_cases_assigned_to_them(app, world):
    mine = h.placed_case(world.business, world.agency, assigned_to=world.caseworker)
    theirs = h.placed_case(world.business, world.agency, assigned_to=world.other_caseworker)
    h.placed_case(world.business, world.agency, status=CaseStatus.SUBMITTED)
    for case in (mine, theirs):
        h.recovery(case, 1_000, date(2026, 11, 2))
        h.contact(case, NOW - timedelta(days=1), breach=True)
        h.contact(case, NOW - timedelta(days=2), promise_date=TODAY, promise_amount=10)
        h.plan(case, ArrangementStatus.BROKEN)
    h.settle()
    d = _board(world.caseworker)
    assert d.is_caseworker and d.waiting_count == 0 and d.waiting == []
    assert (d.open_total, d.promises_due, d.broken_plans, d.flagged_contacts) == (1, 1, 1, 1)
    assert [(c.this_month) for c in d.collected] == [1_000]
    assert [g.name for g in d.by_client] == ["Acacia"] and d.by_client[0].open_cases == 1
    assert d.by_caseworker == []
    admin = _board(world.agency_admin)
    assert (admin.open_total, admin.promises_due, admin.broken_plans) == (2, 2, 2)
    assert admin.flagged_contacts == 2


def test_another_agencys_cases_are_never_counted(app, world):
    mine = h.placed_case(world.other_business, world.agency)
    theirs = h.placed_case(world.other_business, world.other_agency)
    h.placed_case(
        world.other_business,
        world.other_agency,
        status=CaseStatus.SUBMITTED,
        answer_due_at=NOW - timedelta(days=1),
    )
    for case in (mine, theirs):
        h.recovery(case, 1_000, date(2026, 11, 2))
        h.contact(case, NOW - timedelta(days=1), breach=True)
        h.plan(case, ArrangementStatus.BROKEN)
    h.settle()
    d = _board(world.agency_admin)
    assert (d.waiting_count, d.open_total, d.broken_plans, d.flagged_contacts) == (0, 1, 1, 1)
    assert [c.this_month for c in d.collected] == [1_000]
    assert [g.name for g in d.by_client] == ["Baobab"]


def test_active_clients_count_the_agencys_active_agreements(app, world):
    lonely = factories.organisation(factories.OrgKind.AGENCY, "Lonely Agency")
    admin = factories.user(lonely, Role.AGENCY_ADMIN)
    h.settle()
    assert _board(world.agency_admin).active_clients == 2
    assert _board(admin).active_clients == 0
