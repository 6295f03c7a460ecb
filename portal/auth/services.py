"""Signing in, invitations and passwords."""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from portal import audit
from portal.auth import throttle
from portal.auth.passwords import hash_password, password_problem, verify_password
from portal.errors import DomainError
from portal.extensions import db
from portal.models import Invitation, Organisation, OutboxMail, Role, User, utcnow

MAX_FAILURES = throttle.MAX_FAILURES
FAILURE_WINDOW = timedelta(minutes=throttle.FAILURE_WINDOW_MINUTES)
LOCK = timedelta(minutes=throttle.LOCK_MINUTES)
# Checked against when the e-mail is unknown, so both paths take the same time.
_DUMMY_HASH = hash_password("not-a-real-password-0")
SIGN_IN_REFUSED = "That e-mail and password do not match an active account."
SIGN_IN_PAUSED = (
    f"Too many failed attempts to sign in with this e-mail. Sign-in is paused for "
    f"{throttle.LOCK_MINUTES} minutes; try again later, or reset your password."
)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalars(select(User).where(User.email == normalise_email(email))).first()


def authenticate(email: str, password: str, now: datetime) -> User:
    """The user these credentials belong to, or DomainError with a message that reveals nothing
    about whether the e-mail exists: an unknown e-mail is refused, counted and locked exactly as
    a known one. Nothing is reset on success: `complete_sign_in` does that once any second
    factor has been given too."""
    user = find_user_by_email(email)
    if user is None:
        verify_password(_DUMMY_HASH, password)
        if throttle.unknown_email_locked(email) or throttle.count_unknown_email_failure(email):
            raise DomainError(SIGN_IN_PAUSED)
        raise DomainError(SIGN_IN_REFUSED)
    right = verify_password(user.password_hash, password)
    if is_locked(user, now):
        raise DomainError(SIGN_IN_PAUSED)
    if not right or not user.active:
        count_failure(user, now)
        raise DomainError(SIGN_IN_PAUSED if is_locked(user, now) else SIGN_IN_REFUSED)
    return user


def is_locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def count_failure(user: User, now: datetime) -> None:
    """One more failed attempt; the tenth within 15 minutes locks the account for 15 minutes."""
    started = user.first_failed_login_at
    if started is None or now - started >= FAILURE_WINDOW:
        user.failed_logins = 0
        user.first_failed_login_at = now
    user.failed_logins += 1
    if user.failed_logins >= MAX_FAILURES:
        user.locked_until = now + LOCK
        user.failed_logins = 0
        user.first_failed_login_at = None
        audit.record("account_locked", actor=user)
    db.session.flush()


def complete_sign_in(user: User, now: datetime) -> None:
    """The password (and second factor) were right: the failures are forgotten."""
    user.failed_logins = 0
    user.first_failed_login_at = None
    user.locked_until = None
    user.last_login_at = now
    audit.record("signed_in", actor=user)


def confirm_password(user: User, password: str, now: datetime) -> None:
    """Re-authentication: the signed-in user types their password again. A wrong one counts as a
    failed sign-in (a stolen session cannot guess it for long)."""
    if not verify_password(user.password_hash, password):
        count_failure(user, now)
        raise DomainError("That is not your password.", field="password")


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
    """A new password; every other session of the user ends (their session version moves on)."""
    if not verify_password(user.password_hash, current):
        raise DomainError("Your current password is not right.", field="current_password")
    problem = password_problem(new, email=user.email, name=user.name)
    if problem:
        raise DomainError(problem, field="new_password")
    if verify_password(user.password_hash, new):
        raise DomainError("Choose a password different from your current one.", "new_password")
    _set_password(user, new)
    audit.record("password_changed", actor=user)


def _set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.session_version += 1
    db.session.flush()


def end_other_sessions(user: User) -> None:
    """Signing out ends every session of the user, copies of the cookie included."""
    user.session_version += 1
    db.session.flush()


# Password reset: a signed, expiring, single-use link -------------------------------------------

RESET_SALT = "password-reset"
RESET_LINK_INVALID = "This link does not work any more."


def _reset_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=RESET_SALT)


def _password_fingerprint(user: User) -> str:
    """Changes with the password, so a used link stops working. The token is signed, not
    encrypted: it carries this digest, never the password hash itself."""
    return hashlib.sha256(f"reset:{user.password_hash}".encode()).hexdigest()[:32]


def reset_token(user: User, now: datetime) -> str:
    payload = {"u": user.id, "p": _password_fingerprint(user), "t": int(now.timestamp())}
    return _reset_serializer().dumps(payload)


def user_for_reset_token(token: str, now: datetime) -> User | None:
    """The user a reset link belongs to while it works: signed by us, not older than
    PASSWORD_RESET_MINUTES, and the password not changed since it was made."""
    try:
        payload = _reset_serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(payload, dict):
        return None
    user_id, fingerprint, issued = payload.get("u"), payload.get("p"), payload.get("t")
    if not (isinstance(user_id, int) and isinstance(fingerprint, str) and isinstance(issued, int)):
        return None
    age = now.timestamp() - issued
    if age < -60 or age > current_app.config["PASSWORD_RESET_MINUTES"] * 60:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(fingerprint, _password_fingerprint(user)):
        return None
    return user


def request_password_reset(email: str, now: datetime) -> None:
    """E-mail a reset link to the account with this address, if there is one. The caller answers
    the same whatever happened here."""
    user = find_user_by_email(email)
    if user is None or not user.active or not throttle.may_send_reset_mail(user.email):
        return
    from portal.notifications import absolute_url

    minutes = current_app.config["PASSWORD_RESET_MINUTES"]
    link = absolute_url("auth.reset_password", token=reset_token(user, now))
    body = "\n".join(
        [
            f"Hello {user.name},",
            "",
            "Someone, probably you, asked to reset the password of your Collections Portal "
            "account. To choose a new password, open this link:",
            "",
            link,
            "",
            f"The link works once, for {minutes} minutes.",
            "If you did not ask for it, you can ignore this e-mail: your password stays as it is.",
        ]
    )
    db.session.add(
        OutboxMail(
            to_address=user.email,
            subject="Reset your Collections Portal password",
            body=body + "\n",
            attempts=0,
        )
    )
    audit.record("password_reset_requested", actor=user)


def reset_password(user: User, new: str) -> None:
    """Set the password from a reset link: the link is spent, other sessions end, a lock lifts
    (whoever holds the mailbox has proved it)."""
    problem = password_problem(new, email=user.email, name=user.name)
    if problem:
        raise DomainError(problem, field="password")
    _set_password(user, new)
    user.failed_logins = 0
    user.first_failed_login_at = None
    user.locked_until = None
    audit.record("password_reset", actor=user)
