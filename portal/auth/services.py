"""Signing in, invitations and passwords."""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from portal import audit
from portal.auth.passwords import hash_password, password_problem, verify_password
from portal.errors import DomainError
from portal.extensions import db
from portal.models import Invitation, Organisation, Role, User, utcnow

MAX_FAILURES = 10
LOCK_MINUTES = 15
# Checked against when the e-mail is unknown, so both paths take the same time.
_DUMMY_HASH = hash_password("not-a-real-password-0")
SIGN_IN_REFUSED = "That e-mail and password do not match an active account."


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalars(select(User).where(User.email == normalise_email(email))).first()


def authenticate(email: str, password: str) -> User:
    """The user these credentials belong to, or DomainError with a message that reveals nothing
    about whether the e-mail exists. Failures are counted; too many lock the account a while."""
    user = find_user_by_email(email)
    if user is None:
        verify_password(_DUMMY_HASH, password)
        raise DomainError(SIGN_IN_REFUSED)
    now = utcnow()
    if user.locked_until and user.locked_until > now:
        raise DomainError(
            "Too many failed attempts. Sign-in is paused for a while; try again later."
        )
    if not verify_password(user.password_hash, password) or not user.active:
        _count_failure(user)
        raise DomainError(SIGN_IN_REFUSED)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record("signed_in", actor=user)
    return user


def _count_failure(user: User) -> None:
    user.failed_logins += 1
    if user.failed_logins >= MAX_FAILURES:
        user.locked_until = utcnow() + timedelta(minutes=LOCK_MINUTES)
        user.failed_logins = 0
        audit.record("account_locked", actor=user)
    db.session.flush()


def create_user(
    organisation: Organisation, email: str, name: str, role: Role, password: str
) -> User:
    """A new user of an organisation; the role must belong to its kind."""
    email = normalise_email(email)
    if Role(role).org_kind != organisation.kind:
        raise DomainError(
            f"A {organisation.kind} cannot have a {Role(role).label.lower()}.", field="role"
        )
    if find_user_by_email(email) is not None:
        raise DomainError("An account with this e-mail already exists.", field="email")
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise DomainError(problem, field="password")
    user = User(
        organisation=organisation,
        email=email,
        name=name.strip(),
        role=Role(role),
        password_hash=hash_password(password),
        active=True,
        failed_logins=0,
    )
    db.session.add(user)
    db.session.flush()
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(
    organisation: Organisation, email: str, name: str, role: Role, invited_by: User
) -> tuple[Invitation, str]:
    """An invitation and its one-time token (shown once to the inviter, never stored)."""
    email = normalise_email(email)
    if Role(role).org_kind != organisation.kind:
        raise DomainError(
            f"A {organisation.kind} cannot have a {Role(role).label.lower()}.", field="role"
        )
    if find_user_by_email(email) is not None:
        raise DomainError("Someone already has an account with this e-mail.", field="email")
    token = secrets.token_urlsafe(32)
    days = current_app.config["INVITATION_DAYS"]
    invitation = Invitation(
        organisation=organisation,
        email=email,
        name=name.strip(),
        role=Role(role),
        token_hash=_token_hash(token),
        expires_at=utcnow() + timedelta(days=days),
        created_by_id=invited_by.id,
    )
    db.session.add(invitation)
    db.session.flush()
    audit.record(
        "user_invited", summary=f"{name} <{email}> invited as {Role(role).label}", actor=invited_by
    )
    return invitation, token


def invitation_for_token(token: str) -> Invitation | None:
    """The open invitation behind this token: not used, not revoked, not expired."""
    invitation = db.session.scalars(
        select(Invitation).where(Invitation.token_hash == _token_hash(token))
    ).first()
    if invitation is None or invitation.used_at or invitation.revoked_at:
        return None
    if invitation.expires_at <= utcnow():
        return None
    return invitation


def accept_invitation(invitation: Invitation, name: str, password: str) -> User:
    """Create the account the invitation promised; the link is then spent."""
    user = create_user(invitation.organisation, invitation.email, name, invitation.role, password)
    invitation.used_at = utcnow()
    audit.record("invitation_accepted", actor=user)
    return user


def revoke_invitation(invitation: Invitation, by: User) -> None:
    if invitation.used_at:
        raise DomainError("This invitation has already been used.")
    invitation.revoked_at = utcnow()
    audit.record("invitation_revoked", summary=invitation.email, actor=by)


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise DomainError("Your current password is not right.", field="current_password")
    problem = password_problem(new, email=user.email, name=user.name)
    if problem:
        raise DomainError(problem, field="new_password")
    user.password_hash = hash_password(new)
    audit.record("password_changed", actor=user)
