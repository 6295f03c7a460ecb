"""Every list page and dashboard sends the same number of queries for 5 rows as for 50, and the
case page the same for a short history as for a long one: no query per row (issue 8).

The count comes from a "before_cursor_execute" listener on `db.engine`, so every statement the
request sends is seen, whatever code sent it. No test here measures a time.
"""

from datetime import date, timedelta

import pytest

from portal.extensions import db
from portal.models import (
    ArrangementStatus,
    CaseStatus,
    Channel,
    CloseCode,
    CorrespondenceEntry,
    Direction,
    Event,
    Message,
    MessageKind,
    Notification,
    RemittanceMode,
    Side,
    Statement,
    utcnow,
)
from tests.dashboard import helpers as h
from tests.querycount import counting


def queries_for(client, auth, user, url: str) -> int:
    auth.login(user)
    with counting() as seen:
        response = client.get(url)
    assert response.status_code == 200, url
    auth.logout()
    return len(seen)


# --- rows for every list ------------------------------------------------------------------------


def populate(world, n: int) -> None:
    """`n` rows of each kind every list shows: cases in each state, money, contacts, plans,
    placements waiting, statements and notifications, on both businesses and both agencies."""
    now, today = utcnow(), utcnow().date()
    workers = [world.caseworker, world.other_caseworker, world.agency_admin]
    for i in range(n):
        business = world.business if i % 2 else world.other_business
        worker = workers[i % 3]
        case = h.placed_case(
            business,
            world.agency,
            status=(CaseStatus.IN_COLLECTION, CaseStatus.PAYMENT_PLAN, CaseStatus.ON_HOLD)[i % 3],
            due=today - timedelta(days=i * 7),
            assigned_to=worker,
        )
        h.recovery(case, 1_000 + i, today - timedelta(days=i % 20))
        h.contact(  # promised more than the case received: a promise due today on every case
            case,
            now - timedelta(days=i % 30),
            promise_date=today,
            promise_amount=1_000_000,
            breach=i % 2 == 0,
        )
        h.plan(case, ArrangementStatus.BROKEN if i % 2 else ArrangementStatus.ACTIVE, missed=True)
        h.placed_case(business, world.agency, status=CaseStatus.SUBMITTED)
        h.placed_case(
            business, world.agency, status=CaseStatus.CLOSED, close_code=CloseCode.SETTLED
        )
        statement(world, i)
        for user in (world.agency_admin, world.business_admin):
            db.session.add(Notification(user_id=user.id, kind="case_submitted", text=f"Case {i}"))
    h.settle()


def statement(world, i: int) -> None:
    """An issued statement with no lines (the list shows its totals, which are its own)."""
    day = date(2020, 1, 1) + timedelta(days=31 * (i + 1000 * _round(world)))
    db.session.add(
        Statement(
            agency_id=world.agency.id,
            business_id=world.business.id,
            agreement_id=world.agreement.id,
            number=f"NR-ST-{_round(world)}-{i:04d}",
            currency="KES",
            period_start=day,
            period_end=day + timedelta(days=27),
            remittance_mode=RemittanceMode.NET,
            gross_minor=0,
            fee_minor=0,
            tax_minor=0,
            net_minor=0,
            due_to_client_minor=0,
            issued_at=utcnow(),
            issued_by_id=world.agency_admin.id,
        )
    )


def _round(world) -> int:
    """0 on the first fill of a test, 1 on the second: statement numbers stay unique."""
    world.__dict__.setdefault("_filled", 0)
    return world.__dict__["_filled"]


def fill(world, n: int) -> None:
    populate(world, n)
    world.__dict__["_filled"] = _round(world) + 1


LISTS = [
    ("business_admin", "/cases/"),
    ("business_member", "/cases/?sort=amount_desc"),
    ("business_admin", "/dashboard"),
    ("business_member", "/dashboard"),
    ("business_admin", "/dashboard/placed"),
    ("business_admin", "/dashboard/open"),
    ("business_admin", "/dashboard/recovered"),
    ("business_admin", "/statements/"),
    ("business_admin", "/notifications"),
    ("agency_admin", "/work"),
    ("caseworker", "/work"),
    ("agency_admin", "/compliance"),
    ("agency_admin", "/placements/"),
    ("agency_admin", "/dashboard"),
    ("caseworker", "/dashboard"),
    ("agency_admin", "/dashboard/working"),
    ("agency_admin", "/dashboard/collected"),
    ("agency_admin", "/dashboard/promises"),
    ("agency_admin", "/dashboard/broken"),
    ("agency_admin", "/dashboard/flagged"),
    ("agency_admin", "/statements/"),
    ("agency_admin", "/notifications"),
]


@pytest.mark.parametrize(("who", "url"), LISTS)
def test_a_list_page_sends_as_many_queries_for_50_rows_as_for_5(client, auth, world, who, url):
    user = getattr(world, who)
    fill(world, 5)
    few = queries_for(client, auth, user, url)
    fill(world, 45)
    many = queries_for(client, auth, user, url)
    assert few == many, f"{url}: {few} queries for 5 rows, {many} for 50"


# --- the case page --------------------------------------------------------------------------


def grow_history(case, world, n: int) -> None:
    """`n` more history entries of both sides, with messages and timeline events."""
    now = utcnow()
    for i in range(n):
        agency_side = i % 2 == 0
        db.session.add(
            CorrespondenceEntry(
                case_id=case.id,
                side=Side.AGENCY if agency_side else Side.BUSINESS,
                occurred_at=now - timedelta(hours=i + 1),
                channel=(Channel.PHONE, Channel.EMAIL, Channel.LETTER)[i % 3],
                direction=Direction.OUTBOUND,
                summary=f"Contact {i}",
                recorded_by_id=(world.caseworker if agency_side else world.business_admin).id,
                recorded_at=now - timedelta(hours=i + 1),
            )
        )
        db.session.add(
            Message(
                case_id=case.id,
                author_id=world.business_admin.id,
                side=Side.BUSINESS,
                kind=MessageKind.NOTE,
                body=f"Note {i}",
            )
        )
        db.session.add(
            Event(
                case_id=case.id,
                actor_id=world.caseworker.id,
                organisation_id=world.agency.id,
                kind="history_added",
                summary=f"Entry {i}",
            )
        )
        h.invoice(case, date(2026, 1, 1) + timedelta(days=i), amount=1_000 + i)
        h.recovery(case, 500 + i, date(2026, 2, 1) + timedelta(days=i))
    h.settle()


@pytest.mark.parametrize("who", ["business_admin", "agency_admin", "caseworker"])
def test_the_case_page_sends_as_many_queries_for_a_long_history_as_for_a_short_one(
    client, auth, world, who
):
    case = h.placed_case(world.business, world.agency, assigned_to=world.caseworker)
    h.settle()
    grow_history(case, world, 5)
    few = queries_for(client, auth, getattr(world, who), f"/cases/{case.id}")
    grow_history(case, world, 195)
    many = queries_for(client, auth, getattr(world, who), f"/cases/{case.id}")
    assert few == many, f"{few} queries with 5 entries, {many} with 200"


def test_the_counter_sees_every_statement_a_request_sends(client, auth, world):
    """The counts above compare two numbers; this keeps them from both being a broken zero."""
    auth.login(world.agency_admin)
    with counting() as seen:
        assert client.get("/dashboard").status_code == 200
    assert any(s.lstrip().upper().startswith("SELECT") for s in seen)
    assert len(seen) >= 5
