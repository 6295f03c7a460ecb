"""The signed-in session (ASVS 3.2-3.3): started fresh, ended after idleness, old age, a password
change or signing out.

The session is Flask's signed cookie (HttpOnly, SameSite=Lax, Secure in production: config.py).
Besides Flask-Login's user id it holds:
- `sv`: the user's session version when signing in. Changing or resetting the password and
  signing out move the version on, so every other copy of the cookie stops working.
- `seen`: the time of the last request; after IDLE_TIMEOUT_MINUTES without one the session ends.
- `signed_in_at`: after SESSION_MAX_HOURS the session ends even when in use.
- `password_at`: when the password was last typed (re-authentication, see reauth.py).
"""

from datetime import datetime

from flask import current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from portal.models import User, utcnow

VERSION, SEEN, SIGNED_IN_AT, PASSWORD_AT = "sv", "seen", "signed_in_at", "password_at"
PENDING = "second_factor"  # the user who gave the right password, until the code is given


def clock() -> datetime:
    """Now; the one place the session rules read the time."""
    return utcnow()


def start(user: User, now: datetime) -> None:
    """A new session for `user`: whatever the old one held is gone."""
    session.clear()
    login_user(user)
    session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME (the idle timeout)
    stamp = int(now.timestamp())
    session[VERSION] = user.session_version
    session[SEEN] = session[SIGNED_IN_AT] = session[PASSWORD_AT] = stamp


def end() -> None:
    logout_user()
    session.clear()


def password_entered(now: datetime) -> None:
    session[PASSWORD_AT] = int(now.timestamp())


def why_ended(user: User, now: datetime) -> str | None:
    """The reason this session may not go on, or None."""
    config = current_app.config
    stamp = now.timestamp()
    if session.get(VERSION, 0) != user.session_version:
        return "You were signed out because your password changed or you signed out elsewhere."
    seen = session.get(SEEN, stamp)
    if stamp - seen > config["IDLE_TIMEOUT_MINUTES"] * 60:
        minutes = config["IDLE_TIMEOUT_MINUTES"]
        return f"You were signed out after {minutes} minutes without activity. Sign in again."
    signed_in = session.get(SIGNED_IN_AT, stamp)
    if stamp - signed_in > config["SESSION_MAX_HOURS"] * 3600:
        hours = config["SESSION_MAX_HOURS"]
        return f"You have been signed in for {hours} hours. Sign in again to go on."
    return None


def guard():
    """Before every request: end a session that may not go on, else note the request's time."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    now = clock()
    reason = why_ended(current_user, now)
    if reason is None:
        session[SEEN] = int(now.timestamp())
        session.setdefault(SIGNED_IN_AT, session[SEEN])
        return None
    end()
    flash(reason, "info")
    come_back = request.method == "GET" and request.blueprint != "auth"
    back = request.full_path.rstrip("?") if come_back else None
    return redirect(url_for("auth.login", next=back))
