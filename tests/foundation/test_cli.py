"""Operator commands."""

from sqlalchemy import func, select

from portal.demo import seed
from portal.extensions import db
from portal.models import Agreement, AgreementStatus, Organisation, Role, User
from tests import factories


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_seed_demo_is_idempotent_and_prints_the_logins(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    counts = (_count(Organisation), _count(User), _count(Agreement))
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert (_count(Organisation), _count(User), _count(Agreement)) == counts
    for email, _, _ in seed.logins():
        assert email in second.output
    assert "demo-password-1" in second.output


def test_seed_demo_holds_the_promised_organisations_and_agreements(app, client):
    app.test_cli_runner().invoke(args=["seed-demo"])
    active = db.session.execute(
        select(Organisation.name, Agreement.agency_id)
        .join(Agreement, Agreement.business_id == Organisation.id)
        .where(Agreement.status == AgreementStatus.ACTIVE)
    ).all()
    assert len(active) == 3
    baobab_agencies = {a for name, a in active if name == "Baobab Print Co"}
    assert len(baobab_agencies) == 2
    for email, _, _ in seed.logins():
        response = client.post("/login", data={"email": email, "password": seed.DEMO_PASSWORD})
        assert response.headers["Location"].endswith("/dashboard"), email
        client.post("/logout")


def test_seed_demo_if_empty_leaves_a_used_database_alone(app):
    factories.user(factories.organisation(name="A business already at work"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["seed-demo", "--if-empty"])
    assert "not loaded again" in result.output
    assert _count(Agreement) == 0


def test_create_agency_and_user(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-agency",
            "--name",
            "Kisumu Collect",
            "--country",
            "ke",
            "--admin-email",
            "boss@kisumu.example",
            "--admin-name",
            "Otieno Boss",
            "--admin-password",
            "a long password ok",
        ]
    )
    assert result.exit_code == 0, result.output
    agency = db.session.scalars(
        select(Organisation).where(Organisation.name == "Kisumu Collect")
    ).one()
    result = runner.invoke(
        args=[
            "create-user",
            "--organisation-id",
            str(agency.id),
            "--email",
            "cw@kisumu.example",
            "--name",
            "Case Worker",
            "--role",
            "caseworker",
            "--password",
            "another long one",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(User).where(User.email == "cw@kisumu.example")).one()
    assert user.role == Role.CASEWORKER


def test_create_user_refuses_a_role_of_the_other_kind(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["seed-demo"])
    agency = db.session.scalars(
        select(Organisation).where(Organisation.name == "Nairobi Recovery Associates")
    ).one()
    result = runner.invoke(
        args=[
            "create-user",
            "--organisation-id",
            str(agency.id),
            "--email",
            "b@x.example",
            "--name",
            "B",
            "--role",
            "business_member",
            "--password",
            "a long password ok",
        ]
    )
    assert result.exit_code != 0 and "cannot have a business member" in result.output
