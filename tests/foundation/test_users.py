"""Admins manage the users of their own organisation; agencies bring in businesses."""

from sqlalchemy import select

from portal.auth import services as auth_services
from portal.extensions import db
from portal.models import Event, Invitation, Organisation, OrgKind, Role, User


def test_an_admin_invites_a_user_and_sees_the_one_time_link(client, auth, world):
    auth.login(world.business_admin)
    response = client.post(
        "/users", data={"name": "Amina", "email": "Amina@Acacia.example", "role": "business_member"}
    )
    assert response.status_code == 200
    assert b"/invitation/" in response.data
    invitation = db.session.scalars(select(Invitation)).one()
    assert invitation.email == "amina@acacia.example"
    assert invitation.organisation_id == world.business.id


def test_a_business_cannot_invite_an_agency_role(client, auth, world):
    auth.login(world.business_admin)
    response = client.post(
        "/users", data={"name": "X", "email": "x@acacia.example", "role": "caseworker"}
    )
    assert b"Not a valid choice" in response.data
    assert db.session.scalar(select(Invitation)) is None


def test_an_existing_email_cannot_be_invited_again(client, auth, world):
    auth.login(world.business_admin)
    response = client.post(
        "/users", data={"name": "X", "email": "clerk@acacia.example", "role": "business_member"}
    )
    assert b"already has an account" in response.data


def test_a_bad_email_is_refused_beside_the_field_keeping_the_name(client, auth, world):
    auth.login(world.business_admin)
    response = client.post(
        "/users", data={"name": "Wanjirũ", "email": "not-an-email", "role": "business_member"}
    )
    assert b"Enter an e-mail address like" in response.data
    assert 'value="Wanjirũ"'.encode() in response.data


def _invite(world) -> Invitation:
    invitation, _ = auth_services.invite(
        world.business,
        "new@acacia.example",
        "New Person",
        Role.BUSINESS_MEMBER,
        world.business_admin,
    )
    db.session.commit()
    return invitation


def test_admin_deactivates_and_reactivates_a_user(client, auth, world):
    auth.login(world.business_admin)
    member = world.business_member
    client.post(f"/users/{member.id}/deactivate", data={f"deactivate-{member.id}-confirm": "y"})
    assert db.session.get(User, member.id).active is False
    client.post(f"/users/{member.id}/activate")
    assert db.session.get(User, member.id).active is True


def test_deactivating_a_user_needs_the_confirmation_ticked(client, auth, world):
    auth.login(world.business_admin)
    member = world.business_member
    page = client.get("/users").get_data(as_text=True)
    assert f"Yes, deactivate {member.name}: they can no longer sign in" in page
    response = client.post(f"/users/{member.id}/deactivate", data={})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="deactivate-{member.id}-confirm-error">Tick the box to confirm.<' in page
    assert db.session.get(User, member.id).active is True
    assert db.session.scalars(select(Event).where(Event.kind == "user_deactivated")).all() == []


def test_an_admin_cannot_deactivate_themselves(client, auth, world):
    auth.login(world.business_admin)
    admin = world.business_admin
    response = client.post(
        f"/users/{admin.id}/deactivate",
        data={f"deactivate-{admin.id}-confirm": "y"},
        follow_redirects=True,
    )
    assert b"cannot deactivate your own account" in response.data
    assert db.session.get(User, admin.id).active is True


def test_an_admin_withdraws_an_invitation_so_its_link_stops_working(client, auth, world):
    invitation = _invite(world)
    auth.login(world.business_admin)
    response = client.post(
        f"/invitations/{invitation.id}/revoke", data={f"invitation-{invitation.id}-confirm": "y"}
    )
    assert response.status_code == 302
    assert db.session.get(Invitation, invitation.id).revoked_at is not None
    page = client.get("/users").get_data(as_text=True)
    assert "no longer works" in page and "Invitations not yet used" not in page


def test_withdrawing_an_invitation_needs_the_confirmation_ticked(client, auth, world):
    invitation = _invite(world)
    auth.login(world.business_admin)
    page = client.get("/users").get_data(as_text=True)
    assert "Yes, withdraw the invitation for new@acacia.example: its link stops working" in page
    response = client.post(f"/invitations/{invitation.id}/revoke", data={})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="invitation-{invitation.id}-confirm-error">Tick the box to confirm.<' in page
    assert db.session.get(Invitation, invitation.id).revoked_at is None
    assert db.session.scalars(select(Event).where(Event.kind == "invitation_revoked")).all() == []


def test_the_users_page_lists_only_the_own_organisation(client, auth, world):
    auth.login(world.business_admin)
    page = client.get("/users")
    assert b"clerk@acacia.example" in page.data
    assert b"owner@baobab.example" not in page.data and b"admin@agency.example" not in page.data


def test_agency_invites_a_business_with_its_first_admin(client, auth, world):
    auth.login(world.agency_admin)
    response = client.post(
        "/clients",
        data={
            "name": "Jacaranda Foods",
            "country": "KE",
            "timezone": "",
            "currency": "",
            "case_prefix": "jac",
            "admin_name": "Ruth Njeri",
            "admin_email": "ruth@jacaranda.example",
            "address": "Nakuru",
            "registration_number": "PVT-1",
        },
    )
    assert response.status_code == 200 and b"/invitation/" in response.data
    business = db.session.scalars(
        select(Organisation).where(Organisation.name == "Jacaranda Foods")
    ).one()
    assert (business.kind, business.timezone, business.currency, business.case_prefix) == (
        OrgKind.BUSINESS,
        "Africa/Nairobi",
        "KES",
        "JAC",
    )
    assert business.invited_by_id == world.agency.id
    invitation = db.session.scalars(
        select(Invitation).where(Invitation.organisation_id == business.id)
    ).one()
    assert invitation.role == Role.BUSINESS_ADMIN


def test_a_taken_case_prefix_is_refused_beside_the_field(client, auth, world):
    auth.login(world.agency_admin)
    response = client.post(
        "/clients",
        data={
            "name": "Another Acacia",
            "country": "KE",
            "case_prefix": "ACA",
            "admin_name": "R",
            "admin_email": "r@another.example",
        },
    )
    assert b"already used by another business" in response.data
    assert b'value="Another Acacia"' in response.data
