"""The lists behind the dashboard's figures: each figure links to the rows it counts.

The business's case list (/cases/) has no filter for an age bucket, a month's recoveries or
"placed and not rejected", and the agency's worklist (/work, portal/casework) has none for the
dashboard's promises due, broken plans, flagged contacts or a month's collections; these lists
give each such figure its rows, with the same rules the figures use, scoped by tenancy.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import BigInteger, ColumnElement, Select, cast, func, null, select
from sqlalchemy.orm import aliased

from portal.dashboard import agency as ag
from portal.dashboard import services as s
from portal.extensions import db
from portal.models import (
    Arrangement,
    Case,
    CaseStatus,
    CorrespondenceEntry,
    Debtor,
    Organisation,
    Recovery,
    User,
)
from portal.tenancy import owned, scope

PAGE_SIZE = 50
STATUSES = {status.value: status for status in CaseStatus}


@dataclass
class Params:
    """What narrows a list, read from the query string; anything unknown is ignored."""

    age: s.Bucket | None = None
    month: date | None = None
    agency_id: int | None = None
    client_id: int | None = None
    caseworker_id: int | None = None
    unassigned: bool = False
    status: CaseStatus | None = None
    page: int = 1

    def args(self, **changes) -> dict[str, str | int]:
        values = {
            "age": self.age.key if self.age else "",
            "month": self.month.strftime("%Y-%m") if self.month else "",
            "agency": self.agency_id or "",
            "client": self.client_id or "",
            "caseworker": "none" if self.unassigned else (self.caseworker_id or ""),
            "status": self.status.value if self.status else "",
            "page": self.page,
        } | changes
        return {k: v for k, v in values.items() if v not in ("", None) and (k, v) != ("page", 1)}


def read_params(args: Mapping[str, str]) -> Params:
    caseworker = (args.get("caseworker") or "").strip()
    return Params(
        age=s.BUCKET_KEYS.get((args.get("age") or "").strip()),
        month=s.parse_month(args.get("month")),
        agency_id=_ident(args.get("agency")),
        client_id=_ident(args.get("client")),
        caseworker_id=_ident(caseworker),
        unassigned=caseworker == "none",
        status=STATUSES.get((args.get("status") or "").strip()),
        page=_ident(args.get("page")) or 1,
    )


def _ident(value: str | None) -> int | None:
    text = (value or "").strip()
    if text.isascii() and text.isdigit() and 0 < len(text) < 10:
        return int(text) or None
    return None


@dataclass
class Row:
    case_id: int
    reference: str | None
    status: CaseStatus
    debtor: str
    party: str | None  # the agency (business view) or the client (agency view)
    currency: str
    amount: int | None
    day: date | datetime | None
    detail: str | None


@dataclass
class Listing:
    figure: "Figure"
    title: str
    rows: list[Row]
    total: int
    totals: list[tuple[str, int]]  # currency, amount summed over every matching row
    params: Params
    pages: int


@dataclass(frozen=True)
class Figure:
    key: str
    title: str
    amount_label: str
    day_label: str
    detail_label: str
    business: bool  # shown to businesses (else to agencies)
    build: Callable[["Context"], Select]
    newest_first: bool = True
    noun: str = "case"


@dataclass
class Context:
    user: User
    params: Params
    today: date
    now: datetime


# --- the figures ---------------------------------------------------------------------------


def _base(ctx: Context, amount, day, detail=None) -> Select:
    """The figure's cases with their amount, date and detail; the names of the debtor and the
    other party are joined by `listing` to the page's rows only."""
    party_id = Case.business_id if ctx.user.is_agency else Case.agency_id
    stmt = select(
        Case.id,
        Case.reference,
        Case.status,
        Case.debtor_id,
        party_id.label("party_id"),
        Case.currency.label("currency"),
        amount.label("amount"),
        day.label("day"),
        (detail if detail is not None else null()).label("detail"),
    ).where(scope(Case, ctx.user))
    return _narrow(stmt, ctx.params)


def _narrow(stmt: Select, params: Params) -> Select:
    if params.status:
        stmt = stmt.where(Case.status == params.status)
    if params.agency_id:
        stmt = stmt.where(Case.agency_id == params.agency_id)
    if params.client_id:
        stmt = stmt.where(Case.business_id == params.client_id)
    if params.unassigned:
        stmt = stmt.where(Case.assigned_to_id.is_(None))
    elif params.caseworker_id:
        stmt = stmt.where(Case.assigned_to_id == params.caseworker_id)
    return stmt


def _placed(ctx: Context) -> Select:
    return _base(ctx, Case.placement_balance_minor, Case.submitted_at).where(s.placed())


def _open(ctx: Context) -> Select:
    """Open cases with what is still owed and the due date of the oldest unpaid invoice."""
    due = s.oldest_unpaid(ctx.user)
    stmt = (
        _base(ctx, Case.balance_minor, due.c.oldest_due)
        .outerjoin(due, due.c.case_id == Case.id)
        .where(Case.status.in_(s.OPEN))
    )
    if ctx.params.age:
        index = s.BUCKETS.index(ctx.params.age)
        stmt = stmt.where(s.age_bucket(due.c.oldest_due, ctx.today) == index)
    return stmt


def _working(ctx: Context) -> Select:
    return _base(ctx, Case.balance_minor, Case.accepted_at).where(Case.status.in_(s.WORKING))


