"""Optional two-factor sign-in for agency users: enrol with a QR code, sign in with a code,
recovery codes that work once, turning it off with the password and a code."""

import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from portal.auth import sessions, two_factor
from portal.extensions import db
from portal.forms import CONFIRM_MISSING
from portal.models import Event, User, utcnow
from tests import factories
from tests.auth.conftest import field_error


@pytest.fixture
def clock(monkeypatch):
    """A settable clock for the sign-in rules, so a code's 30-second step is known."""

    class Clock:
        now = utcnow().replace(microsecond=0)

        def __call__(self):
            return self.now

        def advance(self, **delta):
            self.now += timedelta(**delta)

    fake = Clock()
    monkeypatch.setattr(sessions, "clock", fake)
    return fake


def _enrol(client, auth, user, clock) -> list[str]:
    auth.login(user)
    client.post("/account/two-factor/start")
    secret = db.session.get(User, user.id).totp_secret
    page = client.post(
        "/account/two-factor/confirm", data={"code": pyotp.TOTP(secret).at(clock.now)}
    )
    assert page.status_code == 200
    codes = re.findall(r"<code>([a-z0-9-]{19})</code>", page.get_data(as_text=True))
    auth.logout()
    clock.advance(seconds=30)
    return codes


def _code(user, clock) -> str:
    return pyotp.TOTP(db.session.get(User, user.id).totp_secret).at(clock.now)


def test_enrolling_shows_a_qr_code_and_the_key_and_is_on_only_after_a_right_code(
    client, auth, world, clock
):
    auth.login(world.caseworker)
    assert "Set up two-factor sign-in" in client.get("/account/two-factor").get_data(as_text=True)
    client.post("/account/two-factor/start")
    html = client.get("/account/two-factor").get_data(as_text=True)
    user = db.session.get(User, world.caseworker.id)
    assert '<svg role="img"' in html and "<img" not in html and "<script" not in html
    assert two_factor.grouped_secret(user) in html
    assert not two_factor.is_enabled(user)
    wrong = client.post("/account/two-factor/confirm", data={"code": "000000"})
    assert wrong.status_code == 422
    assert "not right" in field_error(wrong.get_data(as_text=True), "code")
    assert not two_factor.is_enabled(db.session.get(User, world.caseworker.id))
    right = client.post("/account/two-factor/confirm", data={"code": _code(user, clock)})
    assert right.status_code == 200
    assert two_factor.is_enabled(db.session.get(User, world.caseworker.id))


def test_ten_recovery_codes_are_shown_once_and_only_their_hashes_are_kept(
    client, auth, world, clock
):
    codes = _enrol(client, auth, world.caseworker, clock)
    assert len(codes) == len(set(codes)) == 10
    stored = db.session.get(User, world.caseworker.id).recovery_codes
    assert len(stored) == 10
    assert not any(code in str(stored) or code.replace("-", "") in str(stored) for code in codes)
    auth.login(world.caseworker)  # the codes page cannot be opened again
    client.post("/login/code", data={"code": _code(world.caseworker, clock)})
    html = client.get("/account/two-factor").get_data(as_text=True)
    assert not any(code in html for code in codes) and "10</strong> of 10" in html


def test_signing_in_asks_for_the_code_after_the_password(client, auth, world, clock):
    _enrol(client, auth, world.agency_admin, clock)
    response = client.post(
        "/login?next=/agreements/",
        data={"email": world.agency_admin.email, "password": factories.PASSWORD},
    )
    assert response.headers["Location"].endswith("/login/code")
    assert client.get("/dashboard").status_code == 302  # not signed in yet
    wrong = client.post("/login/code", data={"code": "123456"})
    assert wrong.status_code == 422
    assert field_error(wrong.get_data(as_text=True), "code") == two_factor.CODE_REFUSED
    right = client.post("/login/code", data={"code": _code(world.agency_admin, clock)})
    assert right.status_code == 302 and right.headers["Location"].endswith("/agreements/")
    assert client.get("/dashboard").status_code == 200


def test_a_code_from_the_app_is_good_only_once(client, auth, world, clock):
    _enrol(client, auth, world.caseworker, clock)
    code = _code(world.caseworker, clock)
    auth.login(world.caseworker)
    assert client.post("/login/code", data={"code": code}).status_code == 302
    auth.logout()
    auth.login(world.caseworker)
    assert client.post("/login/code", data={"code": code}).status_code == 422
    clock.advance(seconds=30)
    assert (
        client.post("/login/code", data={"code": _code(world.caseworker, clock)}).status_code == 302
    )


