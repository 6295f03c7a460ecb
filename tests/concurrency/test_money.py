"""Money under concurrency, on PostgreSQL: simultaneous payments never overdraw a case,
simultaneous statements issue once, simultaneous acceptances of a placement accept once."""

from datetime import date

from sqlalchemy import func, select

from portal import audit
from portal.extensions import db
from portal.ledger import services as ledger
from portal.ledger.services import PaymentData
from portal.models import (
    Agreement,
    Case,
    CaseStatus,
    Event,
    PaidTo,
    Recovery,
    Statement,
    StatementLine,
    User,
)
from portal.placements import services as placements
from portal.statements import services as statements
from tests import factories
from tests.concurrency.conftest import at_once
from tests.ledger.helpers import TODAY, accepted
from tests.statements.helpers import NOW, placed_case, recovery

BALANCE = 1_000_00
PAYMENT = 75_00
FITS = BALANCE // PAYMENT  # 13 payments of 75.00 fit in 1,000.00


def _pay(case_id: int, user_id: int, token: str):
    def attempt():
        case, user = db.session.get(Case, case_id), db.session.get(User, user_id)
        data = PaymentData(PAYMENT, TODAY, "mpesa", token, PaidTo.AGENCY, token)
        ledger.record_payment(case, user, data, TODAY)

    return attempt


def test_twenty_simultaneous_payments_record_exactly_those_that_fit(postgres, world):
    case = accepted(world, amount_minor=BALANCE)
    outcome = at_once(
        postgres, [_pay(case.id, world.caseworker.id, f"pay-{i:02d}") for i in range(20)]
    )
    assert not [o for o in outcome if o.startswith("error")], outcome
    assert outcome.count("ok") == FITS
    assert all("more than the balance of" in o for o in outcome if o != "ok")
    recorded = db.session.scalars(select(Recovery).where(Recovery.case_id == case.id)).all()
    assert len(recorded) == FITS


def test_the_balance_never_goes_below_zero_and_the_ledger_sums_agree(postgres, world):
    case = accepted(world, amount_minor=BALANCE)
    at_once(postgres, [_pay(case.id, world.caseworker.id, f"pay-{i:02d}") for i in range(20)])
    case = db.session.get(Case, case.id)
    gross, fee, tax, net = db.session.execute(
        select(
            func.sum(Recovery.amount_minor),
            func.sum(Recovery.fee_minor),
            func.sum(Recovery.tax_minor),
            func.sum(Recovery.net_minor),
        ).where(Recovery.case_id == case.id)
    ).one()
    assert ledger.balance_of(case) == BALANCE - FITS * PAYMENT >= 0
    assert gross == FITS * PAYMENT == BALANCE - ledger.balance_of(case)
    assert gross == fee + tax + net
    figures = ledger.figures(case)
    assert figures.recovered == gross


def test_the_audit_chain_stays_whole_under_simultaneous_writes(postgres, world):
    case = accepted(world, amount_minor=BALANCE)
    at_once(postgres, [_pay(case.id, world.caseworker.id, f"pay-{i:02d}") for i in range(20)])
    with db.engine.connect() as conn:
        report = audit.verify(conn)
    assert report.ok, report
    recorded = db.session.scalar(
        select(func.count()).select_from(Event).where(Event.kind == "payment_recorded")
    )
    assert recorded == FITS


def _issue(agreement_id: int, user_id: int, start: date, end: date):
    def attempt():
        agreement = db.session.get(Agreement, agreement_id)
        user = db.session.get(User, user_id)
        statements.issue(agreement, start, end, user, NOW, date(2026, 11, 20))

    return attempt


def test_two_statements_issued_at_once_for_one_client_and_period_issue_one(postgres, world):
    case = placed_case(world.agreement)
    recovery(case, 500_00, date(2026, 10, 5))
    recovery(case, 200_00, date(2026, 10, 20))
    db.session.commit()
    start, end = date(2026, 10, 1), date(2026, 10, 31)
    outcome = at_once(
        postgres,
        [
            _issue(world.agreement.id, world.agency_admin.id, start, end),
            _issue(world.agreement.id, world.agency_admin.id, start, end),
        ],
    )
    assert sorted(outcome)[-1] == "ok" and outcome.count("ok") == 1, outcome
    refusal = next(o for o in outcome if o != "ok")
    assert not refusal.startswith("error"), refusal
    issued = db.session.scalars(select(Statement)).all()
    assert len(issued) == 1
    assert db.session.scalar(select(func.count()).select_from(StatementLine)) == 2
    assert issued[0].gross_minor == 700_00


def _accept(case_id: int, admin_id: int, worker_id: int):
    def attempt():
        case = db.session.get(Case, case_id)
        placements.accept(case, db.session.get(User, admin_id), worker_id)

    return attempt


def test_two_acceptances_of_one_placement_one_wins_the_other_is_told(postgres, world):
    second_admin = factories.user(world.agency, email="admin2@agency.example")
    case = factories.case(
        world.business,
        world.agency,
        status=CaseStatus.SUBMITTED,
        agreement_id=world.agreement.id,
        debt_age_days_at_placement=30,
    )
    db.session.commit()
    outcome = at_once(
        postgres,
        [
            _accept(case.id, world.agency_admin.id, world.caseworker.id),
            _accept(case.id, second_admin.id, world.other_caseworker.id),
        ],
    )
    assert outcome.count("ok") == 1, outcome
    loser = next(o for o in outcome if o != "ok")
    assert loser.startswith("Only a submitted placement can be accepted"), loser
    accepted_case = db.session.get(Case, case.id)
    winner = [world.caseworker.id, world.other_caseworker.id][outcome.index("ok")]
    assert accepted_case.status == CaseStatus.ACCEPTED
    assert accepted_case.assigned_to_id == winner
    moves = db.session.scalars(
        select(Event).where(Event.case_id == case.id, Event.kind == "status_changed")
    ).all()
    assert [e.after["status"] for e in moves] == ["accepted"]
