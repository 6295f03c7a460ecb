"""The agency's answer to a placement: accept and assign, reject with a reason, or ask.

The fee rate is fixed at acceptance from the agreement's schedule (balance band, age of the debt,
cap) and never changes afterwards.
"""

from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal import audit, lifecycle, money
from portal.agreements.services import fee_schedule
from portal.errors import DomainError
from portal.extensions import db
from portal.ledger import collections, fees
from portal.models import (
    Case,
    CaseStatus,
    CloseCode,
    CorrespondenceEntry,
    Message,
    Role,
    User,
    utcnow,
)
from portal.notifications import notify, people
from portal.tenancy import owned

REJECTION_REASONS = {
    "insufficient_documents": "The documents are not enough to pursue the debt",
    "disputed": "The debt is disputed",
    "statute_barred": "The debt is too old to pursue (statute-barred)",
    "debtor_insolvent": "The debtor is insolvent",
    "outside_jurisdiction": "The debtor is outside the area we work in",
    "below_minimum": "The balance is below what we take on",
    "conflict_of_interest": "We have a conflict of interest",
    "other": "Another reason (explained below)",
}
WAITING = (CaseStatus.SUBMITTED, CaseStatus.INFO_REQUESTED)


def queue(user: User) -> list[tuple[Case, int]]:
    """Placements waiting for an answer, the late ones first, each with its history count."""
    waiting = owned(Case, user).where(Case.status.in_(WAITING))
    counts = (
        select(CorrespondenceEntry.case_id, func.count().label("n"))
        .where(CorrespondenceEntry.case_id.in_(waiting.with_only_columns(Case.id)))
        .group_by(CorrespondenceEntry.case_id)
        .subquery()
    )
    stmt = (
        waiting.add_columns(func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.case_id == Case.id)
        .options(selectinload(Case.debtor), selectinload(Case.business))
        .order_by(Case.answer_due_at, Case.submitted_at)
    )
    return [(case, n) for case, n in db.session.execute(stmt).all()]


def is_late(case: Case, now: datetime | None = None) -> bool:
    return (
        case.status in WAITING
        and case.answer_due_at is not None
        and case.answer_due_at < (now or utcnow())
    )


def proposed_rate(case: Case) -> fees.FeeRate:
    """The rate the agreement gives this case, with how it was found."""
    try:
        return fees.rate_for(
            fee_schedule(case.agreement),
            case.placement_balance_minor or 0,
            case.debt_age_days_at_placement or 0,
            format_amount=lambda minor: money.format_money(minor, case.currency),
        )
    except ValueError as error:
        raise DomainError(f"The agreement's fee schedule cannot price this case: {error}") from None


def caseworkers(agency_id: int) -> list[User]:
    return people(agency_id, Role.CASEWORKER, Role.AGENCY_ADMIN)


def _caseworker(case: Case, caseworker_id: int | None) -> User:
    worker = next((u for u in caseworkers(case.agency_id) if u.id == caseworker_id), None)
    if worker is None:
        raise DomainError("Choose a caseworker of your agency.", field="caseworker_id")
    return worker


def accept(case: Case, admin: User, caseworker_id: int | None, today: date | None = None) -> None:
    """Accept the placement: fix the fee rate, assign the caseworker, start exclusivity.

    The case row is locked (and re-read) first, so of two acceptances at once one wins and the
    other finds it no longer submitted.
    """
    case = db.session.get(Case, case.id, with_for_update=True, populate_existing=True)
    if case.status != CaseStatus.SUBMITTED:
        raise DomainError(
            "Only a submitted placement can be accepted"
            + (
                " (the business has not answered your question yet)."
                if case.status == CaseStatus.INFO_REQUESTED
                else "."
            )
        )
    worker = _caseworker(case, caseworker_id)
    rate = proposed_rate(case)
    today = today or utcnow().date()
    case.fee_rate_bps, case.fee_rate_explanation = rate.rate_bps, rate.explanation
    case.assigned_to_id = worker.id
    collections.moved(case, None)
    case.accepted_at = utcnow()
    case.exclusivity_until = today + relativedelta(months=case.agreement.exclusivity_months)
    case.next_action_on = today
    lifecycle.move(
        case,
        CaseStatus.ACCEPTED,
        summary=f"Accepted at {money.format_rate(rate.rate_bps)}; assigned to {worker.name}",
    )
    notify(
        people(case.business_id, Role.BUSINESS_ADMIN, Role.BUSINESS_MEMBER),
        "placement_accepted",
        f"{case.agency.name} accepted {case.reference}.",
        case=case,
    )
    notify([worker], "case_assigned", f"{case.reference} ({case.debtor.name}) is yours.", case=case)


def reject(case: Case, admin: User, reason: str, note: str) -> None:
    """Turn the placement down with a reason from the list (and text for 'other')."""
    if case.status not in WAITING:
        raise DomainError("Only a placement waiting for an answer can be rejected.")
    if reason not in REJECTION_REASONS:
        raise DomainError("Choose a reason.", field="reason")
    if reason == "other" and not note.strip():
        raise DomainError("Explain the reason.", field="note")
    case.rejection_reason, case.rejection_note = reason, note.strip()
    lifecycle.move(
        case,
        CaseStatus.CLOSED,
        close_code=CloseCode.REJECTED,
        summary=f"Rejected: {REJECTION_REASONS[reason]}"
        + (f". {note.strip()}" if note.strip() else ""),
    )
    notify(
        people(case.business_id, Role.BUSINESS_ADMIN, Role.BUSINESS_MEMBER),
        "placement_rejected",
        f"{case.agency.name} rejected {case.reference}: {REJECTION_REASONS[reason]}.",
        case=case,
    )


def reassign(case: Case, admin: User, caseworker_id: int | None) -> None:
    """Give an accepted case to another caseworker."""
    if case.status in (*WAITING, CaseStatus.CLOSED, CaseStatus.DRAFT):
        raise DomainError("Only a case being worked can be reassigned.")
    worker = _caseworker(case, caseworker_id)
    before = case.assigned_to_id
    case.assigned_to_id = worker.id
    collections.moved(case, before)
    audit.record(
        "case_reassigned",
        case=case,
        summary=f"Assigned to {worker.name}",
        before={"assigned_to_id": before},
        after={"assigned_to_id": worker.id},
    )
    notify([worker], "case_assigned", f"{case.reference} ({case.debtor.name}) is yours.", case=case)


def review_data(case: Case) -> dict:
    """What the agency reads before answering: history and the messages, oldest first."""
    history = db.session.scalars(
        owned(CorrespondenceEntry)
        .where(CorrespondenceEntry.case_id == case.id)
        .order_by(CorrespondenceEntry.occurred_at)
    ).all()
    messages = db.session.scalars(
        owned(Message).where(Message.case_id == case.id).order_by(Message.created_at)
    ).all()
    return {"history": history, "messages": messages}
