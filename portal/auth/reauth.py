"""Re-authentication before the actions that matter most (ASVS 3.7.1): proposing an agreement
(its fee schedule) and issuing a statement ask for the password again unless it was typed in the
last few minutes.

    @bp.route("/new", methods=["GET", "POST"])
    @requires(Role.AGENCY_ADMIN)
    @requires_recent_password(minutes=10)
    def propose(): ...

- A GET goes to /reauthenticate, which comes back to the same address.
- A POST keeps everything that was sent: the answer is a page asking for the password, holding
  the sent fields as hidden inputs and posting to the same address. With the right password the
  request goes on to the view exactly as first sent (plus the password field, which the view's
  form ignores). Uploaded files cannot be carried this way: do not use it on upload forms.
A wrong password counts as a failed sign-in; when that locks the account the session ends.
"""

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from portal.auth import services, sessions
from portal.auth.forms import ReauthenticateForm
from portal.errors import DomainError
from portal.extensions import db

FIELD = "reauth_password"  # the name of the password input, here and on /reauthenticate
DEFAULT_MINUTES = 10


def recently_confirmed(minutes: int, now: datetime) -> bool:
    typed_at = session.get(sessions.PASSWORD_AT)
    return typed_at is not None and 0 <= now.timestamp() - typed_at <= minutes * 60


def check_password(now: datetime, password: str):
    """Confirm the signed-in user's password: None when right, else the message to show, or a
    redirect to the sign-in page when the failures have now locked the account."""
    try:
        services.confirm_password(current_user, password, now)
    except DomainError as error:
        db.session.commit()  # keep the failure count
        if services.is_locked(current_user, now):
            sessions.end()
            flash(services.SIGN_IN_PAUSED, "error")
            return redirect(url_for("auth.login"))
        return error.message
    sessions.password_entered(now)
    return None


def requires_recent_password(minutes: int = DEFAULT_MINUTES) -> Callable:
    """The password must have been typed within `minutes` (place below @requires)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            now = sessions.clock()
            if recently_confirmed(minutes, now):
                return view(*args, **kwargs)
            if request.method != "POST":
                return redirect(url_for("auth.reauthenticate", next=request.full_path.rstrip("?")))
            form = ReauthenticateForm(formdata=None)
            status = 200
            if FIELD in request.form:
                typed = request.form.get(FIELD, "")
                outcome = check_password(now, typed) if typed else "Enter your password."
                if outcome is None:
                    return view(*args, **kwargs)
                if not isinstance(outcome, str):
                    return outcome
                form.reauth_password.errors = [outcome]
                status = 422
            kept = [(k, v) for k, v in request.form.items(multi=True) if k != FIELD]
            page = render_template(
                "auth/reauthenticate.html",
                form=form,
                action=request.full_path.rstrip("?"),
                kept=kept,
                minutes=minutes,
            )
            return page, status

        wrapped.requires_recent_password = minutes
        return wrapped

    return decorator
