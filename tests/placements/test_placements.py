"""The agency answers placements: accept and assign at the agreed rate, reject, or ask."""

from datetime import timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import CaseStatus, CloseCode, Message, Notification, utcnow
from portal.placements import services
from tests import factories


def _placed(world, amount_minor=45_000_00, age_days=30, **fields):
    case = factories.case(
        world.business,
        world.agency,
        status=CaseStatus.SUBMITTED,
        amount_minor=amount_minor,
        agreement_id=world.agreement.id,
        debt_age_days_at_placement=age_days,
        answer_due_at=fields.pop("answer_due_at", utcnow() + timedelta(days=5)),
        **fields,
    )
    db.session.commit()
    return case


def test_the_queue_shows_waiting_placements_late_ones_first(client, auth, world):
    on_time = _placed(world)
    late = _placed(world, answer_due_at=utcnow() - timedelta(days=1))
    factories.case(world.business, world.agency, status=CaseStatus.ACCEPTED)
    db.session.commit()
    assert [c.id for c, _ in services.queue(world.agency_admin)] == [late.id, on_time.id]
    auth.login(world.agency_admin)
    page = client.get("/placements/").data.decode()
    assert page.index(late.reference) < page.index(on_time.reference)
    assert "Late" in page


def test_another_agency_does_not_see_the_placement(world):
    _placed(world)
    assert services.queue(world.other_agency_admin) == []


def test_accepting_fixes_the_rate_from_the_schedule_and_assigns_the_caseworker(client, auth, world):
    case = _placed(world, amount_minor=150_000_00, age_days=400)  # band 20 % + 10 points
    auth.login(world.agency_admin)
    response = client.post(
        f"/placements/{case.id}/accept", data={"caseworker_id": world.caseworker.id}
    )
    assert response.status_code == 302
    db.session.refresh(case)
    assert case.status == CaseStatus.ACCEPTED
    assert case.fee_rate_bps == 3000
    assert "band from" in case.fee_rate_explanation and "+10" in case.fee_rate_explanation
    assert case.assigned_to_id == world.caseworker.id
    assert case.exclusivity_until is not None


def test_the_rate_fixed_at_acceptance_does_not_follow_later_schedule_changes(world):
    case = _placed(world)
    services.accept(case, world.agency_admin, world.caseworker.id)
    world.agreement.bands[0].rate_bps = 1000
    db.session.commit()
    db.session.refresh(case)
    assert case.fee_rate_bps == 3000


def test_the_review_page_shows_the_rate_and_how_it_was_found(client, auth, world):
    case = _placed(world)
    auth.login(world.agency_admin)
    page = client.get(f"/placements/{case.id}").data.decode()
    assert "30 %" in page and "falls in the band from" in page


def test_accepting_needs_a_caseworker_of_the_agency(client, auth, world):
    case = _placed(world)
    auth.login(world.agency_admin)
    response = client.post(
        f"/placements/{case.id}/accept", data={"caseworker_id": world.other_agency_admin.id}
    )
    assert response.status_code == 200 and b"Not a valid choice" in response.data
    db.session.refresh(case)
    assert case.status == CaseStatus.SUBMITTED


def test_the_business_is_told_when_its_case_is_accepted(world):
    case = _placed(world)
    services.accept(case, world.agency_admin, world.caseworker.id)
    kinds = db.session.scalars(
        select(Notification.kind).where(Notification.user_id == world.business_admin.id)
    ).all()
    assert "placement_accepted" in kinds


def test_rejecting_needs_a_reason_and_closes_the_case_as_rejected(client, auth, world):
    case = _placed(world)
    auth.login(world.agency_admin)
    missing = client.post(f"/placements/{case.id}/reject", data={"reason": "", "note": ""})
    assert b"Choose a reason." in missing.data
    other = client.post(
        f"/placements/{case.id}/reject", data={"reason": "other", "note": " ", "confirm": "y"}
    )
    assert b"Explain the reason." in other.data
    client.post(
        f"/placements/{case.id}/reject",
        data={"reason": "statute_barred", "note": "Six years past", "confirm": "y"},
    )
    db.session.refresh(case)
    assert (case.status, case.close_code, case.rejection_reason) == (
        CaseStatus.CLOSED,
        CloseCode.REJECTED,
        "statute_barred",
    )


def test_asking_for_information_waits_for_the_business(client, auth, world):
    case = _placed(world)
    auth.login(world.agency_admin)
    client.post(f"/placements/{case.id}/ask", data={"question": "Signed delivery note?"})
    db.session.refresh(case)
    assert case.status == CaseStatus.INFO_REQUESTED
    question = db.session.scalars(select(Message).where(Message.case_id == case.id)).one()
    assert question.body == "Signed delivery note?"
    refused = client.post(
        f"/placements/{case.id}/accept", data={"caseworker_id": world.caseworker.id}
    )
    assert b"has not answered your question yet" in refused.data


def test_an_answered_placement_cannot_be_answered_again(client, auth, world):
    case = _placed(world)
    services.accept(case, world.agency_admin, world.caseworker.id)
    db.session.commit()
    auth.login(world.agency_admin)
    response = client.post(
        f"/placements/{case.id}/reject", data={"reason": "disputed", "note": "", "confirm": "y"}
    )
    assert b"Only a placement waiting for an answer can be rejected." in response.data


def test_a_caseworker_sees_only_cases_assigned_to_them(client, auth, world):
    case = _placed(world)
    services.accept(case, world.agency_admin, world.caseworker.id)
    db.session.commit()
    from portal.models import Case
    from portal.tenancy import owned

    assert db.session.scalars(owned(Case, world.caseworker)).all() == [case]
    assert db.session.scalars(owned(Case, world.other_caseworker)).all() == []


def test_rejecting_a_placement_needs_the_confirmation_box_ticked(client, auth, world):
    case = _placed(world)
    auth.login(world.agency_admin)
    assert b'name="confirm"' in client.get(f"/placements/{case.id}").data
    refused = client.post(
        f"/placements/{case.id}/reject", data={"reason": "statute_barred", "note": "Too old"}
    )
    assert b'id="confirm-error"' in refused.data and b"Too old" in refused.data
    db.session.refresh(case)
    assert case.status == CaseStatus.SUBMITTED
