"""Signing in and out, invitations, passwords."""

from datetime import timedelta

from sqlalchemy import select

from portal.auth import services
from portal.auth.passwords import password_problem
from portal.extensions import db
from portal.models import Event, Invitation, Role, User, utcnow
from tests import factories


def test_a_user_signs_in_and_reaches_the_dashboard(client, auth, world):
    response = auth.login(world.business_admin)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard")
    page = client.get("/dashboard")
    assert b"Acacia" in page.data


def test_email_is_matched_case_insensitively(client, auth, world):
    response = auth.login("OWNER@Acacia.EXAMPLE")
    assert response.headers["Location"].endswith("/dashboard")


def test_a_wrong_password_is_refused_beside_the_field_and_keeps_the_email(client, auth, world):
    response = auth.login(world.business_admin, "wrong password here")
    assert response.status_code == 200
    assert b"do not match an active account" in response.data
    assert b'value="owner@acacia.example"' in response.data


def test_unknown_email_gets_the_same_message_as_a_wrong_password(client, auth, world):
    unknown = auth.login("nobody@nowhere.example", "whatever password")
    wrong = auth.login(world.business_admin, "whatever password")
    assert b"do not match an active account" in unknown.data
    assert b"do not match an active account" in wrong.data


def test_an_inactive_user_cannot_sign_in(client, auth, world):
    world.business_member.active = False
    db.session.commit()
    response = auth.login(world.business_member)
    assert response.status_code == 200
    assert b"do not match an active account" in response.data


def test_a_deactivated_user_loses_their_open_session(client, auth, world):
    auth.login(world.business_member)
    world.business_member.active = False
    db.session.commit()
    response = client.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_signing_in_starts_a_new_session(client, auth, world):
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    auth.login(world.business_admin)
    with client.session_transaction() as session:
        assert "planted" not in session


def test_ten_failures_lock_the_account_for_a_while(client, auth, world):
    for _ in range(10):
        auth.login(world.business_admin, "wrong password here")
    response = auth.login(world.business_admin)
    assert b"Sign-in is paused" in response.data
    user = db.session.get(User, world.business_admin.id)
    assert user.locked_until is not None and user.locked_until > utcnow()


def test_sign_out_is_a_post_and_ends_the_session(client, auth, world):
    auth.login(world.business_admin)
    assert client.get("/logout").status_code == 405
    auth.logout()
    assert client.get("/dashboard").status_code == 302


def test_next_parameter_never_leads_to_another_site(client, world):
    response = client.post(
        "/login?next=//evil.example/x",
        data={"email": "owner@acacia.example", "password": factories.PASSWORD},
    )
    assert response.headers["Location"].endswith("/dashboard")


def test_passwords_need_twelve_characters():
    assert password_problem("short-pass1") == "Use at least 12 characters."
    assert password_problem("aaaaaaaaaaaaaa") is not None
    assert password_problem("a sentence that is long") is None


def test_passwords_are_stored_as_a_kdf_hash(world):
    assert world.business_admin.password_hash.startswith("scrypt:")


def test_an_invitation_creates_the_account_once(client, world):
    _, token = services.invite(
        world.business,
        "new@acacia.example",
        "Amina Hassan",
        Role.BUSINESS_MEMBER,
        world.business_admin,
    )
    db.session.commit()
    page = client.get(f"/invitation/{token}")
    assert b"Amina Hassan" in page.data
    response = client.post(
        f"/invitation/{token}",
        data={
            "name": "Amina Hassan",
            "password": "a long enough password",
            "confirm": "a long enough password",
        },
    )
    assert response.status_code == 302
    user = db.session.scalars(select(User).where(User.email == "new@acacia.example")).one()
    assert user.role == Role.BUSINESS_MEMBER and user.organisation_id == world.business.id
    assert client.get(f"/invitation/{token}").status_code == 404  # single use


def test_an_expired_invitation_does_not_work(client, world):
    invitation, token = services.invite(
        world.business,
        "late@acacia.example",
        "Late Person",
        Role.BUSINESS_MEMBER,
        world.business_admin,
    )
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client.get(f"/invitation/{token}").status_code == 404


def test_only_a_hash_of_the_invitation_token_is_stored(world):
    _, token = services.invite(
        world.business, "x@acacia.example", "X Person", Role.BUSINESS_MEMBER, world.business_admin
    )
    stored = db.session.scalars(select(Invitation.token_hash)).all()
    assert token not in stored and len(stored[0]) == 64


def test_a_short_password_on_an_invitation_is_refused_beside_the_field(client, world):
    _, token = services.invite(
        world.business, "y@acacia.example", "Y Person", Role.BUSINESS_MEMBER, world.business_admin
    )
    db.session.commit()
    response = client.post(
        f"/invitation/{token}",
        data={"name": "Y Person typed", "password": "short", "confirm": "short"},
    )
    assert b"Use at least 12 characters." in response.data
    assert b'value="Y Person typed"' in response.data


def test_changing_the_password_needs_the_current_one(client, auth, world):
    auth.login(world.business_admin)
    wrong = client.post(
        "/account/password",
        data={
            "current_password": "not it at all",
            "new_password": "a brand new password",
            "confirm": "a brand new password",
        },
    )
    assert b"current password is not right" in wrong.data
    right = client.post(
        "/account/password",
        data={
            "current_password": factories.PASSWORD,
            "new_password": "a brand new password",
            "confirm": "a brand new password",
        },
    )
    assert right.status_code == 302
    auth.logout()
    assert auth.login(world.business_admin, "a brand new password").status_code == 302


def test_signing_in_is_recorded_in_the_audit_trail(client, auth, world):
    auth.login(world.business_admin)
    kinds = db.session.scalars(
        select(Event.kind).where(Event.actor_id == world.business_admin.id)
    ).all()
    assert "signed_in" in kinds
