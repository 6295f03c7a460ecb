"""Fixtures: the app on a database built by the migrations, a client, sign-in, factories.

SQLite (in a temporary file) by default; TEST_DATABASE_URL runs the same suite on PostgreSQL.
The schema is built once per session by `flask db upgrade`, and every test starts with empty
tables.
"""

import os
from collections.abc import Iterator

import pytest
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from config import TestingConfig
from portal import create_app
from portal.extensions import db
from tests import factories


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal-test.db'}"


@pytest.fixture(scope="session")
def _app(database_url: str, tmp_path_factory) -> Iterator[Flask]:
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        DOCUMENT_ROOT = str(tmp_path_factory.mktemp("documents"))
        SERVER_NAME = "portal.test"

    app = create_app(Config)
    app.test_client_class = PortalTestClient
    with app.app_context():
        _reset_schema()
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


def _reset_schema() -> None:
    """Start from nothing, so the migrations alone build the schema."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


class PortalTestClient(FlaskClient):
    """A test client whose every request starts with a fresh `g`, as a real request does.

    Requests made inside a test reuse the test's app context (and so its `g`); without this,
    Flask-Login's cached user would outlive a change of the signed-in user.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            g.pop("_login_user", None)
        return super().open(*args, **kwargs)


@pytest.fixture
def app(_app: Flask) -> Iterator[Flask]:
    """The app, inside an app context of its own for this test; tables emptied afterwards."""
    with _app.app_context():
        yield _app
        db.session.rollback()
        db.session.remove()
        _empty_tables()


def _empty_tables() -> None:
    tables = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class AuthActions:
    """Sign in and out through the real login form, like the Flask tutorial's helper."""

    def __init__(self, client: FlaskClient):
        self._client = client

    def login(self, user_or_email, password: str = factories.PASSWORD):
        email = getattr(user_or_email, "email", user_or_email)
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def world(app: Flask) -> factories.World:
    """Two businesses, two agencies, their people and agreements (like the demo, smaller)."""
    return factories.world()
