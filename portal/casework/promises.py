"""The debtor's standing promise to pay, kept on the case.

A promise stands when it is the latest promise in the case's contact log, no later entry
corrects it, and it is not yet kept: the case has not received, since the day the promise was
made, the amount promised (any payment, when no amount was given). The case carries the standing
promise (`promise_entry_id`, `promise_due_on`) so the dashboards and the worklist count promises
due from the cases alone; `refresh` recomputes it whenever the contact log or the ledger of the
case changes, in the same flush.
"""

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, update
from sqlalchemy.orm import aliased

from portal.extensions import db
from portal.models import Case, CorrespondenceEntry, Recovery


def standing() -> ColumnElement[bool]:
    """The rule, on `CorrespondenceEntry`: this entry is its case's standing promise."""
    later = aliased(CorrespondenceEntry)
    correction = aliased(CorrespondenceEntry)
    paid_since = (
        select(func.coalesce(func.sum(Recovery.amount_minor), 0))
        .where(
            Recovery.case_id == CorrespondenceEntry.case_id,
            Recovery.received_on >= func.date(CorrespondenceEntry.occurred_at),
        )
        .scalar_subquery()
    )
    newer_promise = exists().where(
        later.case_id == CorrespondenceEntry.case_id,
        later.promise_date.is_not(None),
        or_(
            later.occurred_at > CorrespondenceEntry.occurred_at,
            and_(
                later.occurred_at == CorrespondenceEntry.occurred_at,
                later.id > CorrespondenceEntry.id,
            ),
        ),
    )
    corrected = exists().where(correction.corrects_id == CorrespondenceEntry.id)
    return and_(
        CorrespondenceEntry.promise_date.is_not(None),
        ~newer_promise,
        ~corrected,
        paid_since < func.coalesce(CorrespondenceEntry.promise_amount_minor, 1),
    )


def _standing_of(case_id, *columns) -> Select:
    return (
        select(*columns)
        .where(CorrespondenceEntry.case_id == case_id, standing())
        .order_by(CorrespondenceEntry.occurred_at.desc(), CorrespondenceEntry.id.desc())
        .limit(1)
    )


def refresh(case: Case) -> None:
    """Put the case's standing promise (or none) on the case. Call after the flush that
    changed its contact log or its payments."""
    db.session.flush()
    entry = db.session.execute(
        _standing_of(case.id, CorrespondenceEntry.id, CorrespondenceEntry.promise_date)
    ).first()
    case.promise_entry_id, case.promise_due_on = entry if entry else (None, None)


def refresh_all(connection) -> None:
    """Every case's standing promise in one statement (for data loaded in bulk)."""
    entry = aliased(CorrespondenceEntry)
    standing_id = _standing_of(Case.id, CorrespondenceEntry.id).scalar_subquery()
    connection.execute(update(Case).values(promise_entry_id=standing_id))
    connection.execute(
        update(Case)
        .where(Case.promise_entry_id.is_not(None))
        .values(
            promise_due_on=select(entry.promise_date)
            .where(entry.id == Case.promise_entry_id)
            .scalar_subquery()
        )
    )