def _recovered(ctx: Context) -> Select:
    """Cases with money received (in one month, when a month is given), summed per case."""
    where = [Recovery.case_id.in_(s.in_scope(ctx.user))]
    if ctx.params.month:
        start = ctx.params.month
        where += [Recovery.received_on >= start, Recovery.received_on < s.month_start(start, -1)]
    sums = (
        select(
            Recovery.case_id.label("case_id"),
            func.sum(Recovery.amount_minor).label("amount"),
            func.max(Recovery.received_on).label("last"),
        )
        .where(*where)
        .group_by(Recovery.case_id)
        .subquery("received")
    )
    return _base(ctx, sums.c.amount, sums.c.last).join(sums, sums.c.case_id == Case.id)


def _collected(ctx: Context) -> Select:
    if ctx.params.month is None:
        ctx.params.month = s.month_start(ctx.today)
    return _recovered(ctx)


def _promises(ctx: Context) -> Select:
    entry = CorrespondenceEntry
    return (
        _base(ctx, entry.promise_amount_minor, entry.promise_date, entry.summary)
        .join(entry, entry.id == Case.promise_entry_id)
        .where(ag.promises_due(ctx.today))
    )


def _flagged(ctx: Context) -> Select:
    entry = CorrespondenceEntry
    return (
        _base(ctx, cast(null(), BigInteger), entry.occurred_at, entry.breached_rules)
        .join(entry, entry.case_id == Case.id)
        .where(ag.flagged_contacts(ctx.now))
    )


def _broken(ctx: Context) -> Select:
    return (
        _base(ctx, Arrangement.total_minor, Arrangement.broken_at, Arrangement.note)
        .join(Arrangement, Arrangement.case_id == Case.id)
        .where(ag.broken_plans())
    )


FIGURES = {
    f.key: f
    for f in (
        Figure("placed", "Cases placed", "Placed", "Placed on", "", True, _placed),
        Figure("open", "Open balances", "Balance", "Oldest unpaid due", "", True, _open, False),
        Figure("recovered", "Money recovered", "Recovered", "Last payment", "", True, _recovered),
        Figure("working", "Open cases", "Balance", "Accepted", "", False, _working),
        Figure("collected", "Collections", "Collected", "Last payment", "", False, _collected),
        Figure(
            "promises",
            "Promises due",
            "Promised",
            "Promised by",
            "Contact",
            False,
            _promises,
            False,
            "promise",
        ),
        Figure(
            "broken",
            "Broken payment plans",
            "Plan total",
            "Broken",
            "Note",
            False,
            _broken,
            True,
            "plan",
        ),
        Figure(
            "flagged",
            "Flagged contacts",
            "",
            "Contact at",
            "Rules",
            False,
            _flagged,
            True,
            "contact",
        ),
    )
}


def figure_for(key: str, user: User) -> Figure | None:
    figure = FIGURES.get(key)
    if figure is None or figure.business == user.is_agency:
        return None
    return figure


def listing(figure: Figure, user: User, params: Params, today: date, now: datetime) -> Listing:
    """One page of the rows a figure counts, with their count and per-currency sums."""
    stmt = figure.build(Context(user, params, today, now))
    sub = stmt.subquery()
    totals = db.session.execute(
        select(sub.c.currency, func.count(), func.sum(sub.c.amount))
        .group_by(sub.c.currency)
        .order_by(sub.c.currency)
    ).all()
    total = sum(n for _, n, _ in totals)
    pages = max(1, -(-total // PAGE_SIZE))
    params.page = min(params.page, pages)
    page = (
        stmt.order_by(_order(stmt.selected_columns.day, figure.newest_first), Case.id.desc())
        .limit(PAGE_SIZE)
        .offset((params.page - 1) * PAGE_SIZE)
        .subquery("page")
    )
    party = aliased(Organisation)
    rows = db.session.execute(
        select(
            page.c.id,
            page.c.reference,
            page.c.status,
            Debtor.name,
            party.name,
            page.c.currency,
            page.c.amount,
            page.c.day,
            page.c.detail,
        )
        .join(Debtor, Debtor.id == page.c.debtor_id)
        .outerjoin(party, party.id == page.c.party_id)
        .order_by(_order(page.c.day, figure.newest_first), page.c.id.desc())
    ).all()
    return Listing(
        figure=figure,
        title=_title(figure, user, params),
        rows=[Row(*row) for row in rows],
        total=total,
        totals=[(cur, s.as_int(amount)) for cur, _, amount in totals if amount is not None],
        params=params,
        pages=pages,
    )


def _order(day, newest_first: bool) -> ColumnElement:
    return (day.desc() if newest_first else day.asc()).nulls_last()


def _title(figure: Figure, user: User, params: Params) -> str:
    parts = [figure.title]
    if params.status:
        parts.append(f"({params.status.label.lower()})")
    if params.age:
        parts.append(f"{params.age.label.lower()} past due")
    if params.month:
        parts.append(params.month.strftime("in %B %Y"))
    for model, ident, prefix in (
        (Organisation, params.agency_id, "with"),
        (Organisation, params.client_id, "for"),
        (User, params.caseworker_id, "assigned to"),
    ):
        name = _name(model, ident, user)
        if name:
            parts.append(f"{prefix} {name}")
    if params.unassigned:
        parts.append("not assigned to anyone")
    return " ".join(parts)


def _name(model, ident: int | None, user: User) -> str | None:
    if not ident:
        return None
    return db.session.scalar(
        owned(model, user).with_only_columns(model.name).where(model.id == ident)
    )


__all__ = ["FIGURES", "Params", "figure_for", "listing", "read_params"]
