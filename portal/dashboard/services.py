"""What both dashboards share: periods, age buckets and per-case sums, all as SQL expressions.

Every figure is an aggregate (COUNT, SUM, GROUP BY, CASE) over indexed columns; Python only
arranges the few grouped rows that come back. Money is never added across currencies: every
money query groups by currency.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from sqlalchemy import ColumnElement, Date, Subquery, and_, case, cast, func, select

from portal.extensions import db
from portal.models import Case, CaseStatus, CloseCode, Invoice, Recovery, User
from portal.tenancy import scope

# Placed and not yet closed: the balance is still being collected (or waits for an answer).
NOT_OPEN = (CaseStatus.DRAFT, CaseStatus.CLOSED)
OPEN = tuple(s for s in CaseStatus if s not in NOT_OPEN)


def is_open() -> ColumnElement[bool]:
    """The case is open, for rows of another table joined to their case one by one.

    The same cases as `Case.status.in_(OPEN)`, written as NOT IN on purpose: faced with an IN
    list, SQLite looks each joined case up once per status in the list (through the index on
    agency and status) instead of once by its id."""
    return Case.status.not_in(NOT_OPEN)


# Accepted by the agency and being worked.
WORKING = (
    CaseStatus.ACCEPTED,
    CaseStatus.IN_COLLECTION,
    CaseStatus.PAYMENT_PLAN,
    CaseStatus.ON_HOLD,
    CaseStatus.IN_LEGAL,
)
WAITING = (CaseStatus.SUBMITTED, CaseStatus.INFO_REQUESTED)


@dataclass(frozen=True)
class Bucket:
    key: str
    label: str
    low: int  # days past due, inclusive
    high: int | None  # inclusive; None: no upper limit


BUCKETS = (
    Bucket("0-30", "0–30 days", 0, 30),
    Bucket("31-60", "31–60 days", 31, 60),
    Bucket("61-90", "61–90 days", 61, 90),
    Bucket("91-180", "91–180 days", 91, 180),
    Bucket("181+", "Over 180 days", 181, None),
)
BUCKET_KEYS = {b.key: b for b in BUCKETS}


def local_today(user: User, now: datetime) -> date:
    """The date where the viewer is, at `now`."""
    return now.astimezone(ZoneInfo(user.zone)).date()


def month_start(day: date, back: int = 0) -> date:
    return day.replace(day=1) - relativedelta(months=back)


def last_months(today: date, count: int = 12) -> list[date]:
    """The first day of each of the last `count` months, oldest first, this month last."""
    return [month_start(today, back) for back in range(count - 1, -1, -1)]


def month_index(column, starts: list[date]) -> ColumnElement:
    """0..n-1 for a date inside one of the months starting at `starts` (ascending), else NULL.

    A CASE over date ranges: portable, and it lets the index on the date column do the work.
    """
    ends = [*starts[1:], starts[-1] + relativedelta(months=1)]
    whens = [
        (and_(column >= s, column < e), i)
        for i, (s, e) in enumerate(zip(starts, ends, strict=True))
    ]
    return case(*whens, else_=None)


def parse_month(text: str | None) -> date | None:
    """'2026-05' → 1 May 2026; anything else → None (ignored, never an error)."""
    try:
        return datetime.strptime((text or "").strip(), "%Y-%m").date()
    except ValueError:
        return None


# --- per-case sums, as subqueries limited to the cases the user sees -----------------------


def in_scope(user: User):
    return select(Case.id).where(scope(Case, user))


def recovery_sums(user: User) -> Subquery:
    """Per case: recovered (reversals included), fee, tax, net, and the first payment's date."""
    first = func.min(
        case(
            (and_(Recovery.amount_minor > 0, Recovery.reverses_id.is_(None)), Recovery.received_on)
        )
    )
    return (
        select(
            Recovery.case_id.label("case_id"),
            func.sum(Recovery.amount_minor).label("recovered"),
            func.sum(Recovery.fee_minor).label("fee"),
            func.sum(Recovery.tax_minor).label("tax"),
            func.sum(Recovery.net_minor).label("net"),
            first.label("first_paid"),
        )
        .where(Recovery.case_id.in_(in_scope(user)))
        .group_by(Recovery.case_id)
        .subquery("recovery_sums")
    )


def oldest_unpaid(user: User) -> Subquery:
    """Per case: the due date of its oldest invoice not fully paid."""
    unpaid_due = case((Invoice.amount_minor > Invoice.paid_minor, Invoice.due_date))
    return (
        select(Invoice.case_id.label("case_id"), func.min(unpaid_due).label("oldest_due"))
        .where(Invoice.case_id.in_(in_scope(user)))
        .group_by(Invoice.case_id)
        .subquery("oldest_unpaid")
    )


def age_bucket(oldest_due, today: date) -> ColumnElement:
    """The index in BUCKETS of a case whose oldest unpaid invoice fell due on `oldest_due`.

    Days past due = today − due date; an invoice not yet due (or none unpaid) is in 0–30.
    """
    whens = [
        (oldest_due.is_(None), 0),
        *[
            (oldest_due >= today - timedelta(days=b.high), i)
            for i, b in enumerate(BUCKETS)
            if b.high is not None
        ],
    ]
    return case(*whens, else_=len(BUCKETS) - 1)


def days_to_first_payment(first_paid) -> ColumnElement:
    """Days from the placement (submission, UTC date) to the first payment; a payment dated
    before the placement (reported late by the business) counts as day 0."""
    if db.engine.dialect.name == "postgresql":
        days = first_paid - cast(func.timezone("UTC", Case.submitted_at), Date)
    else:
        days = func.julianday(first_paid) - func.julianday(func.date(Case.submitted_at))
    return case((days < 0, 0), else_=days)


def placed() -> ColumnElement[bool]:
    """Cases handed to an agency and not turned down at placement."""
    return and_(
        Case.status != CaseStatus.DRAFT,
        func.coalesce(Case.close_code, "") != CloseCode.REJECTED.value,
    )


def as_int(value) -> int:
    """PostgreSQL sums come back as Decimal; SQLite's as int. Money stays integer."""
    return int(value or 0)


def rate_bps(part: int, whole: int) -> int | None:
    """part / whole in basis points, rounded half-up; None when there is no whole."""
    if whole <= 0:
        return None
    return (part * 10000 * 2 + whole) // (whole * 2)
