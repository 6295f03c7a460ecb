"""Password hashing and the password rule (ASVS 2.1.1, 2.1.7, 2.4.1)."""

from functools import cache
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 12
# Werkzeug's scrypt: a memory-hard KDF with a per-password salt.
METHOD = "scrypt"
# The 10,000 most common passwords, one a line, lower-case (see data/README).
COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common-passwords.txt"


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=METHOD)


def verify_password(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip())


def is_common(password: str) -> bool:
    """In the common-password list, ignoring case and the spaces around it."""
    return password.strip().lower() in common_passwords()


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why this password will not do, or None."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if is_common(password):
        return (
            "This password is one of the most common ones. Choose one that is less easy to guess."
        )
    lowered = password.lower()
    if email and lowered == email.lower():
        return "Do not use your e-mail address as your password."
    if len(set(password)) < 4:
        return "Use a password with more variety than a few repeated characters."
    if name and lowered.replace(" ", "") == name.lower().replace(" ", ""):
        return "Do not use your name as your password."
    return None
