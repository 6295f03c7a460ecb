"""Instalment plans: the schedule, paying in order, late and missed, breaking after grace days."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.errors import DomainError
from portal.extensions import db
from portal.ledger import services
from portal.ledger.services import PaymentData, PlanData
from portal.models import (
    Arrangement,
    ArrangementStatus,
    CaseStatus,
    Event,
    Frequency,
    InstalmentStatus,
    Notification,
    PaidTo,
)
from tests.ledger.helpers import TODAY, accepted

FIRST = date(2026, 10, 1)


def _plan(world, case, total=1_000_00, count=3, frequency=Frequency.MONTHLY, first=FIRST):
    plan = services.create_plan(
        case, world.caseworker, PlanData(total, count, frequency, first), TODAY
    )
    db.session.commit()
    return plan


def _pay(world, case, amount, on=TODAY, today=TODAY):
    data = PaymentData(amount, on, "mpesa", "", PaidTo.AGENCY, f"t{amount}{on}{today}")
    services.record_payment(case, world.caseworker, data, today)
    db.session.commit()


def test_a_plan_schedule_sums_exactly_to_the_total_with_the_remainder_on_the_last():
    rows = services.schedule(1_000_00, 3, Frequency.MONTHLY, FIRST)
    assert [amount for _, amount in rows] == [333_33, 333_33, 333_34]
    assert sum(amount for _, amount in rows) == 1_000_00
    for total in (1, 7, 99_99, 123_456_79):
        for count in range(1, min(total, 13) + 1):
            assert (
                sum(a for _, a in services.schedule(total, count, Frequency.WEEKLY, FIRST)) == total
            )


def test_a_plan_schedule_steps_weekly_fortnightly_and_monthly():
    weekly = [d for d, _ in services.schedule(300, 3, Frequency.WEEKLY, FIRST)]
    fortnightly = [d for d, _ in services.schedule(300, 3, Frequency.FORTNIGHTLY, FIRST)]
    monthly = [d for d, _ in services.schedule(300, 3, Frequency.MONTHLY, date(2026, 1, 31))]
    assert weekly == [date(2026, 10, 1), date(2026, 10, 8), date(2026, 10, 15)]
    assert fortnightly == [date(2026, 10, 1), date(2026, 10, 15), date(2026, 10, 29)]
    assert monthly == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]


def test_a_plan_cannot_have_more_instalments_than_minor_units():
    with pytest.raises(DomainError) as refused:
        services.schedule(5, 6, Frequency.WEEKLY, FIRST)
    assert refused.value.field == "count"


def test_agreeing_a_plan_puts_the_case_on_a_payment_plan(world):
    case = accepted(world)
    plan = _plan(world, case)
    assert case.status == CaseStatus.PAYMENT_PLAN
    assert [i.amount_minor for i in plan.instalments] == [333_33, 333_33, 333_34]
    assert db.session.scalars(select(Event.kind).where(Event.case_id == case.id)).all()[-1] == (
        "plan_created"
    )


def test_a_plan_above_the_balance_or_starting_in_the_past_is_refused(world):
    case = accepted(world, amount_minor=500_00)
    with pytest.raises(DomainError) as over:
        services.create_plan(
            case, world.caseworker, PlanData(500_01, 2, Frequency.WEEKLY, FIRST), TODAY
        )
    assert over.value.field == "total"
    with pytest.raises(DomainError) as past:
        services.create_plan(
            case,
            world.caseworker,
            PlanData(100_00, 2, Frequency.WEEKLY, TODAY - timedelta(days=1)),
            TODAY,
        )
    assert past.value.field == "first_due_on"


def test_only_one_plan_or_settlement_at_a_time(world):
    case = accepted(world)
    _plan(world, case)
    with pytest.raises(DomainError, match="already has a plan"):
        services.offer_settlement(case, world.caseworker, 1_000_00, "")


def test_payments_are_allocated_to_instalments_in_order(world):
    case = accepted(world)
    plan = _plan(world, case)
    _pay(world, case, 500_00)
    assert [(i.paid_minor, i.status) for i in plan.instalments] == [
        (333_33, InstalmentStatus.PAID),
        (166_67, InstalmentStatus.DUE),
        (0, InstalmentStatus.DUE),
    ]


def test_paying_every_instalment_completes_the_plan_and_the_case_returns_to_collection(world):
    case = accepted(world, amount_minor=5_000_00)
    plan = _plan(world, case)
    _pay(world, case, 1_000_00)
    assert plan.status == ArrangementStatus.COMPLETED
    assert case.status == CaseStatus.IN_COLLECTION


def test_a_reversed_payment_takes_its_money_back_from_the_instalments(world):
    case = accepted(world)
    plan = _plan(world, case)
    _pay(world, case, 333_33)
    paid = services.payments_of(case)[0]
    services.reverse_payment(case, world.caseworker, paid, "bounced", TODAY)
    db.session.commit()
    assert plan.instalments[0].paid_minor == 0
    assert plan.instalments[0].status == InstalmentStatus.DUE


def test_an_instalment_is_late_after_its_date_and_missed_after_the_grace_days(world):
    world.agreement.grace_days = 5
    case = accepted(world)
    plan = _plan(world, case)
    first = plan.instalments[0]  # due 1 October
    state = services.instalment_state
    assert state(first, 5, date(2026, 10, 1)) == InstalmentStatus.DUE
    assert state(first, 5, date(2026, 10, 2)) == InstalmentStatus.LATE
    assert state(first, 5, date(2026, 10, 6)) == InstalmentStatus.LATE
    assert state(first, 5, date(2026, 10, 7)) == InstalmentStatus.MISSED


def test_a_plan_breaks_when_an_instalment_is_missed_past_the_grace_days(world):
    world.agreement.grace_days = 5
    case = accepted(world)
    plan = _plan(world, case)
    result = services.refresh_plans(date(2026, 10, 6))
    db.session.commit()
    assert plan.status == ArrangementStatus.ACTIVE and result.late == 1
    assert plan.instalments[0].status == InstalmentStatus.LATE
    result = services.refresh_plans(date(2026, 10, 7))
    db.session.commit()
    assert result.broken == [case.reference]
    assert plan.status == ArrangementStatus.BROKEN and plan.broken_at is not None
    assert plan.instalments[0].status == InstalmentStatus.MISSED
    assert case.status == CaseStatus.IN_COLLECTION
    told = set(
        db.session.scalars(select(Notification.user_id).where(Notification.kind == "plan_broken"))
    )
    assert {world.caseworker.id, world.business_admin.id} <= told


def test_a_paid_instalment_does_not_break_the_plan(world):
    world.agreement.grace_days = 0
    case = accepted(world)
    plan = _plan(world, case)
    _pay(world, case, 333_33, on=date(2026, 9, 30), today=date(2026, 9, 30))
    services.refresh_plans(date(2026, 10, 20))
    db.session.commit()
    assert plan.status == ArrangementStatus.ACTIVE


def test_a_payment_received_after_the_grace_days_does_not_mend_a_broken_plan(world):
    world.agreement.grace_days = 2
    case = accepted(world)
    plan = _plan(world, case)
    _pay(world, case, 333_33, on=date(2026, 10, 10), today=date(2026, 10, 10))
    assert plan.status == ArrangementStatus.BROKEN
    assert case.status == CaseStatus.IN_COLLECTION


def test_the_plan_panel_shows_a_broken_plan_without_writing(client, auth, world, monkeypatch):
    world.agreement.grace_days = 1
    case = accepted(world)
    plan = _plan(world, case)
    monkeypatch.setattr("portal.ledger.routes.local_today", lambda user: date(2026, 10, 5))
    auth.login(world.caseworker)
    page = client.get(f"/cases/{case.id}").data.decode()
    assert "Broken: an instalment is past the 1 grace days" in page and "Missed" in page
    db.session.expire_all()
    stored = db.session.get(Arrangement, plan.id)
    assert stored.status == ArrangementStatus.ACTIVE
    assert stored.instalments[0].status == InstalmentStatus.DUE


def test_the_refresh_plans_command_persists_broken_plans(app, world):
    world.agreement.grace_days = 0
    case = accepted(world)
    plan = _plan(world, case)
    result = app.test_cli_runner().invoke(args=["ledger", "refresh-plans", "--today", "2026-10-02"])
    assert result.exit_code == 0, result.output
    assert "1 plan(s) broken" in result.output and case.reference in result.output
    db.session.expire_all()
    assert db.session.get(Arrangement, plan.id).status == ArrangementStatus.BROKEN


def test_the_refresh_plans_command_refuses_a_date_it_cannot_read(app):
    result = app.test_cli_runner().invoke(args=["ledger", "refresh-plans", "--today", "tomorrow"])
    assert result.exit_code != 0 and "YYYY-MM-DD" in result.output


def test_a_plan_form_with_errors_keeps_what_was_typed(client, auth, world):
    case = accepted(world)
    auth.login(world.caseworker)
    response = client.post(
        f"/cases/{case.id}/plan",
        data={
            "plan-total": "99999999",
            "plan-count": "3",
            "plan-frequency": "monthly",
            "plan-first_due_on": "2026-10-01",
        },
    )
    page = response.data.decode()
    assert response.status_code == 422
    assert 'id="plan-total-error"' in page and 'value="99999999"' in page


def test_the_agency_can_end_a_plan_and_the_case_returns_to_collection(client, auth, world):
    case = accepted(world)
    plan = _plan(world, case)
    auth.login(world.caseworker)
    response = client.post(
        f"/cases/{case.id}/arrangements/{plan.id}/end",
        data={"end-reason": "Debtor asked", "end-confirm": "y"},
    )
    assert response.status_code == 302
    db.session.refresh(case)
    assert plan.status == ArrangementStatus.CANCELLED and case.status == CaseStatus.IN_COLLECTION


def _instalment_states(page: str) -> list[str]:
    table = page[page.index("Instalments of the plan") :]
    table = table[: table.index("</tbody>")]
    return re.findall(r'<span class="badge [^"]+">(Due|Paid|Late|Missed)</span>', table)


def test_a_broken_plan_shows_the_states_stored_when_it_broke_on_every_later_day(
    client, auth, world, monkeypatch
):
    world.agreement.grace_days = 0
    case = accepted(world)
    _plan(world, case)
    services.refresh_plans(date(2026, 10, 2))
    db.session.commit()
    auth.login(world.caseworker)
    shown = []
    for day in (date(2026, 10, 5), date(2027, 3, 1)):
        monkeypatch.setattr("portal.ledger.routes.local_today", lambda user, day=day: day)
        shown.append(_instalment_states(client.get(f"/cases/{case.id}").data.decode()))
    assert shown[0] == shown[1] == ["Missed", "Due", "Due"]


def test_ending_a_plan_needs_the_confirmation_box_ticked(client, auth, world):
    case = accepted(world)
    plan = _plan(world, case)
    auth.login(world.caseworker)
    response = client.post(
        f"/cases/{case.id}/arrangements/{plan.id}/end", data={"end-reason": "Debtor asked"}
    )
    assert response.status_code == 422
    assert 'id="end-confirm-error"' in response.data.decode()
    db.session.refresh(plan)
    assert plan.status == ArrangementStatus.ACTIVE
