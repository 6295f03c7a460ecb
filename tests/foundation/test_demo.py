"""The demo data shows a newcomer the portal at work, not an empty shell."""

from datetime import date, timedelta

from sqlalchemy import func, select

from portal.demo import seed
from portal.extensions import db
from portal.models import (
    Arrangement,
    ArrangementStatus,
    Case,
    CaseStatus,
    CloseCode,
    CorrespondenceEntry,
    Document,
    Event,
    Message,
    Recovery,
    Statement,
)


def _count(stmt) -> int:
    return db.session.scalar(stmt)


def test_demo_holds_drafts_and_placed_cases_with_history_and_documents(app):
    seed.run()
    db.session.commit()

    statuses = dict(
        db.session.execute(select(Case.status, func.count()).group_by(Case.status)).all()
    )
    assert statuses.get(CaseStatus.DRAFT, 0) >= 2
    assert statuses.get(CaseStatus.SUBMITTED, 0) >= 2
    assert statuses.get(CaseStatus.INFO_REQUESTED, 0) >= 1
    assert statuses.get(CaseStatus.IN_COLLECTION, 0) >= 1
    placed = select(Case.id).where(Case.status != CaseStatus.DRAFT)
    without_history = _count(
        select(func.count())
        .select_from(Case)
        .where(
            Case.id.in_(placed),
            ~Case.id.in_(select(CorrespondenceEntry.case_id)),
        )
    )
    assert without_history == 0
    assert _count(select(func.count(Document.id))) >= 5
    assert _count(select(func.count(Message.id))) >= 2  # a question, and a question answered


def test_demo_cases_are_placed_through_the_services_so_their_timeline_is_real(app):
    seed.run()
    db.session.commit()
    case = db.session.scalars(select(Case).where(Case.accepted_at.is_not(None))).first()
    kinds = set(db.session.scalars(select(Event.kind).where(Event.case_id == case.id)))
    assert {"case_created", "history_added", "document_added", "status_changed"} <= kinds
    assert case.reference and case.fee_rate_bps and case.assigned_to_id


def test_demo_cases_are_not_created_twice(app):
    seed.run()
    db.session.commit()
    first = _count(select(func.count(Case.id)))
    seed.run()
    db.session.commit()
    assert _count(select(func.count(Case.id))) == first


def test_demo_shows_the_agency_at_work_in_every_working_state(app):
    seed.run()
    db.session.commit()
    statuses = set(db.session.scalars(select(Case.status)))
    assert {
        CaseStatus.PAYMENT_PLAN,
        CaseStatus.IN_COLLECTION,
        CaseStatus.ON_HOLD,
        CaseStatus.CLOSED,
    } <= statuses
    assert db.session.scalar(
        select(func.count()).select_from(Case).where(Case.close_code == CloseCode.PAID_IN_FULL)
    )
    plans = set(db.session.scalars(select(Arrangement.status)))
    assert {ArrangementStatus.ACTIVE, ArrangementStatus.BROKEN} <= plans
    assert ArrangementStatus.AWAITING_APPROVAL in plans  # a settlement below the floor
    assert _count(select(func.count(Recovery.id))) >= 4
    flagged = select(func.count()).where(CorrespondenceEntry.rule_breach.is_(True))
    assert _count(flagged) >= 1


def test_demo_statements_reconcile_with_the_payments_they_cover(app):
    seed.run()
    db.session.commit()
    issued = list(db.session.scalars(select(Statement)))
    assert len(issued) >= 2
    for statement in issued:
        assert statement.gross_minor == sum(line.gross_minor for line in statement.lines)


def test_demo_checklists_are_confirmed_just_before_each_backdated_submission(app):
    seed.run()
    db.session.commit()
    submitted = list(db.session.scalars(select(Case).where(Case.submitted_at.is_not(None))))
    assert submitted
    backdated = 0
    for case in submitted:
        assert case.checklist_confirmed_at is not None
        assert case.checklist_confirmed_at <= case.submitted_at
        assert case.submitted_at - case.checklist_confirmed_at < timedelta(hours=1)
        backdated += case.submitted_at.date() < date.today() - timedelta(days=7)
        assert case.agreement.business_accepted_at <= case.submitted_at
    assert backdated >= 1
