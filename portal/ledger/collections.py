"""Each month's collections, kept per agency, client, caseworker and currency.

The agency dashboard shows this month's and last month's collections in all, by client and by
caseworker. Summing them from the recoveries on each view reads every payment of two months
(about 40,000 at an agency with 100,000 cases); these rows (`CollectionMonth`) hold the same
sums, so the dashboard reads a few hundred.

The recoveries stay the truth. A group (agency, client, caseworker, month) is recomputed from
them whenever they may have changed: `refresh` after a payment or a reversal on a case (the
ledger calls it through `totals.refresh`), `moved` after a case changes hands (the money a case
brought in counts for whoever holds it, as every figure of the dashboard does). `refresh_all`
rebuilds every row, for data loaded in bulk.
"""

from datetime import date

from dateutil.relativedelta import relativedelta
from sqlalchemy import ColumnElement, Date, cast, delete, func, insert, select
from sqlalchemy.engine import Connection

from portal.extensions import db
from portal.models import Case, CollectionMonth, Recovery


def refresh(case: Case) -> None:
    """Recompute the months in which the case has money, for the case's current holder."""
    for month in _months_of(case.id):
        _recompute(case.agency_id, case.business_id, case.assigned_to_id, month)


def moved(case: Case, before_id: int | None) -> None:
    """The case went from caseworker `before_id` to its current one: both lose or gain its
    money in every month it has some."""
    if before_id == case.assigned_to_id:
        return
    for month in _months_of(case.id):
        _recompute(case.agency_id, case.business_id, before_id, month)
        _recompute(case.agency_id, case.business_id, case.assigned_to_id, month)


def _months_of(case_id: int) -> set[date]:
    db.session.flush()
    days = db.session.scalars(
        select(Recovery.received_on).where(Recovery.case_id == case_id).distinct()
    )
    return {day.replace(day=1) for day in days}


def _recompute(agency_id: int | None, business_id: int, holder_id: int | None, month: date) -> None:
    if agency_id is None:  # a draft has no agency, and no money
        return
    holder = (
        CollectionMonth.assigned_to_id.is_(None)
        if holder_id is None
        else CollectionMonth.assigned_to_id == holder_id
    )
    db.session.execute(
        delete(CollectionMonth).where(
            CollectionMonth.agency_id == agency_id,
            CollectionMonth.business_id == business_id,
            holder,
            CollectionMonth.month == month,
        )
    )
    case_holder = (
        Case.assigned_to_id.is_(None) if holder_id is None else Case.assigned_to_id == holder_id
    )
    sums = db.session.execute(
        select(Recovery.currency, func.sum(Recovery.amount_minor))
        .join(Case, Case.id == Recovery.case_id)
        .where(
            Case.agency_id == agency_id,
            Case.business_id == business_id,
            case_holder,
            Recovery.received_on >= month,
            Recovery.received_on < month + relativedelta(months=1),
        )
        .group_by(Recovery.currency)
    ).all()
    if sums:
        db.session.execute(
            insert(CollectionMonth),
            [
                {
                    "agency_id": agency_id,
                    "business_id": business_id,
                    "assigned_to_id": holder_id,
                    "month": month,
                    "currency": currency,
                    "amount_minor": int(amount),
                }
                for currency, amount in sums
            ],
        )


def month_of(day: ColumnElement, dialect: str) -> ColumnElement:
    """The first day of the month of a date column, in SQL."""
    if dialect == "postgresql":
        return cast(func.date_trunc("month", day), Date)
    return func.date(day, "start of month")


def refresh_all(connection: Connection) -> None:
    """Every row again, from every recovery (for data loaded in bulk)."""
    month = month_of(Recovery.received_on, connection.dialect.name)
    connection.execute(delete(CollectionMonth))
    connection.execute(
        insert(CollectionMonth).from_select(
            [
                "agency_id",
                "business_id",
                "assigned_to_id",
                "month",
                "currency",
                "amount_minor",
            ],
            select(
                Case.agency_id,
                Case.business_id,
                Case.assigned_to_id,
                month,
                Recovery.currency,
                func.sum(Recovery.amount_minor),
            )
            .join(Case, Case.id == Recovery.case_id)
            .where(Case.agency_id.is_not(None))
            .group_by(
                Case.agency_id, Case.business_id, Case.assigned_to_id, month, Recovery.currency
            ),
        )
    )
