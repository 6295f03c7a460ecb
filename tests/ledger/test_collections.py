"""Each month's collections are kept per agency, client, caseworker and currency as payments
are recorded and cases change hands; they always equal the sums of the recoveries."""

from datetime import date

from sqlalchemy import func, select

from portal.extensions import db
from portal.ledger import collections, services
from portal.models import Case, CollectionMonth, PaidTo, Recovery
from portal.placements import services as placements
from tests.ledger.helpers import TODAY, accepted


def _pay(case, user, amount, day, token):
    data = services.PaymentData(amount, day, "mpesa", token, PaidTo.AGENCY, token)
    recovery, _ = services.record_payment(case, user, data, TODAY)
    return recovery


def _kept() -> set[tuple]:
    return {
        (r.agency_id, r.business_id, r.assigned_to_id, r.month, r.currency, r.amount_minor)
        for r in db.session.scalars(select(CollectionMonth))
    }


def _summed() -> set[tuple]:
    """The same rows, summed from the recoveries as the dashboard once did on every view."""
    rows = db.session.execute(
        select(
            Case.agency_id,
            Case.business_id,
            Case.assigned_to_id,
            Recovery.received_on,
            Recovery.currency,
            Recovery.amount_minor,
        ).join(Case, Case.id == Recovery.case_id)
    ).all()
    sums: dict[tuple, int] = {}
    for agency, business, holder, day, currency, amount in rows:
        key = (agency, business, holder, day.replace(day=1), currency)
        sums[key] = sums.get(key, 0) + amount
    return {(*key, amount) for key, amount in sums.items()}


def test_payments_in_two_months_are_kept_per_month(world):
    case = accepted(world)
    _pay(case, world.caseworker, 1_000_00, date(2026, 8, 20), "aug")
    _pay(case, world.caseworker, 250_00, date(2026, 9, 2), "sep-1")
    _pay(case, world.caseworker, 50_00, date(2026, 9, 10), "sep-2")

    held = (world.agency.id, world.business.id, world.caseworker.id)
    assert _kept() == {
        (*held, date(2026, 8, 1), "KES", 1_000_00),
        (*held, date(2026, 9, 1), "KES", 300_00),
    }
    assert _kept() == _summed()


def test_a_reversal_counts_against_its_month_and_a_month_netting_to_nothing_stays(world):
    case = accepted(world)
    payment = _pay(case, world.caseworker, 400_00, date(2026, 9, 3), "one")

    services.reverse_payment(case, world.caseworker, payment, "Cheque bounced", TODAY)

    assert _kept() == _summed()
    assert {row[-1] for row in _kept()} == {0}


def test_a_reassigned_case_takes_its_collections_to_its_new_caseworker(world):
    moved, stays = accepted(world), accepted(world)
    _pay(moved, world.caseworker, 700_00, date(2026, 9, 1), "moved")
    _pay(stays, world.caseworker, 200_00, date(2026, 9, 1), "stays")

    placements.reassign(moved, world.agency_admin, world.other_caseworker.id)
    db.session.flush()

    assert _kept() == _summed()
    by_holder = {row[2]: row[-1] for row in _kept()}
    assert by_holder == {world.caseworker.id: 200_00, world.other_caseworker.id: 700_00}


def test_rebuilding_every_row_at_once_agrees_with_the_rows_kept_one_by_one(world):
    first, second = accepted(world), accepted(world)
    _pay(first, world.caseworker, 1_234_00, date(2026, 7, 31), "a")
    _pay(second, world.caseworker, 99_00, date(2026, 8, 1), "b")
    kept = _kept()

    db.session.execute(CollectionMonth.__table__.delete())
    collections.refresh_all(db.session.connection())

    assert _kept() == kept == _summed()
    assert db.session.scalar(select(func.count(CollectionMonth.id))) == 2
