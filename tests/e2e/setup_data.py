"""What the journeys need beyond the demo data: an agreement the agency has proposed and the
business has not accepted yet. Run against the server's own database before it starts."""

from sqlalchemy import select

from portal import create_app
from portal.agreements.services import Terms, propose
from portal.extensions import db
from portal.models import Organisation, User

MOMBASA_OFFER = Terms(currency="KES", bands=[(0, 2200), (50_000_000, 1600)], uplifts=[(365, 500)])


def main() -> None:
    app = create_app()
    with app.app_context():
        business = db.session.scalars(
            select(Organisation).where(Organisation.name == "Acacia Office Supplies Ltd")
        ).one()
        admin = db.session.scalars(select(User).where(User.email == "admin@mombasa.example")).one()
        propose(admin, business, MOMBASA_OFFER, admin.name, "127.0.0.1")
        db.session.commit()


if __name__ == "__main__":
    main()
