"""The caseworker's day, the agency's case list, and the compliance view."""

from datetime import date

from portal.casework import queries
from portal.extensions import db
from portal.models import (
    Arrangement,
    ArrangementKind,
    ArrangementStatus,
    CaseStatus,
    CloseCode,
    ContactOutcome,
    Dispute,
    Frequency,
)
from tests import factories
from tests.casework.helpers import NAIROBI, at, freeze, logged, worked_case


def page(client, url="/work"):
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_caseworker_sees_only_assigned_cases(client, auth, world, monkeypatch):
    mine = worked_case(world)
    theirs = worked_case(world, assigned_to_id=world.other_caseworker.id)
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 0))
    auth.login(world.caseworker)
    html = page(client)
    assert mine.reference in html
    assert theirs.reference not in html


def test_worklist_is_ordered_by_next_action(client, auth, world, monkeypatch):
    later = worked_case(world, next_action_on=date(2026, 3, 9))
    sooner = worked_case(world, next_action_on=date(2026, 3, 2))
    unset = worked_case(world)
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 0))
    auth.login(world.caseworker)
    html = page(client)
    positions = [html.index(c.reference) for c in (sooner, later, unset)]
    assert positions == sorted(positions)
    assert "Overdue" in html  # the 2 March action is past


def test_worklist_leaves_out_closed_and_unaccepted_cases(client, auth, world, monkeypatch):
    closed = worked_case(world, status=CaseStatus.CLOSED, close_code="returned")
    waiting = worked_case(world, status=CaseStatus.SUBMITTED)
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 0))
    auth.login(world.agency_admin)
    html = page(client)
    assert closed.reference not in html and waiting.reference not in html


def test_worklist_shows_promises_due_today_only(client, auth, world, monkeypatch):
    due = worked_case(world)
    later = worked_case(world)
    logged(
        due,
        world.caseworker,
        at(NAIROBI, 2026, 3, 1, 10, 0),
        ContactOutcome.PROMISE_TO_PAY,
        promise_amount_minor=250000,
        promise_date=date(2026, 3, 3),
    )
    logged(
        later,
        world.caseworker,
        at(NAIROBI, 2026, 3, 1, 10, 0),
        ContactOutcome.PROMISE_TO_PAY,
        promise_amount_minor=990000,
        promise_date=date(2026, 3, 4),
    )
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 0))
    auth.login(world.caseworker)
    html = page(client)
    promises = html[html.index('id="promises-heading"') : html.index('id="broken-heading"')]
    assert due.reference in promises and "2,500.00" in promises
    assert later.reference not in promises


def test_worklist_shows_broken_plans_and_cases_on_hold(client, auth, world, monkeypatch):
    broken = worked_case(world)
    db.session.add(
        Arrangement(
            case_id=broken.id,
            kind=ArrangementKind.PLAN,
            status=ArrangementStatus.BROKEN,
            total_minor=300000,
            instalment_count=3,
            frequency=Frequency.MONTHLY,
            broken_at=at(NAIROBI, 2026, 3, 1, 0, 0),
        )
    )
    held = worked_case(world, status=CaseStatus.ON_HOLD)
    db.session.add(
        Dispute(case_id=held.id, reason="Goods never arrived", status_before="in_collection")
    )
    db.session.commit()
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 0))
    auth.login(world.caseworker)
    html = page(client)
    broken_part = html[html.index('id="broken-heading"') : html.index('id="on-hold-heading"')]
    held_part = html[html.index('id="on-hold-heading"') :]
    assert broken.reference in broken_part and held.reference not in broken_part
    assert held.reference in held_part and "Goods never arrived" in held_part


