"""What a case has received and been charged, kept on the case.

The ledger's rows (recoveries, charges) are the truth. The case carries their sums
(`recovered_minor`, `charges_minor`) so that lists, dashboards and exports read a balance from
the case row (`Case.balance_minor`) instead of summing the ledger for every case they show.
`refresh` recomputes them in the same flush as the rows change, with the case's months of
collections (portal/ledger/collections.py); whoever adds a recovery or a charge calls it.
"""

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection

from portal.extensions import db
from portal.ledger import collections
from portal.models import Case, Charge, Recovery


def _recovered(case_id):
    return select(func.coalesce(func.sum(Recovery.amount_minor), 0)).where(
        Recovery.case_id == case_id
    )


def _charged(case_id):
    return select(func.coalesce(func.sum(Charge.amount_minor), 0)).where(Charge.case_id == case_id)


def refresh(case: Case) -> None:
    """Put the sums of the case's recoveries and charges on the case (after they changed)."""
    db.session.flush()
    case.recovered_minor = int(db.session.scalar(_recovered(case.id)))
    case.charges_minor = int(db.session.scalar(_charged(case.id)))
    collections.refresh(case)


def refresh_all(connection: Connection) -> None:
    """Every case's sums in one statement (for data loaded in bulk)."""
    connection.execute(
        update(Case).values(
            recovered_minor=_recovered(Case.id).scalar_subquery(),
            charges_minor=_charged(Case.id).scalar_subquery(),
        )
    )
