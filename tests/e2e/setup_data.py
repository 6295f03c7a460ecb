"""What the journeys need beyond the demo data, so that each journey can run on its own:

- an agreement Mombasa Credit Partners has proposed to Acacia, not accepted yet (journey 1);
- a case Acacia has submitted to Nairobi Recovery Associates, waiting for its answer (journey 2);
- an accepted case with one payment recorded by the caseworker (journey 3);
- an accepted case with nothing done on it yet, for a payment plan (journey 6).

Each case has its own debtor, named in DEBTORS, and goes through the same services a person's
clicks do (the demo's own scenario player). Run against the server's database before it starts.
"""

import secrets
from datetime import UTC, datetime

from sqlalchemy import select

from portal import create_app
from portal.agreements.services import Terms, propose
from portal.demo.cases import NAIROBI, Scenario, _debtor, _play, acting_as
from portal.extensions import db
from portal.ledger import services as ledger
from portal.models import Channel, Direction, Organisation, PaidTo, User

MOMBASA_OFFER = Terms(currency="KES", bands=[(0, 2200), (50_000_000, 1600)], uplifts=[(365, 500)])

# The debtor of each journey's case (journey 1 and 4 create theirs in the browser).
DEBTORS = {
    "placement": "Kitengela Timber Yard",
    "recovered": "Limuru Tea Traders",
    "plan": "Naivasha Flower Farm",
}
# The payment on the "recovered" case: KES 20,000.00 of a KES 85,000.00 balance.
RECOVERED_PAYMENT = 2_000_000

HISTORY = [
    (50, Channel.EMAIL, Direction.OUTBOUND, "Sent the statement and a reminder.", "No reply"),
    (
        30,
        Channel.PHONE,
        Direction.OUTBOUND,
        "Called the owner about the overdue invoice.",
        "Promised to pay by the end of the month; nothing came.",
    ),
]


def _scenario(debtor: str, stage: str, invoice: str) -> Scenario:
    return Scenario(
        business="Acacia Office Supplies Ltd",
        clerk="clerk@acacia.example",
        debtor=_debtor(debtor, contact="Peter Njoroge", phone="+254 722 100 200"),
        invoices=[(invoice, 100, 8_500_000, 0)],
        history=HISTORY,
        stage=stage,
    )


def main() -> None:
    app = create_app()
    with app.app_context():
        business = db.session.scalars(
            select(Organisation).where(Organisation.name == "Acacia Office Supplies Ltd")
        ).one()
        admin = db.session.scalars(select(User).where(User.email == "admin@mombasa.example")).one()
        propose(admin, business, MOMBASA_OFFER, admin.name, "127.0.0.1")

        now = datetime.now(UTC)
        _play(_scenario(DEBTORS["placement"], "submitted", "AC-7001"), now)
        _play(_scenario(DEBTORS["plan"], "accepted", "AC-7003"), now)
        recovered = _play(_scenario(DEBTORS["recovered"], "accepted", "AC-7002"), now)
        worker = recovered.assigned_to
        today = now.astimezone(NAIROBI).date()
        with acting_as(worker):
            ledger.record_payment(
                recovered,
                worker,
                ledger.PaymentData(
                    amount_minor=RECOVERED_PAYMENT,
                    received_on=today,
                    method="mpesa",
                    reference="QX7002LT",
                    paid_to=PaidTo.AGENCY,
                    token=secrets.token_hex(16),
                ),
                today,
            )
        db.session.commit()


if __name__ == "__main__":
    main()
