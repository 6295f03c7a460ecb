"""Password hashing and the password rule."""

from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 12
# Werkzeug's scrypt: a memory-hard KDF with a per-password salt.
METHOD = "scrypt"


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=METHOD)


def verify_password(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why this password will not do, or None."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    lowered = password.lower()
    if email and lowered == email.lower():
        return "Do not use your e-mail address as your password."
    if len(set(password)) < 4:
        return "Use a password with more variety than a few repeated characters."
    if name and lowered.replace(" ", "") == name.lower().replace(" ", ""):
        return "Do not use your name as your password."
    return None
