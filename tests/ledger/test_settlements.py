"""Settlements for less than the balance: the floor, the business's decision, closing as settled."""

import pytest
from sqlalchemy import select

from portal.errors import DomainError
from portal.extensions import db
from portal.ledger import services
from portal.ledger.services import PaymentData
from portal.models import (
    ArrangementStatus,
    CaseStatus,
    CloseCode,
    Notification,
    PaidTo,
)
from tests.ledger.helpers import TODAY, accepted


def _offer(world, case, amount):
    settlement = services.offer_settlement(case, world.caseworker, amount, "")
    db.session.commit()
    return settlement


def _pay(world, case, amount):
    data = PaymentData(amount, TODAY, "cash", "", PaidTo.AGENCY, f"s{amount}")
    services.record_payment(case, world.caseworker, data, TODAY)
    db.session.commit()


def test_a_settlement_at_the_floor_is_accepted_by_the_caseworker(world):
    world.agreement.settlement_floor_bps = 8000
    case = accepted(world, amount_minor=1_000_00)
    settlement = _offer(world, case, 800_00)
    assert settlement.status == ArrangementStatus.ACTIVE
    assert settlement.decided_by_id == world.caseworker.id


def test_a_settlement_below_the_floor_waits_for_the_business(world):
    world.agreement.settlement_floor_bps = 8000
    case = accepted(world, amount_minor=1_000_00)
    settlement = _offer(world, case, 799_99)
    assert settlement.status == ArrangementStatus.AWAITING_APPROVAL
    told = db.session.scalars(
        select(Notification.user_id).where(Notification.kind == "settlement_approval_needed")
    ).all()
    assert told == [world.business_admin.id]  # admins decide, not members


def test_the_floor_is_rounded_up_so_it_is_never_undercut(world):
    world.agreement.settlement_floor_bps = 8000
    case = accepted(world, amount_minor=1_01)  # 80 % of 1.01 is 0.808
    assert services.floor_amount(case, 1_01) == 81
    assert _offer(world, case, 80).status == ArrangementStatus.AWAITING_APPROVAL


def test_a_settlement_is_for_less_than_the_balance(world):
    case = accepted(world, amount_minor=1_000_00)
    with pytest.raises(DomainError) as refused:
        services.offer_settlement(case, world.caseworker, 1_000_00, "")
    assert refused.value.field == "amount"


def test_a_business_admin_approves_a_settlement_in_the_portal(client, auth, world):
    case = accepted(world, amount_minor=1_000_00)
    settlement = _offer(world, case, 500_00)
    auth.login(world.business_admin)
    page = client.get(f"/cases/{case.id}").data.decode()
    assert "Approve KES" in page and "Decline" in page
    response = client.post(f"/cases/{case.id}/settlement/{settlement.id}/approve")
    assert response.status_code == 302
    db.session.refresh(settlement)
    assert settlement.status == ArrangementStatus.ACTIVE
    assert settlement.decided_by_id == world.business_admin.id
    told = db.session.scalars(
        select(Notification.user_id).where(Notification.kind == "settlement_approved")
    )
    assert world.caseworker.id in set(told)


def test_a_business_admin_declines_a_settlement_with_a_note(client, auth, world):
    case = accepted(world, amount_minor=1_000_00)
    settlement = _offer(world, case, 500_00)
    auth.login(world.business_admin)
    client.post(
        f"/cases/{case.id}/settlement/{settlement.id}/decline",
        data={"decide-note": "Too low", "decide-confirm": "y"},
    )
    db.session.refresh(settlement)
    assert settlement.status == ArrangementStatus.DECLINED and "Too low" in settlement.note


def test_a_business_member_cannot_decide_and_sees_who_does(client, auth, world):
    case = accepted(world, amount_minor=1_000_00)
    settlement = _offer(world, case, 500_00)
    auth.login(world.business_member)
    assert "administrator approves" in client.get(f"/cases/{case.id}").data.decode()
    response = client.post(f"/cases/{case.id}/settlement/{settlement.id}/approve")
    assert response.status_code == 403


def test_a_decided_settlement_cannot_be_decided_again(client, auth, world):
    case = accepted(world, amount_minor=1_000_00)
    settlement = _offer(world, case, 500_00)
    auth.login(world.business_admin)
    client.post(f"/cases/{case.id}/settlement/{settlement.id}/approve")
    again = client.post(
        f"/cases/{case.id}/settlement/{settlement.id}/decline", data={"decide-confirm": "y"}
    )
    assert again.status_code == 422
    assert "no longer waiting" in again.data.decode()


def test_paying_an_accepted_settlement_closes_the_case_as_settled(world):
    case = accepted(world, amount_minor=1_000_00)
    settlement = _offer(world, case, 850_00)
    _pay(world, case, 500_00)
    assert case.status == CaseStatus.IN_COLLECTION
    _pay(world, case, 350_00)
    assert (case.status, case.close_code) == (CaseStatus.CLOSED, CloseCode.SETTLED)
    assert settlement.status == ArrangementStatus.COMPLETED
    assert services.figures(case).recovered == 850_00


def test_a_settlement_waiting_for_approval_does_not_close_the_case(world):
    case = accepted(world, amount_minor=1_000_00)
    _offer(world, case, 500_00)
    _pay(world, case, 500_00)
    assert case.status == CaseStatus.IN_COLLECTION


def test_declining_a_settlement_needs_the_confirmation_box_ticked(client, auth, world):
    case = accepted(world, amount_minor=1_000_00)
    settlement = _offer(world, case, 500_00)
    auth.login(world.business_admin)
    response = client.post(
        f"/cases/{case.id}/settlement/{settlement.id}/decline", data={"decide-note": "Too low"}
    )
    assert response.status_code == 422
    assert 'id="decide-confirm-error"' in response.data.decode()
    db.session.refresh(settlement)
    assert settlement.status == ArrangementStatus.AWAITING_APPROVAL
