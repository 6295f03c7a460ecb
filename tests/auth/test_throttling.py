"""Throttling sign-in: per account (10 failures in 15 minutes lock it for 15 minutes), the same
answer for an e-mail without an account, and a per-address limit that answers 429."""

from datetime import timedelta

import pytest

from portal.auth import services, throttle
from portal.errors import DomainError
from portal.extensions import db
from portal.models import Event, User, utcnow
from tests import factories
from tests.auth.conftest import field_error

WRONG = "not the password at all"


def _attempt(client, email, password=WRONG, address="192.0.2.10"):
    response = client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )
    return response.status_code, field_error(response.get_data(as_text=True), "password")


def test_ten_failures_in_fifteen_minutes_lock_the_account_even_for_the_right_password(
    client, world
):
    answers = [_attempt(client, world.business_admin.email) for _ in range(10)]
    assert answers[0] == (200, services.SIGN_IN_REFUSED)
    assert answers[9] == (200, services.SIGN_IN_PAUSED)
    assert _attempt(client, world.business_admin.email, factories.PASSWORD) == (
        200,
        services.SIGN_IN_PAUSED,
    )
    user = db.session.get(User, world.business_admin.id)
    assert user.locked_until > utcnow() + timedelta(minutes=14)
    assert Event.query.filter_by(kind="account_locked", actor_id=user.id).count() == 1


def test_the_lock_lifts_after_fifteen_minutes(world):
    now = utcnow()
    for _ in range(10):
        with pytest.raises(DomainError):
            services.authenticate(world.caseworker.email, WRONG, now)
    with pytest.raises(DomainError, match="paused"):
        services.authenticate(world.caseworker.email, factories.PASSWORD, now)
    later = now + timedelta(minutes=15, seconds=1)
    assert services.authenticate(world.caseworker.email, factories.PASSWORD, later) is not None


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(world):
    start = utcnow()
    for minute in range(0, 20, 2):  # ten failures over 18 minutes
        with pytest.raises(DomainError, match="do not match"):
            services.authenticate(world.caseworker.email, WRONG, start + timedelta(minutes=minute))
    user = services.authenticate(
        world.caseworker.email, factories.PASSWORD, start + timedelta(minutes=19)
    )
    assert user.locked_until is None


def test_signing_in_forgets_earlier_failures(client, world):
    for _ in range(9):
        _attempt(client, world.business_admin.email)
    assert _attempt(client, world.business_admin.email, factories.PASSWORD)[0] == 302
    client.post("/logout")
    assert _attempt(client, world.business_admin.email) == (200, services.SIGN_IN_REFUSED)


def test_an_unknown_email_gets_the_same_message_and_status_as_a_known_one_throughout(
    client, world, throttled
):
    known = [
        _attempt(client, world.business_admin.email, address=f"192.0.2.{i}") for i in range(12)
    ]
    unknown = [
        _attempt(client, "nobody@nowhere.example", address=f"198.51.100.{i}") for i in range(12)
    ]
    assert known == unknown
    assert known[0] == (200, services.SIGN_IN_REFUSED)
    assert known[-1] == (200, services.SIGN_IN_PAUSED)


def test_the_per_email_counters_never_hold_an_email_address(client, world, throttled):
    _attempt(client, "someone.unknown@nowhere.example")
    keys = list(throttle.limiter.storage.storage)
    assert keys and not any("nowhere" in key or "@" in key for key in keys)


def test_too_many_sign_in_forms_from_one_address_answer_429_with_a_friendly_page(
    app, client, world, throttled, monkeypatch
):
    monkeypatch.setitem(app.config, "SIGN_IN_RATE_LIMIT", "5 per 15 minutes")
    for _ in range(5):
        assert _attempt(client, "anyone@example.example", address="203.0.113.7")[0] == 200
    response = client.post(
        "/login",
        data={"email": "anyone@example.example", "password": WRONG},
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
    )
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "Too many attempts" in html and "wait a few minutes" in html
    # Another address is not held back, and the right password from it still signs in.
    assert _attempt(client, world.business_admin.email, factories.PASSWORD, "203.0.113.8")[0] == 302


def test_the_per_address_limit_is_shared_by_the_reset_form_and_spares_page_views(
    app, client, world, throttled, monkeypatch
):
    monkeypatch.setitem(app.config, "SIGN_IN_RATE_LIMIT", "3 per 15 minutes")
    here = {"REMOTE_ADDR": "203.0.113.9"}
    for _ in range(5):
        assert client.get("/login", environ_base=here).status_code == 200
    for _ in range(3):
        client.post("/password/forgot", data={"email": "x@example.example"}, environ_base=here)
    assert (
        client.post("/login", data={"email": "a", "password": "b"}, environ_base=here).status_code
        == 429
    )
    assert client.get("/login", environ_base=here).status_code == 200


def test_without_the_throttle_the_rest_of_the_suite_may_sign_in_freely(client, world):
    for _ in range(40):
        assert _attempt(client, "nobody@nowhere.example")[0] == 200
