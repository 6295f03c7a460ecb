"""Who may see what: one scoped lookup for every organisation-owned row, and role checks.

Every route that reads a tenant-owned row goes through `owned()` or `get_or_404()`. A row that
belongs to another organisation answers 404, never 403, so its existence is not confirmed.
A wrong role answers 403: the page exists, but not for this user.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import ColumnElement, Select, false, or_, select

from portal.extensions import db
from portal.models import (
    Agreement,
    Arrangement,
    Case,
    CaseStatus,
    Charge,
    ChargeTerm,
    CollectionMonth,
    CorrespondenceEntry,
    Debtor,
    Dispute,
    Document,
    ImportMapping,
    Instalment,
    Invitation,
    Invoice,
    Message,
    Notification,
    Organisation,
    Recovery,
    Role,
    Statement,
    StatementLine,
    User,
)

M = TypeVar("M")


def case_scope(user: User) -> ColumnElement[bool]:
    """The cases a user may see.

    A business sees its own cases. An agency sees the cases placed with it (never a draft);
    a caseworker only those assigned to them.
    """
    if user.role in (Role.BUSINESS_ADMIN, Role.BUSINESS_MEMBER):
        return Case.business_id == user.organisation_id
    placed = (Case.agency_id == user.organisation_id) & (Case.status != CaseStatus.DRAFT)
    if user.role == Role.CASEWORKER:
        return placed & (Case.assigned_to_id == user.id)
    return placed


def collection_scope(user: User) -> ColumnElement[bool]:
    """The kept monthly collections a user may see: those of the cases they may see."""
    if user.role in (Role.BUSINESS_ADMIN, Role.BUSINESS_MEMBER):
        return CollectionMonth.business_id == user.organisation_id
    mine = CollectionMonth.agency_id == user.organisation_id
    if user.role == Role.CASEWORKER:
        return mine & (CollectionMonth.assigned_to_id == user.id)
    return mine


def _through_case(column) -> Callable[[User], ColumnElement[bool]]:
    return lambda user: column.in_(select(Case.id).where(case_scope(user)))


def _hidden_from_business(model) -> Callable[[User], ColumnElement[bool]]:
    """Rows on a visible case, less the agency's internal ones when a business looks."""

    def rule(user: User) -> ColumnElement[bool]:
        on_case = _through_case(model.case_id)(user)
        return on_case if user.is_agency else on_case & (model.internal == false())

    return rule


def _organisation_rule(user: User) -> ColumnElement[bool]:
    """Your own organisation, and the other side of any agreement you hold."""
    partners = select(Agreement.business_id).where(Agreement.agency_id == user.organisation_id)
    partners = partners.union(
        select(Agreement.agency_id).where(Agreement.business_id == user.organisation_id)
    )
    rule = or_(Organisation.id == user.organisation_id, Organisation.id.in_(partners))
    if user.is_agency:
        rule = or_(rule, Organisation.invited_by_id == user.organisation_id)
    return rule


RULES: dict[type, Callable[[User], ColumnElement[bool]]] = {
    Organisation: _organisation_rule,
    User: lambda user: User.organisation_id == user.organisation_id,
    Invitation: lambda user: Invitation.organisation_id == user.organisation_id,
    Agreement: lambda user: or_(
        Agreement.business_id == user.organisation_id,
        Agreement.agency_id == user.organisation_id,
    ),
    Debtor: lambda user: (
        (Debtor.business_id == user.organisation_id)
        if not user.is_agency
        else Debtor.id.in_(select(Case.debtor_id).where(case_scope(user)))
    ),
    Case: case_scope,
    Invoice: _through_case(Invoice.case_id),
    ChargeTerm: _through_case(ChargeTerm.case_id),
    Charge: _through_case(Charge.case_id),
    CorrespondenceEntry: _hidden_from_business(CorrespondenceEntry),
    Document: _through_case(Document.case_id),
    Message: _hidden_from_business(Message),
    Dispute: _through_case(Dispute.case_id),
    Recovery: _through_case(Recovery.case_id),
    CollectionMonth: collection_scope,
    Arrangement: _through_case(Arrangement.case_id),
    Instalment: lambda user: Instalment.arrangement_id.in_(
        select(Arrangement.id).where(_through_case(Arrangement.case_id)(user))
    ),
    Statement: lambda user: or_(
        Statement.agency_id == user.organisation_id,
        Statement.business_id == user.organisation_id,
    ),
    StatementLine: lambda user: StatementLine.statement_id.in_(
        select(Statement.id).where(RULES[Statement](user))
    ),
    ImportMapping: lambda user: ImportMapping.business_id == user.organisation_id,
    Notification: lambda user: Notification.user_id == user.id,
}


def scope(model: type, user: User | None = None) -> ColumnElement[bool]:
    """The WHERE clause limiting `model` to what `user` (default: the current user) may see."""
    user = user or current_user
    if not getattr(user, "is_authenticated", False):
        return false()
    try:
        rule = RULES[model]
    except KeyError:
        raise LookupError(f"{model.__name__} has no tenancy rule in portal.tenancy.RULES") from None
    return rule(user) if user.active else false()


def owned(model: type[M], user: User | None = None) -> Select[tuple[M]]:
    """`select(model)` limited to the rows the user may see. Add filters and order to taste."""
    return select(model).where(scope(model, user))


def get_or_404(model: type[M], ident: Any, user: User | None = None, **must_match: Any) -> M:
    """The row with this id if the user may see it, else 404.

    `must_match` checks a row reached through another one belongs to it, e.g.
    `get_or_404(Document, doc_id, case_id=case.id)`.
    """
    try:
        ident = int(ident)
    except (TypeError, ValueError):
        abort(404)
    stmt = owned(model, user).where(model.id == ident)
    for name, value in must_match.items():
        stmt = stmt.where(getattr(model, name) == value)
    row = db.session.scalars(stmt).first()
    if row is None:
        abort(404)
    return row


def requires(*roles: Role | str) -> Callable:
    """Only signed-in users with one of these roles; others get 403 (anonymous: the login page)."""
    allowed = {Role(r) for r in roles}

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = frozenset(allowed)  # read by the access-matrix tests
        return wrapped

    return decorator


def signed_in(view: Callable) -> Callable:
    """Any signed-in user, whatever the role."""
    wrapped = login_required(view)
    wrapped.required_roles = frozenset(Role)
    return wrapped


__all__ = ["case_scope", "get_or_404", "owned", "requires", "scope", "signed_in"]
