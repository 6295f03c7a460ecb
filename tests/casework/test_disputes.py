"""A debtor's dispute: on hold, contact blocked, the business told; the business resolves it."""

from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    CaseStatus,
    CloseCode,
    Dispute,
    Event,
    Notification,
)
from tests.casework.helpers import NAIROBI, at, contact_form, freeze, worked_case


def notes_for(user):
    return db.session.scalars(select(Notification).where(Notification.user_id == user.id)).all()


def raise_it(client, case, reason="The goods were returned in May"):
    return client.post(f"/cases/{case.id}/dispute", data={"reason": reason})


def test_dispute_puts_on_hold_blocks_contact_and_notifies_the_business(
    client, auth, world, monkeypatch
):
    case = worked_case(world)
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 0))
    auth.login(world.caseworker)
    assert raise_it(client, case).status_code == 302
    assert case.status == CaseStatus.ON_HOLD
    dispute = db.session.scalars(select(Dispute)).one()
    assert dispute.status_before == "in_collection" and dispute.resolution is None
    assert any(n.kind == "dispute_raised" for n in notes_for(world.business_admin))
    assert any(n.kind == "dispute_raised" for n in notes_for(world.business_member))
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Do not call" in page and "on hold for a dispute" in page
    # Contact logged while on hold breaks the rules: an override is required.
    response = client.post(f"/cases/{case.id}/contacts", data=contact_form())
    assert response.status_code == 422
    assert 'id="contact-override_reason-error"' in response.get_data(as_text=True)
    assert db.session.scalars(select(Event).where(Event.kind == "dispute_raised")).one()


def test_dispute_raised_outcome_in_the_log_puts_the_case_on_hold(client, auth, world, monkeypatch):
    case = worked_case(world)
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 30))
    auth.login(world.caseworker)
    response = client.post(
        f"/cases/{case.id}/contacts",
        data=contact_form(
            party_reached="debtor", outcome="dispute_raised", notes="Says invoice 4 was paid"
        ),
    )
    assert response.status_code == 302
    assert case.status == CaseStatus.ON_HOLD
    assert db.session.scalars(select(Dispute)).one().reason == "Says invoice 4 was paid"


def test_dispute_needs_a_reason_and_cannot_be_raised_twice(client, auth, world, monkeypatch):
    case = worked_case(world)
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 0))
    auth.login(world.caseworker)
    response = raise_it(client, case, reason="  ")
    assert response.status_code == 422
    assert 'id="reason-error"' in response.get_data(as_text=True)
    raise_it(client, case)
    response = raise_it(client, case, reason="Again")
    assert response.status_code == 422
    assert len(db.session.scalars(select(Dispute)).all()) == 1


def test_dispute_refused_on_a_case_not_being_worked(client, auth, world, monkeypatch):
    case = worked_case(world, status=CaseStatus.CLOSED, close_code="returned")
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 0))
    auth.login(world.caseworker)
    response = raise_it(client, case)
    assert response.status_code == 422
    assert "this one is closed" in response.get_data(as_text=True)


def resolve(client, case, resolution, note="Checked our records"):
    return client.post(
        f"/cases/{case.id}/dispute/resolve", data={"resolution": resolution, "note": note}
    )


def test_business_rejects_the_dispute_and_the_case_returns_to_collection(
    client, auth, world, monkeypatch
):
    case = worked_case(world)
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 0))
    auth.login(world.caseworker)
    raise_it(client, case)
    auth.logout()
    auth.login(world.business_member)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Resolve the dispute" in page
    assert resolve(client, case, "rejected", "Delivery note signed").status_code == 302
    assert case.status == CaseStatus.IN_COLLECTION
    dispute = db.session.scalars(select(Dispute)).one()
    assert (dispute.resolution, dispute.resolution_note) == ("rejected", "Delivery note signed")
    assert dispute.resolved_by_id == world.business_member.id
    assert any(n.kind == "dispute_resolved" for n in notes_for(world.caseworker))
    auth.logout()
    auth.login(world.caseworker)
    assert "You may call" in client.get(f"/cases/{case.id}").get_data(as_text=True)


def test_business_upholds_the_dispute_and_the_case_is_returned_closed(
    client, auth, world, monkeypatch
):
    case = worked_case(world)
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 0))
    auth.login(world.caseworker)
    raise_it(client, case)
    auth.logout()
    auth.login(world.business_admin)
    assert resolve(client, case, "upheld", "We credited the invoice").status_code == 302
    assert (case.status, case.close_code) == (CaseStatus.CLOSED, CloseCode.RETURNED)


def test_resolving_needs_a_decision_and_a_note_and_an_open_dispute(
    client, auth, world, monkeypatch
):
    case = worked_case(world)
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 0))
    auth.login(world.business_admin)
    response = resolve(client, case, "rejected")
    assert response.status_code == 422
    assert "no open dispute" in response.get_data(as_text=True)
    auth.logout()
    auth.login(world.caseworker)
    raise_it(client, case)
    auth.logout()
    auth.login(world.business_admin)
    response = resolve(client, case, "", note="")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="resolution-error"' in html and 'id="note-error"' in html
    assert case.status == CaseStatus.ON_HOLD


def test_rejected_dispute_returns_a_case_in_legal_to_legal(client, auth, world, monkeypatch):
    case = worked_case(world, status=CaseStatus.IN_LEGAL)
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 0))
    auth.login(world.caseworker)
    raise_it(client, case)
    auth.logout()
    auth.login(world.business_admin)
    resolve(client, case, "rejected")
    assert case.status == CaseStatus.IN_LEGAL
