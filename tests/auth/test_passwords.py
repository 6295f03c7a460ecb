"""The password rule (12 characters, not a common password) and changing the password."""

from portal.auth import passwords
from portal.auth.passwords import password_problem
from portal.extensions import db
from portal.models import Event, User
from tests import factories
from tests.auth.conftest import field_error


def _change(client, new, current=factories.PASSWORD, confirm=None):
    return client.post(
        "/account/password",
        data={"current_password": current, "new_password": new, "confirm": confirm or new},
    )


def test_a_password_needs_at_least_twelve_characters(client, auth, world):
    assert password_problem("eleven-char") == "Use at least 12 characters."
    assert password_problem("twelve-chars") is None
    auth.login(world.business_admin)
    response = _change(client, "eleven-char")
    assert field_error(response.get_data(as_text=True), "new_password") == (
        "Use at least 12 characters."
    )


def test_the_common_password_list_holds_the_ten_thousand_most_common(app):
    common = passwords.common_passwords()
    assert len(common) == 10_000
    assert {"123456", "password", "qwerty123456", "1qaz2wsx3edc"} <= common


def test_a_common_password_is_refused_whatever_its_case_even_when_long_enough():
    for candidate in ("qwerty123456", "QWERTY123456", " 1qaz2wsx3edc ", "LeaveMeAlone"):
        assert "most common" in password_problem(candidate), candidate
    assert password_problem("a less common sentence") is None


def test_a_common_password_is_refused_beside_the_field_when_changing(client, auth, world):
    auth.login(world.business_admin)
    response = _change(client, "qwerty123456")
    assert "most common" in field_error(response.get_data(as_text=True), "new_password")
    user = db.session.get(User, world.business_admin.id)
    assert passwords.verify_password(user.password_hash, factories.PASSWORD)


def test_a_common_password_is_refused_on_an_invitation(client, world):
    from portal.auth import services
    from portal.models import Role

    _, token = services.invite(
        world.business, "z@acacia.example", "Zed Person", Role.BUSINESS_MEMBER, world.business_admin
    )
    db.session.commit()
    response = client.post(
        f"/invitation/{token}",
        data={"name": "Zed Person", "password": "1q2w3e4r5t6y", "confirm": "1q2w3e4r5t6y"},
    )
    assert "most common" in field_error(response.get_data(as_text=True), "password")


def test_changing_the_password_needs_the_current_one_and_a_different_new_one(client, auth, world):
    auth.login(world.business_admin)
    wrong = _change(client, "a brand new password", current="not my password at all")
    assert "not right" in field_error(wrong.get_data(as_text=True), "current_password")
    same = _change(client, factories.PASSWORD)
    assert "different" in field_error(same.get_data(as_text=True), "new_password")


def test_changing_the_password_ends_every_other_session_but_this_one(app, client, auth, world):
    other = app.test_client()
    other.post("/login", data={"email": world.business_admin.email, "password": factories.PASSWORD})
    assert other.get("/dashboard").status_code == 200
    auth.login(world.business_admin)
    assert _change(client, "a brand new password").status_code == 302
    assert client.get("/dashboard").status_code == 200
    ended = other.get("/dashboard")
    assert ended.status_code == 302 and "/login" in ended.headers["Location"]
    assert other.get("/dashboard").status_code == 302  # and it stays ended
    kinds = db.session.scalars(
        db.select(Event.kind).where(Event.actor_id == world.business_admin.id)
    ).all()
    assert "password_changed" in kinds


def test_signing_out_ends_a_copied_session_cookie_too(app, client, auth, world):
    auth.login(world.business_admin)
    cookie = client.get_cookie("session", domain=app.config["SERVER_NAME"])
    thief = app.test_client()
    thief.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
    assert thief.get("/dashboard").status_code == 200
    auth.logout()
    assert thief.get("/dashboard").status_code == 302


def test_signing_out_everywhere_else_keeps_only_this_session(app, client, auth, world):
    other = app.test_client()
    other.post("/login", data={"email": world.caseworker.email, "password": factories.PASSWORD})
    auth.login(world.caseworker)
    response = client.post("/account/sign-out-elsewhere")
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 200
    assert other.get("/dashboard").status_code == 302
