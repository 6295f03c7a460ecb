"""Telling people what needs them: an in-portal notification per user.

E-mail (through the outbox) and per-user preferences build on `notify()`.
"""

from collections.abc import Iterable

from sqlalchemy import select

from portal.extensions import db
from portal.models import Case, Notification, Organisation, Role, User


def notify(
    users: Iterable[User],
    kind: str,
    text: str,
    *,
    case: Case | None = None,
    link: str | None = None,
) -> list[Notification]:
    """One notification for each active user given."""
    notes = [
        Notification(
            user_id=u.id,
            kind=kind,
            text=text,
            link=link,
            case_id=case.id if case is not None else None,
        )
        for u in users
        if u.active
    ]
    db.session.add_all(notes)
    db.session.flush()
    return notes


def people(organisation: Organisation | int, *roles: Role) -> list[User]:
    """The active users of an organisation with one of these roles (all roles if none)."""
    org_id = organisation if isinstance(organisation, int) else organisation.id
    stmt = select(User).where(User.organisation_id == org_id, User.active.is_(True))
    if roles:
        stmt = stmt.where(User.role.in_(roles))
    return list(db.session.scalars(stmt.order_by(User.id)))
