"""Configuration, read from the environment.

`PORTAL_ENV` picks the class: development (default), production or testing.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("PORTAL_INSTANCE_DIR", BASE_DIR / "instance"))


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _database_url(default: str) -> str:
    url = os.environ.get("DATABASE_URL", default)
    # Hosting platforms still hand out postgres:// URLs; psycopg 3 wants its own driver name.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


class Config:
    ENV_NAME = "base"
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _database_url(f"sqlite:///{INSTANCE_DIR / 'portal.db'}")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    # Uploads: one file, and everything in one request.
    MAX_FILE_BYTES = _env_int("MAX_FILE_BYTES", 15 * 1024 * 1024)
    MAX_CONTENT_LENGTH = _env_int("MAX_REQUEST_BYTES", 60 * 1024 * 1024)
    DOCUMENT_STORAGE = os.environ.get("DOCUMENT_STORAGE", "local")
    DOCUMENT_ROOT = os.environ.get("DOCUMENT_ROOT", str(INSTANCE_DIR / "documents"))
    # Where an import's checked preview waits (private to this user id) until it is confirmed;
    # default: a folder under the system's temporary directory.
    IMPORT_SCRATCH_DIR = os.environ.get("IMPORT_SCRATCH_DIR")
    # Mail: SMTP when MAIL_SERVER is set; otherwise messages go to the log.
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = _env_int("MAIL_PORT", 587)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_FROM = os.environ.get("MAIL_FROM", "portal@localhost")
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "1").strip().lower() in ("1", "true", "yes", "on")
    MAIL_BATCH_SIZE = _env_int("MAIL_BATCH_SIZE", 50)
    MAIL_MAX_ATTEMPTS = _env_int("MAIL_MAX_ATTEMPTS", 5)
    # The portal's address for links in e-mail, e.g. https://portal.example.com
    PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL")
    INVITATION_DAYS = _env_int("INVITATION_DAYS", 7)
    # Years after a debtor's last activity before their personal details may be erased.
    DEBTOR_RETENTION_YEARS = _env_int("DEBTOR_RETENTION_YEARS", 3)
    # Signing in: counters for the per-address limit and failed sign-ins of unknown e-mails.
    RATELIMIT_STORAGE_URI = (
        os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL") or "memory://"
    )
    SIGN_IN_THROTTLE = _env_int("SIGN_IN_THROTTLE", 1) != 0
    SIGN_IN_RATE_LIMIT = os.environ.get("SIGN_IN_RATE_LIMIT", "30 per 15 minutes")
    IDLE_TIMEOUT_MINUTES = _env_int("IDLE_TIMEOUT_MINUTES", 30)
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=IDLE_TIMEOUT_MINUTES)
    SESSION_MAX_HOURS = _env_int("SESSION_MAX_HOURS", 12)
    PASSWORD_RESET_MINUTES = _env_int("PASSWORD_RESET_MINUTES", 60)
    PAGE_SIZE = 50
    BABEL_LOCALE = os.environ.get("PORTAL_LOCALE", "en_KE")

    @classmethod
    def init_app(cls, app) -> None:
        """Last checks that need the app (its instance folder)."""


class DevelopmentConfig(Config):
    ENV_NAME = "development"

    @classmethod
    def init_app(cls, app) -> None:
        if not app.config.get("SECRET_KEY"):
            app.config["SECRET_KEY"] = _development_secret_key()


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key"
    WTF_CSRF_ENABLED = False
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    # Tests sign in hundreds of times from one address; tests/auth turns the throttle on.
    SIGN_IN_THROTTLE = False
    RATELIMIT_STORAGE_URI = "memory://"


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True

    @classmethod
    def init_app(cls, app) -> None:
        if not app.config.get("SECRET_KEY"):
            raise RuntimeError(
                "SECRET_KEY is not set. In production the portal needs a SECRET_KEY from the "
                "environment (e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)."
            )


def _development_secret_key() -> str:
    """Make a key once and keep it in instance/, so sessions survive restarts."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}


def config_from_env() -> type[Config]:
    name = os.environ.get("PORTAL_ENV", "development")
    if name not in CONFIGS:
        raise RuntimeError(f"PORTAL_ENV={name!r} is not one of {', '.join(CONFIGS)}")
    return CONFIGS[name]