def test_a_recovery_code_signs_in_once(client, auth, world, clock):
    codes = _enrol(client, auth, world.caseworker, clock)
    auth.login(world.caseworker)
    assert client.post("/login/code", data={"code": codes[3].upper()}).status_code == 302
    assert two_factor.recovery_codes_left(db.session.get(User, world.caseworker.id)) == 9
    auth.logout()
    auth.login(world.caseworker)
    again = client.post("/login/code", data={"code": codes[3]})
    assert again.status_code == 422
    kinds = db.session.scalars(select(Event.kind).where(Event.actor_id == world.caseworker.id))
    assert "recovery_code_used" in list(kinds)


def test_wrong_codes_count_towards_the_lock(client, auth, world, clock):
    _enrol(client, auth, world.caseworker, clock)
    auth.login(world.caseworker)
    for _ in range(10):
        answer = client.post("/login/code", data={"code": "999999"})
    assert field_error(answer.get_data(as_text=True), "code").startswith("Too many failed")
    right = client.post("/login/code", data={"code": _code(world.caseworker, clock)})
    assert right.status_code == 422  # locked: even the right code waits
    assert db.session.get(User, world.caseworker.id).locked_until is not None


def test_the_code_page_needs_the_password_first_and_waits_five_minutes(client, auth, world, clock):
    assert client.get("/login/code").headers["Location"].endswith("/login")
    _enrol(client, auth, world.caseworker, clock)
    auth.login(world.caseworker)
    clock.advance(minutes=5, seconds=1)
    late = client.post("/login/code", data={"code": _code(world.caseworker, clock)})
    assert late.status_code == 302 and late.headers["Location"].endswith("/login")
    assert client.get("/dashboard").status_code == 302


def _disable(client, password: str, code: str, confirm: bool = True):
    data = {"disable-password": password, "disable-code": code}
    if confirm:
        data["disable-confirm"] = "y"
    return client.post("/account/two-factor/disable", data=data)


def test_turning_it_off_needs_the_password_and_a_code(client, auth, world, clock):
    _enrol(client, auth, world.caseworker, clock)
    auth.login(world.caseworker)
    client.post("/login/code", data={"code": _code(world.caseworker, clock)})
    clock.advance(seconds=30)
    no_password = _disable(client, "not my password", _code(world.caseworker, clock))
    assert "not your password" in field_error(
        no_password.get_data(as_text=True), "disable-password"
    )
    no_code = _disable(client, factories.PASSWORD, "111111")
    assert field_error(no_code.get_data(as_text=True), "disable-code") == two_factor.CODE_REFUSED
    assert two_factor.is_enabled(db.session.get(User, world.caseworker.id))
    off = _disable(client, factories.PASSWORD, _code(world.caseworker, clock))
    assert off.status_code == 302
    user = db.session.get(User, world.caseworker.id)
    assert user.totp_secret is None and user.recovery_codes is None
    auth.logout()
    assert auth.login(world.caseworker).headers["Location"].endswith("/dashboard")


def test_turning_two_factor_off_needs_the_confirmation_ticked(client, auth, world, clock):
    _enrol(client, auth, world.caseworker, clock)
    auth.login(world.caseworker)
    client.post("/login/code", data={"code": _code(world.caseworker, clock)})
    clock.advance(seconds=30)
    code = _code(world.caseworker, clock)
    unticked = _disable(client, factories.PASSWORD, code, confirm=False)
    assert unticked.status_code == 422
    page = unticked.get_data(as_text=True)
    assert field_error(page, "disable-confirm") == CONFIRM_MISSING == "Tick the box to confirm."
    assert f'value="{code}"' in page  # the code typed is kept
    assert two_factor.is_enabled(db.session.get(User, world.caseworker.id))
    assert db.session.scalars(select(Event).where(Event.kind == "two_factor_disabled")).all() == []
    ticked = _disable(client, factories.PASSWORD, code)  # the code was not spent by the refusal
    assert ticked.status_code == 302
    assert not two_factor.is_enabled(db.session.get(User, world.caseworker.id))


def test_new_recovery_codes_replace_the_old_ones(client, auth, world, clock):
    old = _enrol(client, auth, world.caseworker, clock)
    auth.login(world.caseworker)
    client.post("/login/code", data={"code": _code(world.caseworker, clock)})
    page = client.post("/account/two-factor/recovery-codes", data={"password": factories.PASSWORD})
    new = re.findall(r"<code>([a-z0-9-]{19})</code>", page.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    auth.logout()
    auth.login(world.caseworker)
    assert client.post("/login/code", data={"code": old[0]}).status_code == 422
    assert client.post("/login/code", data={"code": new[0]}).status_code == 302


def test_business_users_are_not_offered_two_factor_sign_in(client, auth, world):
    auth.login(world.business_admin)
    assert client.get("/account/two-factor").status_code == 403
    assert "Two-factor" not in client.get("/account/password").get_data(as_text=True)
