"""Operator commands: `flask --app portal seed-demo | create-agency | create-user`."""

import click
from flask import Flask
from sqlalchemy import func, select

from portal.auth import services as auth
from portal.errors import DomainError
from portal.extensions import db
from portal.models import Organisation, OrgKind, Role, User
from portal.orgs.services import create_organisation


def register_commands(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_agency)
    app.cli.add_command(create_user)


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only when the database has no users yet.")
def seed_demo(if_empty: bool) -> None:
    """Load the demo organisations, users, agreements and cases (safe to run again)."""
    from portal.demo import seed

    if if_empty and db.session.scalar(select(func.count(User.id))):
        click.echo("The database already has users; demo data not loaded again.")
    else:
        seed.run()
        db.session.commit()
        click.echo("Demo data ready.")
    click.echo(f"Demo sign-ins (password {seed.DEMO_PASSWORD!r} for every account):")
    for email, role, org in seed.logins():
        click.echo(f"  {email:<28} {role:<16} {org}")


@click.command("create-agency")
@click.option("--name", required=True)
@click.option("--country", required=True, help="ISO code, e.g. KE")
@click.option("--admin-email", required=True)
@click.option("--admin-name", required=True)
@click.password_option("--admin-password")
def create_agency(
    name: str, country: str, admin_email: str, admin_name: str, admin_password: str
) -> None:
    """Create an agency and its first administrator."""
    try:
        agency = create_organisation(OrgKind.AGENCY, name, country.upper())
        auth.create_user(agency, admin_email, admin_name, Role.AGENCY_ADMIN, admin_password)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"Agency {agency.name} created (id {agency.id}); {admin_email} can sign in.")


@click.command("create-user")
@click.option("--organisation-id", type=int, required=True)
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.password_option()
def create_user(organisation_id: int, email: str, name: str, role: str, password: str) -> None:
    """Add a user to an existing organisation."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise click.ClickException(f"No organisation with id {organisation_id}.")
    try:
        auth.create_user(organisation, email, name, Role(role), password)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"{email} can now sign in to {organisation.name}.")
