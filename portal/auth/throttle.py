"""Throttling sign-in (ASVS 2.2.1): per address with Flask-Limiter, per e-mail in its storage.

- Per address: every form that takes a password, a code or an e-mail for a reset (`sign_in_limit`)
  shares SIGN_IN_RATE_LIMIT per client address; past it the answer is 429 with a friendly page.
- Per account: a known account counts its failures in the database (`services.authenticate`).
  An e-mail that has no account counts them here, in the limiter's storage, with the same numbers,
  so that after 10 failures it is "locked" too and the answer never tells the two apart.
- Reset mails: at most a few per e-mail an hour, so the form cannot flood someone's mailbox.

Counters live in RATELIMIT_STORAGE_URI: memory by default (one process), Redis when configured
(shared by every worker). SIGN_IN_THROTTLE=False turns this module off (the test suite signs in
hundreds of times from one address); the database lock of known accounts stays on.
"""

import hashlib

from flask import current_app, render_template
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItemPerHour, RateLimitItemPerMinute

MAX_FAILURES = 10
FAILURE_WINDOW_MINUTES = 15
LOCK_MINUTES = 15
RESET_MAILS_PER_HOUR = 3

limiter = Limiter(key_func=get_remote_address)

_FAILURES = RateLimitItemPerMinute(MAX_FAILURES, FAILURE_WINDOW_MINUTES)
_LOCK = RateLimitItemPerMinute(1, LOCK_MINUTES)
_RESET_MAILS = RateLimitItemPerHour(RESET_MAILS_PER_HOUR)


def enabled() -> bool:
    return bool(current_app.config.get("SIGN_IN_THROTTLE", True))


def _rate() -> str:
    return current_app.config["SIGN_IN_RATE_LIMIT"]


# One budget per address, shared by the sign-in, code, reset and re-authentication forms.
sign_in_limit = limiter.shared_limit(
    _rate, scope="sign-in", methods=["POST"], exempt_when=lambda: not enabled()
)


def init_app(app) -> None:
    limiter.init_app(app)

    @app.errorhandler(429)
    def too_many_requests(error):
        page = render_template(
            "errors/error.html",
            status=429,
            title="Too many attempts",
            text=(
                "Too many forms were sent from your network in a short time. For your security, "
                "wait a few minutes, then try again."
            ),
        )
        return page, 429


def _digest(email: str) -> str:
    """The counters are keyed by a hash: the store never holds e-mail addresses."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def unknown_email_locked(email: str) -> bool:
    """True while an e-mail without an account is locked after too many failures."""
    if not enabled():
        return False
    return not limiter.limiter.test(_LOCK, "sign-in-lock", _digest(email))


def count_unknown_email_failure(email: str) -> bool:
    """Count a failed sign-in for an e-mail without an account; True when it is now locked."""
    if not enabled():
        return False
    key = _digest(email)
    limiter.limiter.hit(_FAILURES, "sign-in-failures", key)
    if limiter.limiter.get_window_stats(_FAILURES, "sign-in-failures", key).remaining > 0:
        return False
    limiter.limiter.clear(_FAILURES, "sign-in-failures", key)
    limiter.limiter.hit(_LOCK, "sign-in-lock", key)
    return True


def may_send_reset_mail(email: str) -> bool:
    """Count one reset mail for this e-mail; False when it has had enough this hour."""
    if not enabled():
        return True
    return limiter.limiter.hit(_RESET_MAILS, "reset-mail", _digest(email))
