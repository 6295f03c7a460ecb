"""The agency's dashboard: the day's work and the month's collections.

An agency admin sees every case placed with the agency; a caseworker sees the same figures over
the cases assigned to them (tenancy's case scope does that for every query here).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select, true
from sqlalchemy.orm import aliased

from portal.dashboard import services as s
from portal.extensions import db
from portal.models import (
    Agreement,
    AgreementStatus,
    Arrangement,
    ArrangementKind,
    ArrangementStatus,
    Case,
    CaseStatus,
    CollectionMonth,
    CorrespondenceEntry,
    Debtor,
    Instalment,
    InstalmentStatus,
    Organisation,
    Role,
    User,
)
from portal.tenancy import scope

FLAG_WINDOW_DAYS = 30
WAITING_SHOWN = 5


# --- the rules behind each figure, shared with the drill-down lists --------------------------


def promises_due(today: date) -> ColumnElement[bool]:
    """Open cases whose standing promise to pay (portal/casework/promises.py: the latest
    promise, not corrected, not yet kept) was due today or earlier."""
    return and_(Case.promise_due_on <= today, Case.status.in_(s.OPEN))


def broken_plans() -> ColumnElement[bool]:
    """Payment plans on open cases that are broken (or have a missed instalment) and that no
    later arrangement on the case has replaced."""
    newer = aliased(Arrangement)
    missed = exists().where(
        Instalment.arrangement_id == Arrangement.id,
        Instalment.status == InstalmentStatus.MISSED,
    )
    replaced = exists().where(newer.case_id == Arrangement.case_id, newer.id > Arrangement.id)
    return and_(
        Arrangement.kind == ArrangementKind.PLAN,
        or_(
            Arrangement.status == ArrangementStatus.BROKEN,
            and_(Arrangement.status == ArrangementStatus.ACTIVE, missed),
        ),
        s.is_open(),
        ~replaced,
    )


def flagged_contacts(now: datetime) -> ColumnElement[bool]:
    """Contacts logged against the contact rules (with an override reason) in the last 30 days."""
    # `= true`, not `IS true`: it is what the partial index on flagged contacts is built on.
    return and_(
        CorrespondenceEntry.rule_breach == true(),
        CorrespondenceEntry.occurred_at >= now - timedelta(days=FLAG_WINDOW_DAYS),
    )


def is_late(now: datetime) -> ColumnElement[bool]:
    return and_(Case.status.in_(s.WAITING), Case.answer_due_at < now)


# --- the dashboard ---------------------------------------------------------------------------


@dataclass
class Collected:
    currency: str
    this_month: int = 0
    last_month: int = 0

    @property
    def change(self) -> int:
        return self.this_month - self.last_month


@dataclass
class Group:
    """One client, or one caseworker (ident None: cases not assigned to anyone)."""

    ident: int | None
    name: str
    open_cases: int = 0
    collected: list[Collected] = field(default_factory=list)


@dataclass
class WaitingRow:
    id: int
    reference: str
    client: str
    debtor: str
    balance: int | None
    currency: str
    answer_due_at: datetime | None
    status: CaseStatus
    late: bool


@dataclass
class AgencyDashboard:
    today: date
    this_month: date
    last_month: date
    is_caseworker: bool
    waiting_count: int
    late_count: int
    waiting: list[WaitingRow]
    open_cases: dict[CaseStatus, int]
    promises_due: int
    broken_plans: int
    flagged_contacts: int
    collected: list[Collected]
    by_client: list[Group]
    by_caseworker: list[Group]
    active_clients: int

    @property
    def open_total(self) -> int:
        return sum(self.open_cases.values())

    @property
    def is_empty(self) -> bool:
        """Nothing placed, worked or collected yet: the page shows what to do first instead."""
        return not (self.waiting_count or self.open_total or self.collected or self.by_client)


def dashboard(user: User, today: date, now: datetime) -> AgencyDashboard:
    """Every figure of the agency dashboard as `user` sees it at `now` (`today` in their zone)."""
    admin = user.role == Role.AGENCY_ADMIN
    waiting_count, late_count = waiting_counts(user, now) if admin else (0, 0)
    months = [s.month_start(today, 1), s.month_start(today)]
    money = money_by(user, months, CollectionMonth.business_id, Organisation.name, Organisation)
    pairs = open_pairs(user)
    return AgencyDashboard(
        today=today,
        this_month=months[1],
        last_month=months[0],
        is_caseworker=not admin,
        waiting_count=waiting_count,
        late_count=late_count,
        waiting=waiting_rows(user, now) if admin and waiting_count else [],
        open_cases=open_counts(user),
        promises_due=_count_cases(user, promises_due(today)),
        broken_plans=_count_plans(user),
        flagged_contacts=_count_entries(user, flagged_contacts(now)),
        collected=collections(money),
        by_client=by_client(pairs, money),
        by_caseworker=by_caseworker(user, pairs, months) if admin else [],
        active_clients=active_clients(user),
    )


def waiting_counts(user: User, now: datetime) -> tuple[int, int]:
    """Placements waiting for an answer, and how many of them are past their answer date."""
    late = func.sum(case((is_late(now), 1), else_=0))
    row = db.session.execute(
        select(func.count(Case.id), late).where(scope(Case, user), Case.status.in_(s.WAITING))
    ).one()
    return row[0], s.as_int(row[1])


def waiting_rows(user: User, now: datetime) -> list[WaitingRow]:
    """The first few placements to answer, by answer date: the late ones come first (their
    answer date has passed), those without one last. The few are chosen from the index
    (ix_cases_agency_waiting) before their names are joined."""
    order = (Case.answer_due_at.asc().nulls_last(), Case.submitted_at, Case.id)
    first = (
        select(Case.id)
        .where(scope(Case, user), Case.status.in_(s.WAITING))
        .order_by(*order)
        .limit(WAITING_SHOWN)
        .subquery("first")
    )
    rows = db.session.execute(
        select(
            Case.id,
            Case.reference,
            Organisation.name,
            Debtor.name,
            Case.placement_balance_minor,
            Case.currency,
            Case.answer_due_at,
            Case.status,
            is_late(now),
        )
        .join(first, first.c.id == Case.id)
        .join(Organisation, Organisation.id == Case.business_id)
        .join(Debtor, Debtor.id == Case.debtor_id)
        .order_by(*order)
    ).all()
    return [WaitingRow(*row[:-1], late=bool(row[-1])) for row in rows]


def open_counts(user: User) -> dict[CaseStatus, int]:
    """Cases being worked, by status (every working status present)."""
    rows = db.session.execute(
        select(Case.status, func.count(Case.id))
        .where(scope(Case, user), Case.status.in_(s.WORKING))
        .group_by(Case.status)
    ).all()
    counts = dict.fromkeys(s.WORKING, 0)
    counts.update(dict(rows))
    return counts


def _count_cases(user: User, rule: ColumnElement[bool]) -> int:
    return db.session.scalar(select(func.count(Case.id)).where(scope(Case, user), rule))


def _count_entries(user: User, rule: ColumnElement[bool]) -> int:
    return db.session.scalar(
        select(func.count(CorrespondenceEntry.id))
        .join(Case, Case.id == CorrespondenceEntry.case_id)
        .where(scope(Case, user), rule)
    )


def _count_plans(user: User) -> int:
    return db.session.scalar(
        select(func.count(Arrangement.id))
        .join(Case, Case.id == Arrangement.case_id)
        .where(scope(Case, user), broken_plans())
    )


@dataclass(frozen=True)
class MoneyRow:
    """Money received in one of the two months, for one client (or caseworker) and currency."""

    ident: int | None
    name: str | None
    month: int  # 0: last month, 1: this month
    currency: str
    amount: int


def money_by(user: User, months: list[date], key, name, named) -> list[MoneyRow]:
    """The two months' collections (reversals count against) grouped by `key` (the client or
    the caseworker column of CollectionMonth), month and currency, from the monthly sums the
    ledger keeps (portal/ledger/collections.py); the names (`name` of the table `named`) are
    joined to the grouped rows only."""
    index = s.month_index(CollectionMonth.month, months)
    sums = (
        select(
            key.label("ident"),
            index.label("month"),
            CollectionMonth.currency.label("currency"),
            func.sum(CollectionMonth.amount_minor).label("amount"),
        )
        .where(scope(CollectionMonth, user), CollectionMonth.month.in_(months))
        .group_by(key, index, CollectionMonth.currency)
        .subquery("sums")
    )
    rows = db.session.execute(
        select(sums.c.ident, name, sums.c.month, sums.c.currency, sums.c.amount).outerjoin(
            named, named.id == sums.c.ident
        )
    ).all()
    return [MoneyRow(*row[:-1], amount=s.as_int(row[-1])) for row in rows]


def collections(by_client_money: list[MoneyRow]) -> list[Collected]:
    """Money received last month and this month, per currency (all clients added up)."""
    found: dict[str, Collected] = {}
    for row in by_client_money:
        _add_month(found.setdefault(row.currency, Collected(row.currency)), row.month, row.amount)
    return sorted(found.values(), key=lambda c: c.currency)


def _add_month(line: Collected, index: int, amount) -> None:
    if index == 1:
        line.this_month += s.as_int(amount)
    else:
        line.last_month += s.as_int(amount)


def _grouped(opened: list, money: list[MoneyRow]) -> list[Group]:
    """Open cases (`opened`: key, name, count) and the two months' collections, grouped by
    key (client or caseworker)."""
    groups: dict[int | None, Group] = {}
    for ident, label, n in opened:
        groups.setdefault(ident, Group(ident, label or "")).open_cases = n
    for row in money:
        group = groups.setdefault(row.ident, Group(row.ident, row.name or ""))
        line = next((c for c in group.collected if c.currency == row.currency), None)
        if line is None:
            line = Collected(row.currency)
            group.collected.append(line)
        _add_month(line, row.month, row.amount)
    for group in groups.values():
        group.collected.sort(key=lambda c: c.currency)
    return sorted(groups.values(), key=lambda g: (g.ident is None, g.name.casefold()))


def open_pairs(user: User) -> list[tuple[int, int | None, int]]:
    """Cases being worked, counted by client and caseworker together: (client id, caseworker
    id or None, count). One pass over the index that holds both (ix_cases_agency_groups)
    serves both tables of the dashboard."""
    return db.session.execute(
        select(Case.business_id, Case.assigned_to_id, func.count(Case.id))
        .where(scope(Case, user), Case.status.in_(s.WORKING))
        .group_by(Case.business_id, Case.assigned_to_id)
    ).all()


def _open_by(pairs: list, position: int, model) -> list[tuple[int | None, str | None, int]]:
    """The pairs' counts added up by client (position 0) or caseworker (1), with the name of
    each (from `model`, read for these few ids only)."""
    counts: dict[int | None, int] = {}
    for pair in pairs:
        counts[pair[position]] = counts.get(pair[position], 0) + pair[2]
    ids = [ident for ident in counts if ident is not None]
    names = dict(db.session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())
    return [(ident, names.get(ident), n) for ident, n in counts.items()]


def by_client(pairs: list, money: list[MoneyRow]) -> list[Group]:
    """Open cases and collections per client; `money` is money_by the client."""
    return _grouped(_open_by(pairs, 0, Organisation), money)


def by_caseworker(user: User, pairs: list, months: list[date]) -> list[Group]:
    money = money_by(user, months, CollectionMonth.assigned_to_id, User.name, User)
    return _grouped(_open_by(pairs, 1, User), money)


def active_clients(user: User) -> int:
    return db.session.scalar(
        select(func.count(Agreement.id)).where(
            scope(Agreement, user), Agreement.status == AgreementStatus.ACTIVE
        )
    )
