"""The audit view: admins read their own organisation's events, filtered and paginated; the
business never sees the agency's internal events or what the agency does outside its cases."""

from datetime import UTC, datetime
from html import unescape

from sqlalchemy import select

from portal import audit
from portal.extensions import db
from portal.models import Event
from portal.privacy.audit_view import PAGE_SIZE
from tests import factories
from tests.documents.helpers import worked_case


def _text(response) -> str:
    return unescape(response.get_data(as_text=True))


def _at(day: int, actor, summary: str, kind: str = "dated", case=None) -> None:
    db.session.add(
        Event(
            occurred_at=datetime(2026, 3, day, 12, tzinfo=UTC),
            actor_id=actor.id,
            organisation_id=actor.organisation_id,
            case_id=case.id if case else None,
            kind=kind,
            summary=summary,
            internal=False,
        )
    )


def _setting(world):
    case = worked_case(world)
    audit.record("signed_in", summary="Business admin signed in", actor=world.business_admin)
    audit.record("signed_in", summary="Caseworker signed in", actor=world.caseworker)
    audit.record("status_changed", case=case, summary="Agency moved it", actor=world.caseworker)
    audit.record(
        "contact_logged",
        case=case,
        summary="Internal agency note",
        internal=True,
        actor=world.caseworker,
    )
    audit.record("signed_in", summary="Other business signed in", actor=world.other_business_admin)
    audit.record("signed_in", summary="Other agency signed in", actor=world.other_agency_admin)
    other_case = factories.case(world.other_business, world.other_agency, status=case.status)
    audit.record(
        "status_changed", case=other_case, summary="Elsewhere", actor=world.other_agency_admin
    )
    db.session.commit()
    return case


def test_the_business_admin_sees_its_own_and_its_cases_events_but_no_internal_ones(
    client, auth, world
):
    _setting(world)
    auth.login(world.business_admin)
    page = _text(client.get("/privacy/audit"))
    assert "Business admin signed in" in page and "Agency moved it" in page
    for hidden in (
        "Internal agency note",
        "Caseworker signed in",
        "Other business signed in",
        "Other agency signed in",
        "Elsewhere",
    ):
        assert hidden not in page


def test_the_agency_admin_sees_its_people_and_its_cases_but_not_the_clients_own_trail(
    client, auth, world
):
    _setting(world)
    auth.login(world.agency_admin)
    page = _text(client.get("/privacy/audit"))
    for shown in ("Caseworker signed in", "Agency moved it", "Internal agency note"):
        assert shown in page
    for hidden in ("Business admin signed in", "Other agency signed in", "Elsewhere"):
        assert hidden not in page


def test_the_audit_view_filters_by_kind(client, auth, world):
    _setting(world)
    auth.login(world.agency_admin)
    page = _text(client.get("/privacy/audit?kind=status_changed"))
    assert "Agency moved it" in page and "Caseworker signed in" not in page


def test_the_audit_view_filters_by_person(client, auth, world):
    _setting(world)
    audit.record("signed_in", summary="Admin signed in", actor=world.agency_admin)
    db.session.commit()
    auth.login(world.agency_admin)
    page = _text(client.get(f"/privacy/audit?person={world.agency_admin.id}"))
    assert "Admin signed in" in page and "Caseworker signed in" not in page


def test_the_audit_view_filters_by_case_reference(client, auth, world):
    case = _setting(world)
    auth.login(world.business_admin)
    page = _text(client.get(f"/privacy/audit?reference={case.reference.lower()}"))
    assert "Agency moved it" in page and "Business admin signed in" not in page


def test_the_audit_view_filters_by_date_range_in_the_viewers_zone(client, auth, world):
    for day in (1, 10, 20):
        _at(day, world.business_admin, f"On day {day}")
    db.session.commit()
    auth.login(world.business_admin)
    page = _text(client.get("/privacy/audit?date_from=2026-03-05&date_to=2026-03-10"))
    assert "On day 10" in page
    assert "On day 1<" not in page and "On day 20" not in page


def test_an_end_date_before_the_start_is_shown_beside_the_field(client, auth, world):
    auth.login(world.business_admin)
    response = client.get("/privacy/audit?date_from=2026-03-10&date_to=2026-03-01")
    assert response.status_code == 200
    assert "The end date is before the start date." in _text(response)


def test_an_unknown_person_or_kind_is_an_error_not_a_crash(client, auth, world):
    auth.login(world.business_admin)
    response = client.get("/privacy/audit?person=99999&kind=%3Cscript%3E&date_from=nonsense")
    assert response.status_code == 200
    assert "Not a valid choice" in _text(response)


def test_the_audit_view_is_paginated_newest_first(client, auth, world):
    for i in range(PAGE_SIZE + 5):
        _at(1 + i % 28, world.business_admin, f"Numbered event {i:03d}", kind="numbered")
    db.session.commit()
    auth.login(world.business_admin)
    first = _text(client.get("/privacy/audit?kind=numbered"))
    assert f"{PAGE_SIZE + 5} events" in first and "Page 1 of 2" in first
    second = _text(client.get("/privacy/audit?kind=numbered&page=2"))
    assert second.count("Numbered event") == 5
    assert "kind=numbered" in first  # the next-page link keeps the filter


def test_the_audit_view_names_kinds_and_dates_as_the_timeline_does(client, auth, world):
    summary = "Statement NR-ST-0001 issued to Acacia for 2026-09-01 to 2026-09-30"
    _at(2, world.business_admin, summary, kind="statement_issued")
    db.session.commit()
    auth.login(world.business_admin)
    page = _text(client.get("/privacy/audit"))
    assert "Remittance statement issued" in page  # the timeline's label, also in the filter
    assert "issued to Acacia for 1 Sep 2026 to 30 Sep 2026" in page
    assert "2026-09-01" not in page
    stored = select(Event.summary).where(Event.kind == "statement_issued")
    assert db.session.scalars(stored).one() == summary  # stored as written
