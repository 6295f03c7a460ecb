"""The case carries its standing promise to pay, kept in step by the contact log and the ledger:
the latest promise, not corrected, not yet kept."""

from datetime import UTC, date, datetime

from sqlalchemy import select

from portal.casework import promises
from portal.casework import services as casework
from portal.extensions import db
from portal.ledger import services as ledger
from portal.models import (
    Case,
    Channel,
    ContactOutcome,
    Direction,
    PaidTo,
    PartyReached,
    Recovery,
)
from tests.ledger import helpers

MADE = datetime(2026, 9, 2, 7, 30, tzinfo=UTC)  # 10:30 in Nairobi
TODAY = date(2026, 9, 15)


def accepted(world):
    case = helpers.accepted(world)
    case.accepted_at = datetime(2026, 9, 1, tzinfo=UTC)
    return case


def _promise(case, user, amount, on, at=MADE, corrects=None, notes=""):
    data = casework.ContactData(
        occurred_at=at,
        channel=Channel.PHONE,
        direction=Direction.OUTBOUND,
        party_reached=PartyReached.DEBTOR,
        outcome=ContactOutcome.PROMISE_TO_PAY,
        promise_amount_minor=amount,
        promise_date=on,
        notes=notes,
        corrects_id=corrects.id if corrects else None,
    )
    return casework.log_contact(case, user, data, at)


def _pay(case, user, amount, token, received=date(2026, 9, 10)):
    data = ledger.PaymentData(amount, received, "mpesa", token, PaidTo.AGENCY, token)
    recovery, _ = ledger.record_payment(case, user, data, TODAY)
    return recovery


def test_a_logged_promise_becomes_the_cases_standing_promise(world):
    case = accepted(world)
    entry = _promise(case, world.caseworker, 5_000_00, date(2026, 9, 20))
    assert (case.promise_entry_id, case.promise_due_on) == (entry.id, date(2026, 9, 20))


def test_a_later_promise_replaces_the_earlier_one(world):
    case = accepted(world)
    _promise(case, world.caseworker, 5_000_00, date(2026, 9, 20))
    later = _promise(
        case, world.caseworker, 3_000_00, date(2026, 9, 30), at=datetime(2026, 9, 9, 7, tzinfo=UTC)
    )
    assert (case.promise_entry_id, case.promise_due_on) == (later.id, date(2026, 9, 30))


def test_a_corrected_promise_no_longer_stands(world):
    case = accepted(world)
    wrong = _promise(case, world.caseworker, 5_000_00, date(2026, 9, 20))
    data = casework.ContactData(
        occurred_at=datetime(2026, 9, 2, 8, tzinfo=UTC),
        channel=Channel.PHONE,
        direction=Direction.OUTBOUND,
        party_reached=PartyReached.NOBODY,
        outcome=ContactOutcome.NO_ANSWER,
        notes="Logged on the wrong case",
        corrects_id=wrong.id,
    )
    casework.log_contact(case, world.caseworker, data, datetime(2026, 9, 2, 8, tzinfo=UTC))
    assert (case.promise_entry_id, case.promise_due_on) == (None, None)


def test_paying_the_amount_promised_keeps_the_promise_and_a_reversal_undoes_it(world):
    case = accepted(world)
    entry = _promise(case, world.caseworker, 5_000_00, date(2026, 9, 20))
    first = _pay(case, world.caseworker, 2_000_00, "part")
    assert case.promise_entry_id == entry.id  # 2,000 of 5,000: still due
    _pay(case, world.caseworker, 3_000_00, "rest")
    assert (case.promise_entry_id, case.promise_due_on) == (None, None)
    ledger.reverse_payment(case, world.caseworker, first, "Cheque bounced", TODAY)
    assert (case.promise_entry_id, case.promise_due_on) == (entry.id, date(2026, 9, 20))


def test_refreshing_every_case_at_once_agrees_with_the_services(world):
    kept, due = accepted(world), accepted(world)
    _promise(kept, world.caseworker, 1_000_00, date(2026, 9, 20))
    _pay(kept, world.caseworker, 1_000_00, "kept")
    entry = _promise(due, world.caseworker, 1_000_00, date(2026, 9, 21))
    assert db.session.scalar(select(Recovery.id).where(Recovery.case_id == due.id)) is None
    db.session.commit()
    db.session.execute(Case.__table__.update().values(promise_entry_id=None, promise_due_on=None))

    promises.refresh_all(db.session.connection())
    db.session.expire_all()

    assert (db.session.get(Case, kept.id).promise_entry_id, due.promise_entry_id) == (
        None,
        entry.id,
    )
    assert due.promise_due_on == date(2026, 9, 21)
