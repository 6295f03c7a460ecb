"""The session cookie's flags, the idle timeout and the longest session."""

import time

from config import Config, ProductionConfig
from portal.auth import sessions


def _age_session(client, **seconds_ago):
    with client.session_transaction() as session:
        for key, ago in seconds_ago.items():
            session[key] = int(time.time()) - ago


def test_the_production_session_cookie_is_secure_httponly_and_samesite_lax(
    app, client, auth, world, monkeypatch
):
    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    assert ProductionConfig.SESSION_COOKIE_HTTPONLY is True
    assert ProductionConfig.SESSION_COOKIE_SAMESITE == "Lax"
    for key in ("SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE"):
        monkeypatch.setitem(app.config, key, getattr(ProductionConfig, key))
    response = auth.login(world.business_admin)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    flags = [part.strip() for part in cookie.split(";")]
    assert "Secure" in flags and "HttpOnly" in flags and "SameSite=Lax" in flags
    assert any(flag.startswith("Expires=") for flag in flags)  # ends with the idle timeout


def test_the_session_cookie_lasts_as_long_as_the_idle_timeout():
    assert Config.IDLE_TIMEOUT_MINUTES == 30
    assert Config.PERMANENT_SESSION_LIFETIME.total_seconds() == 30 * 60


def test_thirty_minutes_without_a_request_sign_out(client, auth, world):
    auth.login(world.business_admin)
    _age_session(client, **{sessions.SEEN: 30 * 60 + 5})
    response = client.get("/cases/")
    assert response.status_code == 302
    assert "/login?next=/cases/" in response.headers["Location"]
    page = client.get("/login")
    assert "after 30 minutes without activity" in page.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_a_request_within_thirty_minutes_keeps_the_session_going(client, auth, world):
    auth.login(world.business_admin)
    _age_session(client, **{sessions.SEEN: 29 * 60})
    assert client.get("/dashboard").status_code == 200
    with client.session_transaction() as session:
        assert time.time() - session[sessions.SEEN] < 60  # the clock starts again
    assert client.get("/dashboard").status_code == 200


def test_a_session_older_than_twelve_hours_ends_even_when_in_use(client, auth, world):
    auth.login(world.business_admin)
    _age_session(client, **{sessions.SIGNED_IN_AT: 12 * 3600 + 5})
    response = client.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_signing_in_starts_a_permanent_session_with_its_timestamps(client, auth, world):
    auth.login(world.business_admin)
    with client.session_transaction() as session:
        assert session.permanent
        assert {
            sessions.VERSION,
            sessions.SEEN,
            sessions.SIGNED_IN_AT,
            sessions.PASSWORD_AT,
        } <= set(session)
