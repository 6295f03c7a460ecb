"""Telling people what needs them: an in-portal notification per user, and e-mail.

`notify()` writes one notification per user. For the kinds of event that need someone
(`EMAIL_KINDS`) it also puts an e-mail in the outbox for each recipient, unless that user turned
e-mail for the kind off (`NotificationPreference`). `portal.mail` delivers the outbox.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request, url_for
from sqlalchemy import func, select, update

from portal.extensions import db
from portal.models import (
    Case,
    Notification,
    NotificationPreference,
    Organisation,
    OutboxMail,
    Role,
    User,
)

BUSINESS = frozenset({Role.BUSINESS_ADMIN, Role.BUSINESS_MEMBER})
BUSINESS_ADMIN, AGENCY_ADMIN = frozenset({Role.BUSINESS_ADMIN}), frozenset({Role.AGENCY_ADMIN})


@dataclass(frozen=True)
class EmailKind:
    label: str  # what the settings page says, in plain words
    subject: str  # the e-mail's subject, after the case reference
    roles: frozenset[Role]  # whose settings page offers it (see `email_kinds_for`)


# The events that need someone, in the order the settings page lists them.
EMAIL_KINDS: dict[str, EmailKind] = {
    "placement_received": EmailKind(
        "A business places a new case with your agency", "new placement received", AGENCY_ADMIN
    ),
    "placement_accepted": EmailKind(
        "The agency accepts a case you placed", "placement accepted", BUSINESS
    ),
    "placement_rejected": EmailKind(
        "The agency turns down a case you placed", "placement turned down", BUSINESS
    ),
    "information_requested": EmailKind(
        "The agency asks you for more information about a case",
        "the agency has a question",
        BUSINESS,
    ),
    "dispute_raised": EmailKind(
        "A debtor disputes what they owe", "dispute raised", BUSINESS | AGENCY_ADMIN
    ),
    "settlement_approval_needed": EmailKind(
        "A settlement offer needs your approval", "settlement needs your approval", BUSINESS_ADMIN
    ),
    "payment_recorded": EmailKind("A payment is recorded on a case", "payment recorded", BUSINESS),
    "statement_issued": EmailKind(
        "A remittance statement is issued", "remittance statement issued", BUSINESS_ADMIN
    ),
}

DEFAULT_BASE_URL = "http://localhost:5000"


def notify(
    users: Iterable[User],
    kind: str,
    text: str,
    *,
    case: Case | None = None,
    link: str | None = None,
) -> list[Notification]:
    """One notification for each active user given, and e-mail for the kinds that need it."""
    recipients = [u for u in users if u is not None and u.active]
    notes = [
        Notification(
            user_id=u.id,
            kind=kind,
            text=text,
            link=link,
            case_id=case.id if case is not None else None,
        )
        for u in recipients
    ]
    db.session.add_all(notes)
    if kind in EMAIL_KINDS:
        wanted = _wants_email(recipients, kind)
        db.session.add_all(_mail(u, kind, text, case, link) for u in recipients if u.id in wanted)
    db.session.flush()
    return notes


def people(organisation: Organisation | int, *roles: Role) -> list[User]:
    """The active users of an organisation with one of these roles (all roles if none)."""
    org_id = organisation if isinstance(organisation, int) else organisation.id
    stmt = select(User).where(User.organisation_id == org_id, User.active.is_(True))
    if roles:
        stmt = stmt.where(User.role.in_(roles))
    return list(db.session.scalars(stmt.order_by(User.id)))


# Preferences -------------------------------------------------------------------------------


def email_kinds_for(user: User) -> list[str]:
    """The e-mail kinds a user's settings offer: those their role is usually told of, and any
    kind they have already been notified of (so every e-mail they get can be turned off)."""
    received = set(
        db.session.scalars(
            select(Notification.kind)
            .where(Notification.user_id == user.id, Notification.kind.in_(EMAIL_KINDS))
            .distinct()
        )
    )
    return [k for k, info in EMAIL_KINDS.items() if user.role in info.roles or k in received]


def email_preferences(user: User) -> dict[str, bool]:
    """For each e-mail kind, whether this user gets the e-mail (yes unless turned off)."""
    saved = dict(
        db.session.execute(
            select(NotificationPreference.kind, NotificationPreference.email_enabled).where(
                NotificationPreference.user_id == user.id
            )
        ).all()
    )
    return {kind: saved.get(kind, True) for kind in EMAIL_KINDS}


def save_email_preferences(user: User, choices: dict[str, bool]) -> None:
    """Keep the user's choice for every e-mail kind given; unknown kinds are refused."""
    unknown = set(choices) - set(EMAIL_KINDS)
    if unknown:
        raise ValueError(f"not e-mail kinds: {', '.join(sorted(unknown))}")
    for kind, enabled in choices.items():
        pref = db.session.get(NotificationPreference, (user.id, kind))
        if pref is None:
            db.session.add(
                NotificationPreference(user_id=user.id, kind=kind, email_enabled=enabled)
            )
        else:
            pref.email_enabled = enabled
    db.session.flush()


