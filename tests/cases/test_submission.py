"""The checklist and submission, withdrawal before acceptance, and answering the agency."""

from sqlalchemy import select

from portal.cases import services
from portal.extensions import db
from portal.models import (
    AgreementStatus,
    CaseStatus,
    CloseCode,
    Message,
    MessageKind,
    Notification,
    OrgKind,
    Role,
)
from tests import factories
from tests.cases.helpers import case_form, only_case, placed, ready_draft

CONFIRMED = {"delete-confirm": "y"}


def _notes(user, kind: str) -> list[Notification]:
    stmt = select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
    return list(db.session.scalars(stmt))


def test_submission_is_refused_until_the_checklist_is_complete(client, auth, world):
    case = ready_draft(world)
    case.checklist = {**case.checklist, "reminder_sent": False}
    db.session.commit()
    auth.login(world.business_member)
    page = client.get(f"/cases/{case.id}").data.decode()
    assert "Confirm every item of the checklist before handing over (1 of 5 not yet)." in page
    response = client.post(f"/cases/{case.id}/submit", data={"agreement_id": world.agreement.id})
    assert response.status_code == 200
    assert "Confirm every item of the checklist" in response.data.decode()
    db.session.refresh(case)
    assert case.status == CaseStatus.DRAFT and case.reference is None


def test_submission_is_refused_without_a_history_entry(client, auth, world):
    from portal.models import CHECKLIST_ITEMS

    case = factories.case(world.business, checklist=dict.fromkeys(CHECKLIST_ITEMS, True))
    db.session.commit()
    auth.login(world.business_admin)
    response = client.post(f"/cases/{case.id}/submit", data={"agreement_id": world.agreement.id})
    assert "Record at least one contact with the debtor" in response.data.decode()
    db.session.refresh(case)
    assert case.status == CaseStatus.DRAFT


def test_only_agencies_with_an_active_agreement_are_offered(client, auth, world):
    proposed_agency = factories.organisation(OrgKind.AGENCY, "Proposed Partners")
    ended_agency = factories.organisation(OrgKind.AGENCY, "Ended Partners")
    factories.agreement(world.business, proposed_agency, AgreementStatus.PROPOSED)
    factories.agreement(world.business, ended_agency, AgreementStatus.ENDED)
    case = ready_draft(world)
    auth.login(world.business_admin)
    page = client.get(f"/cases/{case.id}").data.decode()
    assert f'<option value="{world.agreement.id}">Nairobi Recovery</option>' in page
    assert "Proposed Partners" not in page and "Ended Partners" not in page
    assert "Mombasa Credit" not in page  # an agreement of another business


def test_an_agreement_that_is_not_active_is_refused_on_submit(client, auth, world):
    agency = factories.organisation(OrgKind.AGENCY, "Proposed Partners")
    proposed = factories.agreement(world.business, agency, AgreementStatus.PROPOSED)
    other = db.session.scalars(
        select(type(world.agreement)).where(
            type(world.agreement).business_id == world.other_business.id
        )
    ).first()
    case = ready_draft(world)
    auth.login(world.business_admin)
    for agreement_id in (proposed.id, other.id, 0, "abc"):
        response = client.post(f"/cases/{case.id}/submit", data={"agreement_id": agreement_id})
        assert response.status_code == 200, agreement_id
        assert 'id="agreement_id-error"' in response.data.decode(), agreement_id
    db.session.refresh(case)
    assert case.status == CaseStatus.DRAFT


def test_an_agreement_in_another_currency_is_not_offered(client, auth, world):
    usd_agency = factories.organisation(OrgKind.AGENCY, "Dollar Collections")
    factories.agreement(world.business, usd_agency, currency="USD")
    case = ready_draft(world)
    auth.login(world.business_admin)
    page = client.get(f"/cases/{case.id}").data.decode()
    assert '">Dollar Collections</option>' not in page
    assert "Dollar Collections is not offered: your agreement with them is in USD." in page


