"""The audit trail: one call records who did what, in the same transaction as the change."""

from typing import Any

from flask import has_request_context, request
from flask_login import current_user

from portal.extensions import db
from portal.models import Case, Event, User, utcnow


def record(
    kind: str,
    *,
    case: Case | None = None,
    summary: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    internal: bool = False,
    actor: User | None = None,
) -> Event:
    """Add an Event for the current user (or `actor`) and flush it with the change it records."""
    actor = actor or _current_actor()
    event = Event(
        occurred_at=utcnow(),
        actor_id=actor.id if actor else None,
        organisation_id=actor.organisation_id if actor else None,
        case_id=case.id if case is not None else None,
        kind=kind,
        summary=summary,
        before=before,
        after=after,
        internal=internal,
        ip_address=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    db.session.flush()
    return event


def _current_actor() -> User | None:
    if has_request_context() and getattr(current_user, "is_authenticated", False):
        return current_user._get_current_object()
    return None