def _wants_email(users: list[User], kind: str) -> set[int]:
    ids = {u.id for u in users}
    if not ids:
        return set()
    off = db.session.scalars(
        select(NotificationPreference.user_id).where(
            NotificationPreference.kind == kind,
            NotificationPreference.email_enabled.is_(False),
            NotificationPreference.user_id.in_(ids),
        )
    )
    return ids - set(off)


# Reading and marking -----------------------------------------------------------------------


def unread_count(user: User) -> int:
    """How many of the user's notifications are not read yet."""
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    )


def mark_read(note: Notification, now: datetime) -> None:
    """Mark one notification read (the first reading time is kept)."""
    if note.read_at is None:
        note.read_at = now
        db.session.flush()


def mark_all_read(user: User, now: datetime) -> int:
    """Mark every unread notification of the user read; return how many there were."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session="fetch")
    )
    db.session.flush()
    return result.rowcount or 0


def target(note: Notification) -> str:
    """Where opening the notification leads: its link (inside the portal), else its case."""
    if note.link and _is_local(note.link):
        return note.link
    if note.case_id is not None:
        return url_for("cases.show", case_id=note.case_id)
    return url_for("notices.index")


def _is_local(link: str) -> bool:
    parts = urlsplit(link)
    return link.startswith("/") and not link.startswith("//") and not parts.netloc


# E-mail --------------------------------------------------------------------------------------


def _mail(user: User, kind: str, text: str, case: Case | None, link: str | None) -> OutboxMail:
    reference = case.reference if case is not None and case.reference else None
    subject = EMAIL_KINDS[kind].subject
    subject = f"{reference}: {subject}" if reference else subject[:1].upper() + subject[1:]
    return OutboxMail(
        to_address=user.email,
        subject=subject[:300],
        body=_body(user, text, reference, _mail_link(case, link)),
        attempts=0,
    )


def _body(user: User, text: str, reference: str | None, link: str) -> str:
    lines = [f"Hello {user.name},", "", text, ""]
    if reference:
        lines.append(f"Case: {reference}")
    lines += [
        f"Open it in the portal: {link}",
        "",
        "You receive this e-mail because you use the Collections Portal.",
        f"To choose which e-mails you receive: {absolute_url('notices.settings')}",
    ]
    return "\n".join(lines) + "\n"


def _mail_link(case: Case | None, link: str | None) -> str:
    if link and _is_local(link):
        return _origin() + link
    if link and urlsplit(link).scheme in ("http", "https"):
        return link
    if case is not None:
        return absolute_url("cases.show", case_id=case.id)
    return absolute_url("notices.index")


def absolute_url(endpoint: str, **values) -> str:
    """A full address for e-mail: PORTAL_BASE_URL when set, else the current request's host."""
    configured = current_app.config.get("PORTAL_BASE_URL")
    if not configured and has_request_context():
        return url_for(endpoint, _external=True, **values)
    base = urlsplit(_base_url())
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)


def _base_url() -> str:
    return (current_app.config.get("PORTAL_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")


def _origin() -> str:
    """scheme://host of the portal, for a path that already holds any script root."""
    if not current_app.config.get("PORTAL_BASE_URL") and has_request_context():
        return request.host_url.rstrip("/")
    base = urlsplit(_base_url())
    return f"{base.scheme or 'https'}://{base.netloc}"
