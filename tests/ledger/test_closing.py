"""Closing: paid in full by itself; other outcomes by an agency admin; withdrawal; reopening."""

import pytest
from sqlalchemy import select

from portal.errors import DomainError
from portal.extensions import db
from portal.ledger import services
from portal.models import (
    ArrangementStatus,
    CaseStatus,
    CloseCode,
    Event,
    Frequency,
    Notification,
)
from tests.ledger.helpers import TODAY, accepted


def test_an_agency_admin_closes_a_case_as_uncollectable_with_its_reason(client, auth, world):
    case = accepted(world)
    auth.login(world.agency_admin)
    response = client.post(
        f"/cases/{case.id}/close",
        data={"close-outcome": "insolvent", "close-reason": "Wound up", "close-confirm": "y"},
    )
    assert response.status_code == 302
    db.session.refresh(case)
    assert (case.status, case.close_code) == (CaseStatus.CLOSED, CloseCode.INSOLVENT)
    event = db.session.scalars(select(Event).where(Event.kind == "status_changed")).all()[-1]
    assert "insolvent" in event.summary and "Wound up" in event.summary
    assert db.session.scalars(
        select(Notification).where(Notification.user_id == world.business_admin.id)
    ).first()


def test_closing_needs_an_outcome_and_a_reason_beside_the_fields(client, auth, world):
    case = accepted(world)
    auth.login(world.agency_admin)
    response = client.post(f"/cases/{case.id}/close", data={"close-outcome": "paid_in_full"})
    page = response.data.decode()
    assert response.status_code == 422
    assert 'id="close-outcome-error"' in page and 'id="close-reason-error"' in page


def test_a_caseworker_cannot_close_a_case(client, auth, world):
    case = accepted(world)
    auth.login(world.caseworker)
    response = client.post(
        f"/cases/{case.id}/close", data={"close-outcome": "returned", "close-reason": "x"}
    )
    assert response.status_code == 403
    with pytest.raises(DomainError):
        services.close_case(case, world.caseworker, CloseCode.RETURNED, "x")


def test_closing_ends_an_open_plan(world):
    case = accepted(world)
    plan = services.create_plan(
        case, world.caseworker, services.PlanData(100_00, 2, Frequency.WEEKLY, TODAY), TODAY
    )
    services.close_case(case, world.agency_admin, CloseCode.UNTRACEABLE, "Moved away")
    assert plan.status == ArrangementStatus.CANCELLED and case.status == CaseStatus.CLOSED


def test_an_agency_admin_sends_a_case_to_legal_and_back(client, auth, world):
    case = accepted(world)
    auth.login(world.agency_admin)
    client.post(f"/cases/{case.id}/stage", data={"stage-stage": "in_legal", "stage-note": "Suing"})
    db.session.refresh(case)
    assert case.status == CaseStatus.IN_LEGAL
    client.post(f"/cases/{case.id}/stage", data={"stage-stage": "in_collection"})
    db.session.refresh(case)
    assert case.status == CaseStatus.IN_COLLECTION


def test_a_disputed_case_does_not_go_back_to_collection_through_the_stage_form(world):
    case = accepted(world, status=CaseStatus.ON_HOLD)
    with pytest.raises(DomainError, match="dispute"):
        services.change_stage(case, world.agency_admin, CaseStatus.IN_COLLECTION, "")


def test_only_an_agency_admin_reopens_a_closed_case_with_a_reason(client, auth, world):
    case = accepted(world)
    services.close_case(case, world.agency_admin, CloseCode.RETURNED, "Client asked")
    db.session.commit()
    with pytest.raises(DomainError, match="Only an admin"):
        services.reopen_case(case, world.caseworker, "Found assets")
    db.session.rollback()
    auth.login(world.caseworker)
    assert client.post(f"/cases/{case.id}/reopen", data={"reopen-reason": "x"}).status_code == 403
    auth.logout()
    auth.login(world.agency_admin)
    empty = client.post(f"/cases/{case.id}/reopen", data={"reopen-reason": ""})
    assert empty.status_code == 422 and 'id="reopen-reason-error"' in empty.data.decode()
    done = client.post(f"/cases/{case.id}/reopen", data={"reopen-reason": "Found assets"})
    assert done.status_code == 302
    db.session.refresh(case)
    assert (case.status, case.close_code) == (CaseStatus.IN_COLLECTION, None)


def test_a_paid_in_full_case_can_be_reopened_to_reverse_a_bounced_payment(world):
    case = accepted(world, amount_minor=100_00)
    data = services.PaymentData(100_00, TODAY, "cheque", "", services.PaidTo.AGENCY, "c")
    paid, _ = services.record_payment(case, world.caseworker, data, TODAY)
    assert case.close_code == CloseCode.PAID_IN_FULL
    with pytest.raises(DomainError, match="reopen"):
        services.reverse_payment(case, world.caseworker, paid, "bounced", TODAY)
    services.reopen_case(case, world.agency_admin, "Cheque bounced")
    services.reverse_payment(case, world.caseworker, paid, "bounced", TODAY)
    assert services.balance_of(case) == 100_00


def test_the_business_withdraws_a_case_in_collection(client, auth, world):
    case = accepted(world)
    auth.login(world.business_member)
    page = client.get(f"/cases/{case.id}").data.decode()
    assert "Withdraw this case" in page
    response = client.post(
        f"/cases/{case.id}/withdraw-accepted",
        data={"withdraw-reason": "Debtor paid us", "withdraw-confirm": "y"},
    )
    assert response.status_code == 302
    db.session.refresh(case)
    assert (case.status, case.close_code) == (CaseStatus.CLOSED, CloseCode.WITHDRAWN)
    told = db.session.scalars(
        select(Notification.user_id).where(Notification.kind == "case_withdrawn")
    )
    assert {world.agency_admin.id, world.caseworker.id} <= set(told)


def test_a_case_in_legal_cannot_be_withdrawn_by_the_business(client, auth, world):
    case = accepted(world, status=CaseStatus.IN_LEGAL)
    with pytest.raises(DomainError, match="legal"):
        services.withdraw_case(case, world.business_admin, "x")


def test_a_withdrawal_needs_a_reason(client, auth, world):
    case = accepted(world)
    auth.login(world.business_admin)
    response = client.post(f"/cases/{case.id}/withdraw-accepted", data={})
    assert response.status_code == 422
    assert 'id="withdraw-reason-error"' in response.data.decode()


@pytest.mark.parametrize(
    ("who", "url", "data", "error_id"),
    [
        ("agency_admin", "close", {"close-outcome": "insolvent", "close-reason": "x"}, "close"),
        ("business_admin", "withdraw-accepted", {"withdraw-reason": "Paid us"}, "withdraw"),
    ],
)
def test_closing_or_withdrawing_a_case_needs_the_confirmation_box_ticked(
    client, auth, world, who, url, data, error_id
):
    case = accepted(world)
    auth.login(getattr(world, who))
    response = client.post(f"/cases/{case.id}/{url}", data=data)
    assert response.status_code == 422
    assert f'id="{error_id}-confirm-error"' in response.data.decode()
    db.session.refresh(case)
    assert case.status == CaseStatus.IN_COLLECTION