def test_broken_plans_beside_the_worklist_follow_its_caseworker_and_status_filters(
    client, auth, world, monkeypatch
):
    def broken_plan_on(case):
        db.session.add(
            Arrangement(
                case_id=case.id,
                kind=ArrangementKind.PLAN,
                status=ArrangementStatus.BROKEN,
                total_minor=300000,
                instalment_count=3,
                frequency=Frequency.MONTHLY,
                broken_at=at(NAIROBI, 2026, 3, 1, 0, 0),
            )
        )

    mine = worked_case(world)
    theirs = worked_case(world, assigned_to_id=world.other_caseworker.id)
    in_legal = worked_case(world, status=CaseStatus.IN_LEGAL)
    closed = worked_case(world, status=CaseStatus.CLOSED, close_code=CloseCode.UNTRACEABLE)
    for case in (mine, theirs, in_legal, closed):
        broken_plan_on(case)
    db.session.commit()
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 0))
    auth.login(world.agency_admin)

    def broken_part(url):
        html = page(client, url)
        return html[html.index('id="broken-heading"') : html.index('id="on-hold-heading"')]

    everyone = broken_part("/work")
    assert all(c.reference in everyone for c in (mine, theirs, in_legal))
    assert closed.reference not in everyone
    theirs_only = broken_part(f"/work?caseworker={world.other_caseworker.id}")
    assert theirs.reference in theirs_only and mine.reference not in theirs_only
    legal_only = broken_part("/work?status=in_legal")
    assert in_legal.reference in legal_only and mine.reference not in legal_only


def test_agency_admin_sees_every_open_case_and_filters_by_caseworker(
    client, auth, world, monkeypatch
):
    mine = worked_case(world)
    theirs = worked_case(world, assigned_to_id=world.other_caseworker.id)
    elsewhere = factories.case(world.other_business, world.other_agency, CaseStatus.IN_COLLECTION)
    db.session.commit()
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 0))
    auth.login(world.agency_admin)
    html = page(client)
    assert mine.reference in html and theirs.reference in html
    assert elsewhere.reference not in html
    html = page(client, f"/work?caseworker={world.other_caseworker.id}")
    assert theirs.reference in html and mine.reference not in html
    # Someone of another agency is no filter at all.
    html = page(client, f"/work?caseworker={world.other_agency_admin.id}")
    assert mine.reference in html and theirs.reference in html


def test_worklist_says_whether_each_debtor_may_be_called_now(client, auth, world, monkeypatch):
    case = worked_case(world)
    logged(case, world.caseworker, at(NAIROBI, 2026, 3, 3, 9, 0))
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 0))
    auth.login(world.caseworker)
    html = page(client)
    row = html[html.index(case.reference) :]
    assert "No" in row[: row.index("</tr>")] and "4 Mar 2026, 08:00" in row


def test_compliance_view_lists_flagged_contacts_of_my_agency_only(client, auth, world, monkeypatch):
    mine = worked_case(world)
    logged(
        mine,
        world.caseworker,
        at(NAIROBI, 2026, 3, 3, 22, 0),
        rule_breach=True,
        breached_rules="outside_window",
        override_reason="Debtor asked for a late call",
    )
    logged(mine, world.caseworker, at(NAIROBI, 2026, 3, 2, 10, 0), summary="A fine call")
    foreign = factories.case(world.other_business, world.other_agency, CaseStatus.IN_COLLECTION)
    db.session.commit()
    logged(
        foreign,
        world.other_agency_admin,
        at(NAIROBI, 2026, 3, 3, 23, 0),
        rule_breach=True,
        breached_rules="outside_window",
        override_reason="Other agency's breach",
    )
    auth.login(world.agency_admin)
    html = page(client, "/compliance")
    assert "Debtor asked for a late call" in html and "outside the calling window" in html
    assert mine.reference in html
    assert "Other agency's breach" not in html and foreign.reference not in html
    assert "A fine call" not in html


def test_the_may_be_called_now_tile_links_to_the_cases_that_may_be_called(
    client, auth, world, monkeypatch
):
    callable_case = worked_case(world)
    called = worked_case(world)
    logged(called, world.caseworker, at(NAIROBI, 2026, 3, 3, 9, 0))
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 0))
    auth.login(world.caseworker)
    html = page(client)
    assert '<a href="#call-now">May be called now</a>' in html
    section = html[html.index('<section id="call-now"') :]
    section = section[: section.index("</section>")]
    assert callable_case.reference in section and called.reference not in section


def test_each_side_list_shows_its_first_few_and_counts_them_all(client, auth, world, monkeypatch):
    held = [worked_case(world, status=CaseStatus.ON_HOLD) for _ in range(queries.SIDE_SHOWN + 2)]
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 0))
    auth.login(world.agency_admin)
    html = page(client)
    section = html[html.index('id="on-hold-heading"') :]
    shown = [c for c in held if f">{c.reference}<" in section]
    assert len(shown) == queries.SIDE_SHOWN
    assert f"The first {queries.SIDE_SHOWN} of {len(held)}." in section
    assert "status=on_hold" in section
