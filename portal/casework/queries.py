"""Reading casework: the caseworker's day (the agency's case list for an admin) and the
compliance view of flagged contacts. Every lookup goes through tenancy."""

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, func, select, true
from sqlalchemy.orm import aliased, selectinload

from portal.cases import export
from portal.casework import services
from portal.casework.contact_rules import ContactDecision
from portal.dashboard import agency as agency_figures
from portal.extensions import db
from portal.models import (
    Arrangement,
    Case,
    CaseStatus,
    CorrespondenceEntry,
    Debtor,
    Dispute,
    Organisation,
    Role,
    Side,
    User,
)
from portal.notifications import people
from portal.tenancy import owned, scope

OPEN = tuple(s for s in services.WORKING)
NOT_WORKING = tuple(s for s in CaseStatus if s not in OPEN)


PAGE_SIZE = 50
SIDE_SHOWN = 20  # promises due today, broken plans, cases on hold: the first few, and a count


T = TypeVar("T")


@dataclass
class Shown(Generic[T]):
    """The first SIDE_SHOWN items of a side list, and how many there are in all."""

    shown: list[T]
    count: int


@dataclass
class WorkRow:
    case: Case
    decision: ContactDecision
    dispute: Dispute | None = None
    balance: int | None = None  # at placement, plus charges, less what was recovered

    def overdue(self, today: date) -> bool:
        return self.case.next_action_on is not None and self.case.next_action_on < today


@dataclass
class Promise:
    case: Case
    entry: CorrespondenceEntry


@dataclass
class Held:
    """A case on hold, with the dispute it waits on."""

    case: Case
    dispute: Dispute | None


@dataclass
class WorkFilters:
    """The worklist's filters: a caseworker (an admin's choice), a status, the page."""

    caseworker_id: int | None = None
    status: CaseStatus | None = None
    page: int = 1

    def args(self, **changes) -> dict[str, str | int]:
        """The query string for these filters, with changes (e.g. another page)."""
        values = {
            "caseworker": self.caseworker_id or "",
            "status": self.status.value if self.status else "",
            "page": self.page,
        } | changes
        return {k: v for k, v in values.items() if v not in ("", None) and (k, v) != ("page", 1)}

    @property
    def active(self) -> bool:
        return bool(self.caseworker_id or self.status)


@dataclass
class Worklist:
    rows: list[WorkRow]
    today: date
    filters: WorkFilters = field(default_factory=WorkFilters)
    total: int = 0
    pages: int = 1
    # Each side list shows its first SIDE_SHOWN items; the count is of all of them.
    promises_today: list[Promise] = field(default_factory=list)
    promises_count: int = 0
    broken_plans: list[Arrangement] = field(default_factory=list)
    broken_count: int = 0
    on_hold: list[Held] = field(default_factory=list)
    on_hold_count: int = 0

    @property
    def caseworker_id(self) -> int | None:
        return self.filters.caseworker_id


def caseworkers(user: User) -> list[User]:
    """The agency's people who can hold cases, for the admin's filter."""
    return people(user.organisation_id, Role.CASEWORKER, Role.AGENCY_ADMIN)


def read_caseworker(args: Mapping[str, str], user: User) -> int | None:
    """The caseworker filter from the query string; unknown values mean no filter."""
    if user.role != Role.AGENCY_ADMIN:
        return None
    known = {str(u.id): u.id for u in caseworkers(user)}
    return known.get((args.get("caseworker") or "").strip())


def read_filters(args: Mapping[str, str], user: User) -> WorkFilters:
    """The worklist's filters from the query string; anything unknown is ignored."""
    statuses = {s.value: s for s in OPEN}
    page = (args.get("page") or "").strip()
    return WorkFilters(
        caseworker_id=read_caseworker(args, user),
        status=statuses.get((args.get("status") or "").strip()),
        page=int(page) if page.isascii() and page.isdigit() and 0 < len(page) < 7 else 1,
    )


def open_cases(user: User, filters: WorkFilters) -> Select:
    """The open cases the user works (a caseworker sees only theirs: tenancy), filtered."""
    return select(Case).where(_worked(user, filters))


def _worked(user: User, filters: WorkFilters, joined: bool = False) -> ColumnElement[bool]:
    """The condition behind `open_cases`. `joined`: the same cases for rows of another table
    joined to their case, with the statuses written as NOT IN (see
    portal/dashboard/services.is_open); the worklist's own order is read from an index on
    status, which wants them as IN."""
    if filters.status:
        status = Case.status == filters.status
    elif joined:
        status = Case.status.not_in(NOT_WORKING)
    else:
        status = Case.status.in_(OPEN)
    clause = scope(Case, user) & status
    if filters.caseworker_id is not None:
        clause = clause & (Case.assigned_to_id == filters.caseworker_id)
    return clause