def test_submitting_gives_a_reference_freezes_the_balance_and_tells_the_agency(client, auth, world):
    case = ready_draft(world, amount_minor=80_000_00)
    auth.login(world.business_member)
    response = client.post(f"/cases/{case.id}/submit", data={"agreement_id": world.agreement.id})
    assert response.status_code == 302
    db.session.refresh(case)
    assert case.status == CaseStatus.SUBMITTED
    assert case.reference and case.reference.startswith("ACA-")
    assert case.placement_balance_minor == 80_000_00
    assert case.agency_id == world.agency.id and case.agreement_id == world.agreement.id
    assert case.answer_due_at is not None and case.submitted_at is not None
    (note,) = _notes(world.agency_admin, "placement_received")
    assert case.reference in note.text and note.case_id == case.id
    assert _notes(world.other_agency_admin, "placement_received") == []
    # The frozen balance does not follow later changes to the invoices.
    case.invoices[0].paid_minor = 10_000_00
    db.session.commit()
    db.session.refresh(case)
    assert case.placement_balance_minor == 80_000_00


def test_references_count_up_per_business_and_year(world):
    first, second = ready_draft(world), ready_draft(world)
    services.submit(first, world.business_admin, world.agreement.id)
    services.submit(second, world.business_admin, world.agreement.id)
    year = first.submitted_at.year
    assert (first.reference, second.reference) == (f"ACA-{year}-00001", f"ACA-{year}-00002")


def test_a_submitted_case_cannot_be_submitted_again(client, auth, world):
    case = placed(world)
    auth.login(world.business_admin)
    response = client.post(
        f"/cases/{case.id}/submit",
        data={"agreement_id": world.agreement.id},
        follow_redirects=True,
    )
    assert "This case has already been submitted." in response.data.decode()
    db.session.refresh(case)
    assert case.status == CaseStatus.SUBMITTED


def test_the_agency_sees_the_checklist_with_the_case(client, auth, world):
    auth.login(world.business_member)
    client.post("/cases/new", data=case_form(), content_type="multipart/form-data")
    case = only_case(world.business)
    assert case.checklist_confirmed_by_id == world.business_member.id
    client.post(f"/cases/{case.id}/submit", data={"agreement_id": world.agreement.id})
    auth.logout()
    auth.login(world.agency_admin)
    page = client.get(f"/cases/{case.id}").data.decode()
    checklist = page[page.index('id="checklist-heading"') :]
    assert "The invoice was correct and complete." in checklist
    assert f"Confirmed by <strong>{world.business_member.name}</strong>" in checklist


def test_unticking_an_item_withdraws_the_checklist_confirmation(client, auth, world):
    auth.login(world.business_admin)
    client.post("/cases/new", data=case_form(), content_type="multipart/form-data")
    case = only_case(world.business)
    data = case_form(with_history=False)
    del data["checklist-reminder_sent"]
    client.post(f"/cases/{case.id}/edit", data=data, content_type="multipart/form-data")
    db.session.refresh(case)
    assert case.checklist["reminder_sent"] is False
    assert case.checklist_confirmed_at is None


def test_the_business_withdraws_a_case_before_acceptance_and_the_agency_is_told(
    client, auth, world
):
    case = placed(world)
    auth.login(world.business_admin)
    missing = client.post(f"/cases/{case.id}/withdraw", data={"reason": "  "})
    assert "Say why the case is withdrawn." in missing.data.decode()
    response = client.post(
        f"/cases/{case.id}/withdraw", data={"reason": "The debtor paid us", "confirm": "y"}
    )
    assert response.status_code == 302
    db.session.refresh(case)
    assert (case.status, case.close_code) == (CaseStatus.CLOSED, CloseCode.WITHDRAWN)
    (note,) = _notes(world.agency_admin, "case_withdrawn")
    assert case.reference in note.text
    page = client.get(f"/cases/{case.id}").data.decode()
    assert "The debtor paid us" in page  # on the timeline


def test_an_accepted_case_cannot_be_withdrawn(client, auth, world):
    case = placed(world, status=CaseStatus.ACCEPTED)
    auth.login(world.business_admin)
    response = client.post(
        f"/cases/{case.id}/withdraw", data={"reason": "Changed our mind", "confirm": "y"}
    )
    assert "Only a case the agency has not accepted yet can be withdrawn." in response.data.decode()
    db.session.refresh(case)
    assert case.status == CaseStatus.ACCEPTED


