"""Optional two-factor sign-in for agency users: a TOTP authenticator app, and recovery codes.

Enrolment keeps a new secret on the user but does not use it until a code from the app confirms
it. Then ten recovery codes are made; they are shown once and only their hashes are kept. A TOTP
code is good once (the last step used is kept), a recovery code is spent when used. Turning it
off takes the password and a code.
"""

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

import pyotp
import segno
from markupsafe import Markup

from portal import audit
from portal.auth.passwords import verify_password
from portal.errors import DomainError
from portal.extensions import db
from portal.models import AGENCY_ROLES, User

ISSUER = "Collections Portal"
RECOVERY_CODE_COUNT = 10
STEP_SECONDS = 30
CODE_REFUSED = "That code is not right. Type the 6 digits your app shows now, or a recovery code."


def offered_to(user: User) -> bool:
    return user.role in AGENCY_ROLES


def is_enabled(user: User) -> bool:
    return user.totp_enabled_at is not None and bool(user.totp_secret)


# Enrolment ------------------------------------------------------------------------------------


def start_enrolment(user: User) -> None:
    """A new secret, waiting for a code to confirm it (a secret already in use is kept)."""
    if is_enabled(user):
        raise DomainError("Two-factor sign-in is already on.")
    user.totp_secret = pyotp.random_base32()  # 160 bits
    user.totp_last_step = None
    db.session.flush()


def provisioning_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_code_svg(user: User) -> Markup:
    """The otpauth:// address as a QR code, an inline SVG made here (no outside service)."""
    qr = segno.make(provisioning_uri(user), error="m")
    svg = qr.svg_inline(scale=5, dark="#000", light="#fff", title="QR code for your app")
    return Markup(svg.replace("<svg ", '<svg role="img" aria-label="QR code for your app" ', 1))


def grouped_secret(user: User) -> str:
    """The secret in groups of four, easier to type into an app."""
    secret = user.totp_secret or ""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def confirm_enrolment(user: User, code: str, now: datetime) -> list[str]:
    """Turn two-factor sign-in on with a code from the app; the recovery codes to show once."""
    if is_enabled(user):
        raise DomainError("Two-factor sign-in is already on.")
    if not user.totp_secret:
        raise DomainError("Start the set-up again: there is no secret waiting for a code.")
    if not _use_totp(user, code, now):
        raise DomainError(
            "That code is not right. Check the time on your phone, and type the 6 digits "
            "your app shows now.",
            field="code",
        )
    user.totp_enabled_at = now
    codes = _new_recovery_codes(user)
    audit.record("two_factor_enabled", actor=user)
    return codes


def disable(user: User, password: str, code: str, now: datetime) -> None:
    """Turn it off: the password and a current code (or a recovery code) are both needed."""
    if not is_enabled(user):
        raise DomainError("Two-factor sign-in is not on.")
    if not verify_password(user.password_hash, password):
        raise DomainError("That is not your password.", field="password")
    if not verify(user, code, now):
        raise DomainError(CODE_REFUSED, field="code")
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.recovery_codes = None
    audit.record("two_factor_disabled", actor=user)


def new_recovery_codes(user: User, password: str) -> list[str]:
    """Replace every recovery code (the old ones stop working); the password is needed."""
    if not is_enabled(user):
        raise DomainError("Two-factor sign-in is not on.")
    if not verify_password(user.password_hash, password):
        raise DomainError("That is not your password.", field="password")
    codes = _new_recovery_codes(user)
    audit.record("recovery_codes_replaced", actor=user)
    return codes


# Checking a code ------------------------------------------------------------------------------


def verify(user: User, code: str, now: datetime) -> bool:
    """A current TOTP code not used before, or an unused recovery code (which is then spent)."""
    if not is_enabled(user):
        return False
    cleaned = re.sub(r"[\s-]", "", code or "")
    if re.fullmatch(r"\d{6}", cleaned):
        return _use_totp(user, cleaned, now)
    return _use_recovery_code(user, cleaned)


def _use_totp(user: User, code: str, now: datetime) -> bool:
    """The code of the current 30-second step, or the one before or after (clock drift); each
    step is accepted once."""
    code = re.sub(r"\s", "", code or "")
    if not re.fullmatch(r"\d{6}", code) or not user.totp_secret:
        return False
    totp = pyotp.TOTP(user.totp_secret)
    for offset in (0, -1, 1):
        moment = now + timedelta(seconds=offset * STEP_SECONDS)
        if hmac.compare_digest(totp.at(moment), code):
            step = totp.timecode(moment)
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return False
            user.totp_last_step = step
            db.session.flush()
            return True
    return False


def _recovery_hash(code: str) -> str:
    return hashlib.sha256(f"recovery:{code.lower()}".encode()).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    """Ten codes of 16 letters and digits (80 bits each), shown as xxxx-xxxx-xxxx-xxxx."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    codes = [
        "".join(secrets.choice(alphabet) for _ in range(16)) for _ in range(RECOVERY_CODE_COUNT)
    ]
    user.recovery_codes = [_recovery_hash(c) for c in codes]
    db.session.flush()
    return ["-".join(c[i : i + 4] for i in range(0, 16, 4)) for c in codes]


def _use_recovery_code(user: User, code: str) -> bool:
    if not code or len(code) > 64:
        return False
    wanted = _recovery_hash(code)
    remaining = list(user.recovery_codes or [])
    match = next((h for h in remaining if hmac.compare_digest(h, wanted)), None)
    if match is None:
        return False
    remaining.remove(match)
    user.recovery_codes = remaining  # a new list, so the JSON column is saved
    db.session.flush()
    audit.record("recovery_code_used", summary=f"{len(remaining)} left", actor=user)
    return True


def recovery_codes_left(user: User) -> int:
    return len(user.recovery_codes or [])