WORK_ORDER = (Case.next_action_on.asc().nulls_last(), Case.accepted_at, Case.id)


def worklist(user: User, at: datetime, filters: WorkFilters | None = None) -> Worklist:
    """One page of the user's open cases by next action, each with its balance now and whether
    the debtor may be called now; over all of them: promises due today, broken plans and the
    cases on hold."""
    filters = filters or WorkFilters()
    base = open_cases(user, filters)
    ids = base.with_only_columns(Case.id).order_by(None)
    total = db.session.scalar(select(func.count()).select_from(ids.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    filters.page = min(filters.page, pages)
    # The page's ids first (ordered from an index that holds the order's columns), then the
    # cases shown, each carrying its balance (portal/ledger/totals.py).
    page_ids = list(
        db.session.scalars(
            ids.order_by(*WORK_ORDER).limit(PAGE_SIZE).offset((filters.page - 1) * PAGE_SIZE)
        )
    )
    page = db.session.scalars(
        select(Case).where(Case.id.in_(page_ids)).options(*_case_loads()).order_by(*WORK_ORDER)
    ).all()
    today = at.astimezone(ZoneInfo(user.zone)).date()
    scoped = base.whereclause  # the user's open cases, filtered: for queries joined to Case
    promises, held = _promises_on(today, scoped), _on_hold(base)
    broken = _broken_plans(_worked(user, filters, joined=True))
    return Worklist(
        rows=_rows(list(page), at),
        today=today,
        filters=filters,
        total=total,
        pages=pages,
        promises_today=promises.shown,
        promises_count=promises.count,
        broken_plans=broken.shown,
        broken_count=broken.count,
        on_hold=held.shown,
        on_hold_count=held.count,
    )


def _case_loads() -> list:
    return [
        selectinload(Case.debtor),
        selectinload(Case.business),
        selectinload(Case.agreement),
        selectinload(Case.assigned_to),
    ]


def _rows(cases: list[Case], at: datetime) -> list[WorkRow]:
    ids = [c.id for c in cases]
    logs = _logs(ids)
    disputes = _open_disputes(ids)
    return [
        WorkRow(
            case=c,
            decision=services.decide(
                c,
                at,
                entries=logs[c.id],
                on_hold=c.status == CaseStatus.ON_HOLD or c.id in disputes,
            ),
            dispute=disputes.get(c.id),
            balance=c.balance_minor,
        )
        for c in cases
    ]


def _shown(stmt: Select, model, *loads) -> tuple[list, int]:
    """The first SIDE_SHOWN rows of `stmt` (selecting `model`, ordered), loaded with `loads`,
    and how many rows it has in all: the rule is evaluated once, for the ordered ids."""
    ids = list(db.session.scalars(stmt.with_only_columns(model.id)))
    first = ids[:SIDE_SHOWN]
    found = {
        row.id: row for row in db.session.scalars(stmt.where(model.id.in_(first)).options(*loads))
    }
    return [found[i] for i in first], len(ids)


def _on_hold(base: Select) -> Shown[Held]:
    """The filtered cases on hold, each with its open dispute."""
    cases, count = _shown(
        base.where(Case.status == CaseStatus.ON_HOLD).order_by(*WORK_ORDER),
        Case,
        selectinload(Case.debtor),
        selectinload(Case.business),
    )
    disputes = _open_disputes([c.id for c in cases])
    return Shown([Held(c, disputes.get(c.id)) for c in cases], count)


def _logs(case_ids: list[int]) -> dict[int, list]:
    """The contact log of each case, oldest first, as the contact rules read it: the few
    columns `services.attempts_of` uses, as plain rows (a page of 50 cases reads hundreds of
    entries, and whole ORM entries cost several times more to build)."""
    logs: dict[int, list] = defaultdict(list)
    if not case_ids:
        return logs
    entry = CorrespondenceEntry
    rows = db.session.execute(
        select(
            entry.id,
            entry.case_id,
            entry.occurred_at,
            entry.channel,
            entry.direction,
            entry.outcome_code,
            entry.corrects_id,
        )
        .where(
            entry.case_id.in_(case_ids),
            entry.side == Side.AGENCY,
            entry.outcome_code.is_not(None),
        )
        .order_by(entry.occurred_at, entry.id)
    )
    for row in rows:
        logs[row.case_id].append(row)
    return logs


def _open_disputes(case_ids: list[int]) -> dict[int, Dispute]:
    if not case_ids:
        return {}
    rows = db.session.scalars(
        select(Dispute).where(Dispute.case_id.in_(case_ids), Dispute.resolution.is_(None))
    )
    return {d.case_id: d for d in rows}


def _promises_on(day: date, scoped: ColumnElement[bool]) -> Shown[Promise]:
    """Standing promises to pay (the latest on the case, not corrected, not yet kept: see
    portal/casework/promises.py) falling due on `day`, by case reference."""
    entries, count = _shown(
        select(CorrespondenceEntry)
        .join(Case, Case.promise_entry_id == CorrespondenceEntry.id)
        .where(scoped, Case.promise_due_on == day)
        .order_by(Case.reference, CorrespondenceEntry.id),
        CorrespondenceEntry,
        selectinload(CorrespondenceEntry.case).selectinload(Case.debtor),
    )
    return Shown([Promise(e.case, e) for e in entries], count)


def _broken_plans(scoped: ColumnElement[bool]) -> Shown[Arrangement]:
    """Broken payment plans (the dashboard's rule: broken or missed, not replaced since),
    the latest broken first."""
    plans, count = _shown(
        select(Arrangement)
        .join(Case, Case.id == Arrangement.case_id)
        .where(scoped, agency_figures.broken_plans())
        .order_by(Arrangement.broken_at.desc().nulls_last(), Arrangement.id.desc()),
        Arrangement,
        selectinload(Arrangement.case).selectinload(Case.debtor),
    )
    return Shown(plans, count)


# --- the CSV export --------------------------------------------------------------------------

EXPORT_HEADER = [
    "reference",
    "status",
    "debtor",
    "business",
    "currency",
    "balance at placement",
    "recovered",
    "balance now",
    "submitted",
    "last change",
    "caseworker",
]


def export_rows(user: User, filters: WorkFilters) -> Iterator[list[str]]:
    """Every case of the worklist with these filters (all pages), in its order, as CSV rows."""
    base = open_cases(user, filters)
    business, worker = aliased(Organisation), aliased(User)
    stmt = (
        base.with_only_columns(
            Case.reference,
            Case.status,
            Case.close_code,
            Debtor.name,
            business.name,
            Case.currency,
            Case.placement_balance_minor,
            Case.recovered_minor,
            Case.charges_minor,
            Case.submitted_at,
            func.coalesce(Case.updated_at, Case.created_at),
            worker.name,
        )
        .join(Debtor, Debtor.id == Case.debtor_id)
        .join(business, business.id == Case.business_id)
        .outerjoin(worker, worker.id == Case.assigned_to_id)
        .order_by(*WORK_ORDER)
    )
    zone = export.viewer_zone(user)
    for (
        ref,
        status,
        code,
        debtor,
        client,
        cur,
        placed,
        got,
        added,
        sent,
        changed,
        who,
    ) in export.streamed(stmt):
        yield [
            export.safe_text(ref),
            export.safe_text(export.status_text(status, code)),
            export.safe_text(debtor),
            export.safe_text(client),
            export.safe_text(cur),
            export.amount(placed, cur),
            export.amount(got or 0, cur),
            export.amount(export.balance_now(placed, added, got), cur),
            export.iso_day(sent, zone),
            export.iso_day(changed, zone),
            export.safe_text(who),
        ]


def flagged_contacts(user: User) -> list[CorrespondenceEntry]:
    """Every contact logged against the rules on the agency's cases, newest first."""
    return list(
        db.session.scalars(
            owned(CorrespondenceEntry, user)
            .where(CorrespondenceEntry.rule_breach == true())
            .options(
                selectinload(CorrespondenceEntry.case).selectinload(Case.debtor),
                selectinload(CorrespondenceEntry.recorded_by),
            )
            .order_by(CorrespondenceEntry.occurred_at.desc(), CorrespondenceEntry.id.desc())
        )
    )


def contact_log(case: Case, user: User) -> list[CorrespondenceEntry]:
    """The agency's contact log on the case as this user may see it (a business never sees
    internal entries), newest first."""
    return list(
        db.session.scalars(
            owned(CorrespondenceEntry, user)
            .where(
                CorrespondenceEntry.case_id == case.id,
                CorrespondenceEntry.side == Side.AGENCY,
                CorrespondenceEntry.outcome_code.is_not(None),
            )
            .options(selectinload(CorrespondenceEntry.recorded_by))
            .order_by(CorrespondenceEntry.occurred_at.desc(), CorrespondenceEntry.id.desc())
        )
    )
