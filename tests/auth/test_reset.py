"""Resetting a forgotten password: a signed link by e-mail that works once, for an hour."""

import base64
import json
import re
from datetime import timedelta

from sqlalchemy import func, select

from portal.auth import services, sessions
from portal.auth.passwords import verify_password
from portal.extensions import db
from portal.models import OutboxMail, User, utcnow
from tests import factories
from tests.auth.conftest import field_error

NEW = "a fresh new password"


def _mails() -> list[OutboxMail]:
    return db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()


def _link(mail: OutboxMail) -> str:
    return re.search(r"https?://\S+/password/reset/\S+", mail.body).group(0)


def _path(link: str) -> str:
    return "/password/reset/" + link.rsplit("/password/reset/", 1)[1]


def _ask(client, email):
    return client.post("/password/forgot", data={"email": email})


def _reset(client, path, password=NEW, confirm=None):
    return client.post(path, data={"password": password, "confirm": confirm or password})


def test_forgot_password_answers_the_same_whether_or_not_the_email_has_an_account(client, world):
    known = _ask(client, world.business_admin.email)
    unknown = _ask(client, "nobody@acacia.example")
    assert known.status_code == unknown.status_code == 200
    strip = lambda r, email: r.get_data(as_text=True).replace(email, "EMAIL")  # noqa: E731
    assert strip(known, world.business_admin.email) == strip(unknown, "nobody@acacia.example")
    assert [m.to_address for m in _mails()] == [world.business_admin.email]


def test_an_inactive_account_gets_no_reset_mail(client, world):
    world.business_member.active = False
    db.session.commit()
    assert _ask(client, world.business_member.email).status_code == 200
    assert _mails() == []


def test_the_reset_mail_links_to_a_page_that_sets_the_new_password(client, auth, world):
    _ask(client, world.business_admin.email.upper())
    mail = _mails()[0]
    assert "works once, for 60 minutes" in mail.body
    path = _path(_link(mail))
    assert world.business_admin.email in client.get(path).get_data(as_text=True)
    response = _reset(client, path)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert auth.login(world.business_admin, NEW).status_code == 302


def test_a_reset_link_works_only_once(client, world):
    _ask(client, world.business_admin.email)
    path = _path(_link(_mails()[0]))
    assert _reset(client, path).status_code == 302
    assert client.get(path).status_code == 404
    again = _reset(client, path, "yet another password")
    assert again.status_code == 404
    user = db.session.get(User, world.business_admin.id)
    assert verify_password(user.password_hash, NEW)


def test_a_reset_link_stops_working_after_sixty_minutes(client, world, monkeypatch):
    issued = utcnow()
    token = services.reset_token(world.business_admin, issued)
    assert services.user_for_reset_token(token, issued + timedelta(minutes=59)) is not None
    assert services.user_for_reset_token(token, issued + timedelta(minutes=61)) is None
    monkeypatch.setattr(sessions, "clock", lambda: issued + timedelta(minutes=61))
    page = client.get(f"/password/reset/{token}")
    assert page.status_code == 404
    assert "does not work" in page.get_data(as_text=True)


def test_a_changed_or_forged_reset_link_is_refused(client, world):
    token = services.reset_token(world.business_admin, utcnow())
    assert client.get(f"/password/reset/{token[:-2]}xx").status_code == 404
    forged = services.reset_token(world.business_member, utcnow())
    _, signature = forged.rsplit(".", 1)
    other = services.reset_token(world.business_admin, utcnow()).rsplit(".", 1)[0]
    assert client.get(f"/password/reset/{other}.{signature}").status_code == 404
    assert client.get("/password/reset/tok").status_code == 404


def test_the_reset_link_carries_no_password_hash(world):
    token = services.reset_token(world.business_admin, utcnow())
    payload = token.split(".")[0]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    data = json.loads(decoded)
    assert set(data) == {"u", "p", "t"}
    assert data["p"] not in world.business_admin.password_hash
    assert "scrypt" not in decoded.decode()


def test_a_reset_password_follows_the_password_rule_beside_the_field(client, world):
    _ask(client, world.business_admin.email)
    path = _path(_link(_mails()[0]))
    short = _reset(client, path, "too-short")
    assert field_error(short.get_data(as_text=True), "password") == "Use at least 12 characters."
    common = _reset(client, path, "qwerty123456")
    assert "most common" in field_error(common.get_data(as_text=True), "password")
    assert client.get(path).status_code == 200  # still usable after a refused password


def test_a_reset_ends_other_sessions_and_lifts_a_lock(app, client, auth, world):
    signed_in = app.test_client()
    signed_in.post(
        "/login", data={"email": world.business_admin.email, "password": factories.PASSWORD}
    )
    for _ in range(10):
        auth.login(world.business_admin, "wrong password again")
    assert db.session.get(User, world.business_admin.id).locked_until is not None
    _ask(client, world.business_admin.email)
    assert _reset(client, _path(_link(_mails()[0]))).status_code == 302
    assert signed_in.get("/dashboard").status_code == 302
    assert auth.login(world.business_admin, NEW).status_code == 302


def test_reset_mails_for_one_email_are_limited_to_three_an_hour(client, world, throttled):
    for _ in range(5):
        assert _ask(client, world.business_admin.email).status_code == 200
    assert db.session.scalar(select(func.count(OutboxMail.id))) == 3
