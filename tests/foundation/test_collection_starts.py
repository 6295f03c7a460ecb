"""An accepted case is in collection from the agency's first contact or first payment."""

from datetime import UTC, date, datetime

from portal.casework import services as casework
from portal.ledger import services as ledger
from portal.models import CaseStatus, Channel, ContactOutcome, Direction, PaidTo, PartyReached
from tests.ledger.helpers import accepted


def test_the_first_contact_puts_an_accepted_case_in_collection(world):
    case = accepted(world, status=CaseStatus.ACCEPTED)
    case.accepted_at = datetime(2026, 9, 1, tzinfo=UTC)
    moment = datetime(2026, 9, 2, 7, 30, tzinfo=UTC)  # 10:30 in Nairobi
    data = casework.ContactData(
        occurred_at=moment,
        channel=Channel.PHONE,
        direction=Direction.OUTBOUND,
        party_reached=PartyReached.NOBODY,
        outcome=ContactOutcome.NO_ANSWER,
    )

    casework.log_contact(case, world.caseworker, data, moment)

    assert case.status == CaseStatus.IN_COLLECTION


def test_the_first_payment_puts_an_accepted_case_in_collection(world):
    case = accepted(world, status=CaseStatus.ACCEPTED)
    payment = ledger.PaymentData(
        10_000_00, date(2026, 9, 10), "mpesa", "QX1", PaidTo.AGENCY, "first-payment"
    )

    ledger.record_payment(case, world.caseworker, payment, date(2026, 9, 15))

    assert case.status == CaseStatus.IN_COLLECTION


def test_later_contacts_leave_other_states_alone(world):
    case = accepted(world, status=CaseStatus.PAYMENT_PLAN)
    case.accepted_at = datetime(2026, 9, 1, tzinfo=UTC)
    moment = datetime(2026, 9, 2, 7, 30, tzinfo=UTC)
    data = casework.ContactData(
        occurred_at=moment,
        channel=Channel.PHONE,
        direction=Direction.OUTBOUND,
        party_reached=PartyReached.NOBODY,
        outcome=ContactOutcome.NO_ANSWER,
    )

    casework.log_contact(case, world.caseworker, data, moment)

    assert case.status == CaseStatus.PAYMENT_PLAN
