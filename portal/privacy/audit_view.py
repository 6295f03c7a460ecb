"""The audit view: an admin reads their own organisation's trail, filtered and paginated.

Who sees which events:
- events an actor of their own organisation caused (sign-ins, users, agreements, cases...);
- events on a case they may see (tenancy's case scope), whoever caused them, except that a
  business never sees the agency's internal events, nor what the agency's people did outside its
  cases.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import Case, Event, User
from portal.tenancy import case_scope

PAGE_SIZE = 50


def visible(user: User) -> ColumnElement[bool]:
    """The events `user` (an admin) may read in the audit view."""
    own = Event.organisation_id == user.organisation_id
    on_case = Event.case_id.in_(select(Case.id).where(case_scope(user)))
    if user.is_agency:
        return or_(own, on_case)
    return or_(own, on_case & (Event.internal == false()))


@dataclass(frozen=True)
class Filters:
    kind: str = ""
    person_id: int | None = None
    reference: str = ""
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1


@dataclass(frozen=True)
class Page:
    events: list[tuple[Event, str | None]]
    total: int
    page: int
    pages: int


def kinds(user: User) -> list[str]:
    """The kinds of event this admin's trail holds, for the filter."""
    stmt = select(Event.kind).where(visible(user)).distinct().order_by(Event.kind)
    return list(db.session.scalars(stmt))


def people(user: User) -> list[User]:
    """The people whose events this admin may see: their own organisation's users first."""
    actors = select(Event.actor_id).where(visible(user), Event.actor_id.is_not(None)).distinct()
    stmt = select(User).where(User.id.in_(actors)).options(selectinload(User.organisation))
    found = list(db.session.scalars(stmt))
    return sorted(found, key=lambda u: (u.organisation_id != user.organisation_id, u.name.lower()))


def search(user: User, filters: Filters) -> Page:
    """The events matching the filters, newest first, one page of them."""
    stmt = (
        select(Event, Case.reference)
        .outerjoin(Case, Case.id == Event.case_id)
        .where(visible(user), *_conditions(user, filters))
    )
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(filters.page, 1), pages)
    rows = db.session.execute(
        stmt.options(selectinload(Event.actor).selectinload(User.organisation))
        .order_by(Event.occurred_at.desc(), Event.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return Page([(event, reference) for event, reference in rows], total, page, pages)


def _conditions(user: User, f: Filters) -> list[ColumnElement[bool]]:
    zone = ZoneInfo(user.zone)
    found: list[ColumnElement[bool]] = []
    if f.kind:
        found.append(Event.kind == f.kind)
    if f.person_id:
        found.append(Event.actor_id == f.person_id)
    if f.reference.strip():
        found.append(func.upper(Case.reference) == f.reference.strip().upper())
    if f.date_from:
        found.append(Event.occurred_at >= _start_of(f.date_from, zone))
    if f.date_to:
        found.append(Event.occurred_at < _start_of(f.date_to + timedelta(days=1), zone))
    return found


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    """Midnight of `day` in the viewer's zone, in UTC."""
    return datetime.combine(day, time(0), zone).astimezone(UTC)