def test_answering_returns_the_case_to_submitted_and_both_stay_on_the_timeline(client, auth, world):
    case = placed(world)
    services.request_information(case, world.agency_admin, "Do you have the signed delivery note?")
    db.session.commit()
    auth.login(world.business_member)
    page = client.get(f"/cases/{case.id}").data.decode()
    assert "Do you have the signed delivery note?" in page and "Send the answer" in page
    empty = client.post(f"/cases/{case.id}/answer", data={"answer": ""})
    assert "Write your answer." in empty.data.decode()
    response = client.post(f"/cases/{case.id}/answer", data={"answer": "Yes, attached today."})
    assert response.status_code == 302
    db.session.refresh(case)
    assert case.status == CaseStatus.SUBMITTED
    kinds = db.session.scalars(
        select(Message.kind).where(Message.case_id == case.id).order_by(Message.id)
    ).all()
    assert kinds == [MessageKind.QUESTION, MessageKind.ANSWER]
    assert _notes(world.agency_admin, "information_given")
    page = client.get(f"/cases/{case.id}").data.decode()
    timeline = page[page.index('id="timeline-heading"') :]
    assert "The agency asked a question" in timeline and "The business answered" in timeline
    # The words are in the messages on the page; the audit trail keeps no copy of them.
    assert "Do you have the signed delivery note?" in page and "Yes, attached today." in page


def test_an_answer_without_a_question_is_refused(client, auth, world):
    case = placed(world)
    auth.login(world.business_admin)
    response = client.post(f"/cases/{case.id}/answer", data={"answer": "Unasked"})
    assert "The agency has not asked anything on this case." in response.data.decode()
    assert db.session.scalars(select(Message)).all() == []


def test_history_can_be_added_after_handover_but_not_in_the_future(client, auth, world):
    case = placed(world)
    auth.login(world.business_admin)
    data = {
        "occurred_at": "2099-01-01T10:00",
        "channel": "email",
        "direction": "inbound",
        "summary": "They wrote back",
    }
    refused = client.post(f"/cases/{case.id}/history", data=data)
    assert refused.status_code == 200 and "This is in the future" in refused.data.decode()
    data["occurred_at"] = "2026-01-05T10:00"
    assert client.post(f"/cases/{case.id}/history", data=data).status_code == 302
    assert services.history_count(case) == 1


def test_a_draft_can_be_deleted_but_a_submitted_case_cannot(client, auth, world):
    draft, submitted = ready_draft(world), placed(world)
    auth.login(world.business_admin)
    assert client.post(f"/cases/{draft.id}/delete", data=CONFIRMED).status_code == 302
    assert client.get(f"/cases/{draft.id}").status_code == 404
    client.post(f"/cases/{submitted.id}/delete", data=CONFIRMED)
    assert client.get(f"/cases/{submitted.id}").status_code == 200


def test_an_agency_user_cannot_use_the_business_actions(client, auth, world):
    case = placed(world)
    auth.login(world.agency_admin)
    assert client.post(f"/cases/{case.id}/withdraw", data={"reason": "x"}).status_code == 403
    assert world.agency_admin.role == Role.AGENCY_ADMIN


def test_deleting_a_draft_needs_the_confirmation_box_ticked(client, auth, world):
    draft = ready_draft(world)
    auth.login(world.business_admin)
    page = client.get(f"/cases/{draft.id}").data.decode()
    assert 'name="delete-confirm"' in page
    refused = client.post(f"/cases/{draft.id}/delete", data={})
    assert refused.status_code == 422
    assert 'id="delete-confirm-error"' in refused.data.decode()
    assert client.get(f"/cases/{draft.id}").status_code == 200


def test_withdrawing_a_placed_case_needs_the_confirmation_box_ticked(client, auth, world):
    case = placed(world)
    auth.login(world.business_admin)
    refused = client.post(f"/cases/{case.id}/withdraw", data={"reason": "The debtor paid us"})
    assert 'id="confirm-error"' in refused.data.decode()
    assert "The debtor paid us" in refused.data.decode()  # what was typed is kept
    db.session.refresh(case)
    assert case.status == CaseStatus.SUBMITTED
