"""Reading casework: the caseworker's day (the agency's case list for an admin) and the
compliance view of flagged contacts. Every lookup goes through tenancy."""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.casework import services
from portal.casework.contact_rules import ContactDecision
from portal.extensions import db
from portal.models import (
    Arrangement,
    ArrangementKind,
    ArrangementStatus,
    Case,
    CaseStatus,
    ContactOutcome,
    CorrespondenceEntry,
    Dispute,
    Role,
    Side,
    User,
)
from portal.notifications import people
from portal.tenancy import owned

OPEN = tuple(s for s in services.WORKING)


@dataclass
class WorkRow:
    case: Case
    decision: ContactDecision
    dispute: Dispute | None = None

    def overdue(self, today: date) -> bool:
        return self.case.next_action_on is not None and self.case.next_action_on < today


@dataclass
class Promise:
    case: Case
    entry: CorrespondenceEntry


@dataclass
class Worklist:
    rows: list[WorkRow]
    today: date
    promises_today: list[Promise] = field(default_factory=list)
    broken_plans: list[Arrangement] = field(default_factory=list)
    caseworker_id: int | None = None

    @property
    def on_hold(self) -> list[WorkRow]:
        return [r for r in self.rows if r.case.status == CaseStatus.ON_HOLD]


def caseworkers(user: User) -> list[User]:
    """The agency's people who can hold cases, for the admin's filter."""
    return people(user.organisation_id, Role.CASEWORKER, Role.AGENCY_ADMIN)


def read_caseworker(args: Mapping[str, str], user: User) -> int | None:
    """The caseworker filter from the query string; unknown values mean no filter."""
    if user.role != Role.AGENCY_ADMIN:
        return None
    known = {str(u.id): u.id for u in caseworkers(user)}
    return known.get((args.get("caseworker") or "").strip())


def worklist(user: User, at: datetime, caseworker_id: int | None = None) -> Worklist:
    """The user's open cases by next action (a caseworker sees only theirs: tenancy), each with
    whether the debtor may be called now; promises due today; broken plans."""
    stmt = (
        owned(Case, user)
        .where(Case.status.in_(OPEN))
        .options(
            selectinload(Case.debtor),
            selectinload(Case.business),
            selectinload(Case.agreement),
            selectinload(Case.assigned_to),
        )
        .order_by(Case.next_action_on.asc().nulls_last(), Case.accepted_at, Case.id)
    )
    if caseworker_id is not None:
        stmt = stmt.where(Case.assigned_to_id == caseworker_id)
    cases = list(db.session.scalars(stmt))
    ids = [c.id for c in cases]
    logs = _logs(ids)
    disputes = _open_disputes(ids)
    rows = [
        WorkRow(
            case=c,
            decision=services.decide(
                c,
                at,
                entries=logs[c.id],
                on_hold=c.status == CaseStatus.ON_HOLD or c.id in disputes,
            ),
            dispute=disputes.get(c.id),
        )
        for c in cases
    ]
    today = at.astimezone(ZoneInfo(user.zone)).date()
    by_id = {c.id: c for c in cases}
    return Worklist(
        rows=rows,
        today=today,
        promises_today=_promises_on(today, logs, by_id),
        broken_plans=_broken_plans(ids),
        caseworker_id=caseworker_id,
    )


def _logs(case_ids: list[int]) -> dict[int, list[CorrespondenceEntry]]:
    logs: dict[int, list[CorrespondenceEntry]] = defaultdict(list)
    if not case_ids:
        return logs
    entries = db.session.scalars(
        select(CorrespondenceEntry)
        .where(
            CorrespondenceEntry.case_id.in_(case_ids),
            CorrespondenceEntry.side == Side.AGENCY,
            CorrespondenceEntry.outcome_code.is_not(None),
        )
        .order_by(CorrespondenceEntry.occurred_at, CorrespondenceEntry.id)
    )
    for entry in entries:
        logs[entry.case_id].append(entry)
    return logs


def _open_disputes(case_ids: list[int]) -> dict[int, Dispute]:
    if not case_ids:
        return {}
    rows = db.session.scalars(
        select(Dispute).where(Dispute.case_id.in_(case_ids), Dispute.resolution.is_(None))
    )
    return {d.case_id: d for d in rows}


def _promises_on(
    day: date, logs: dict[int, list[CorrespondenceEntry]], cases: dict[int, Case]
) -> list[Promise]:
    """Promises to pay (that still stand, not corrected away) falling due on `day`."""
    promises = [
        Promise(cases[case_id], entry)
        for case_id, entries in logs.items()
        for entry in services.effective(entries)
        if entry.outcome_code == ContactOutcome.PROMISE_TO_PAY and entry.promise_date == day
    ]
    return sorted(promises, key=lambda p: (p.case.reference or "", p.entry.id))


def _broken_plans(case_ids: list[int]) -> list[Arrangement]:
    if not case_ids:
        return []
    return list(
        db.session.scalars(
            select(Arrangement)
            .where(
                Arrangement.case_id.in_(case_ids),
                Arrangement.kind == ArrangementKind.PLAN,
                Arrangement.status == ArrangementStatus.BROKEN,
            )
            .options(selectinload(Arrangement.case).selectinload(Case.debtor))
            .order_by(Arrangement.broken_at.desc().nulls_last(), Arrangement.id.desc())
        )
    )


def flagged_contacts(user: User) -> list[CorrespondenceEntry]:
    """Every contact logged against the rules on the agency's cases, newest first."""
    return list(
        db.session.scalars(
            owned(CorrespondenceEntry, user)
            .where(CorrespondenceEntry.rule_breach.is_(True))
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
