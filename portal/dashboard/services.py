"""The figures on each role's home page, counted in SQL."""

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Agreement, AgreementStatus, Case, CaseStatus, User
from portal.tenancy import scope


def cases_by_status(user: User) -> dict[CaseStatus, int]:
    """How many cases the user can see in each status (every status present, zeros included)."""
    rows = db.session.execute(
        select(Case.status, func.count(Case.id)).where(scope(Case, user)).group_by(Case.status)
    ).all()
    counts = dict.fromkeys(CaseStatus, 0)
    counts.update(dict(rows))
    if user.is_agency:
        counts.pop(CaseStatus.DRAFT)
    return counts


def agreement_counts(user: User) -> dict[AgreementStatus, int]:
    rows = db.session.execute(
        select(Agreement.status, func.count(Agreement.id))
        .where(scope(Agreement, user))
        .group_by(Agreement.status)
    ).all()
    counts = dict.fromkeys(AgreementStatus, 0)
    counts.update(dict(rows))
    return counts


def user_count(user: User) -> int:
    return db.session.scalar(
        select(func.count(User.id)).where(scope(User, user), User.active.is_(True))
    )
