"""The case carries the sums of its ledger (recovered, charged), kept in step by the ledger, so
lists read its balance from the row: it always equals the balance summed from the rows."""

from datetime import date

from portal.extensions import db
from portal.ledger import services, totals
from portal.models import Case, PaidTo
from tests.ledger.helpers import TODAY, accepted


def _pay(case, user, amount, token, paid_to=PaidTo.AGENCY):
    data = services.PaymentData(amount, date(2026, 9, 10), "mpesa", token, paid_to, token)
    recovery, _ = services.record_payment(case, user, data, TODAY)
    return recovery


def test_a_payment_and_its_reversal_move_the_balance_the_case_carries(world):
    case = accepted(world, amount_minor=10_000_00)
    first = _pay(case, world.caseworker, 2_500_00, "one")
    _pay(case, world.caseworker, 1_000_00, "two", paid_to=PaidTo.CLIENT)  # direct: counts too
    assert (case.recovered_minor, case.balance_minor) == (3_500_00, 6_500_00)
    assert case.balance_minor == services.figures(case).balance

    services.reverse_payment(case, world.caseworker, first, "Cheque bounced", TODAY)

    assert (case.recovered_minor, case.balance_minor) == (1_000_00, 9_000_00)
    assert case.balance_minor == services.figures(case).balance


def test_a_draft_has_no_balance_until_it_is_placed(world):
    from tests import factories

    draft = factories.case(world.business)
    assert draft.placement_balance_minor is None and draft.balance_minor is None


def test_refreshing_every_case_at_once_agrees_with_the_ledger(world):
    paid, untouched = accepted(world, amount_minor=5_000_00), accepted(world, amount_minor=700_00)
    _pay(paid, world.caseworker, 1_234_00, "bulk")
    db.session.commit()
    db.session.execute(Case.__table__.update().values(recovered_minor=0, charges_minor=0))

    totals.refresh_all(db.session.connection())
    db.session.expire_all()

    assert (paid.recovered_minor, paid.balance_minor) == (1_234_00, 3_766_00)
    assert (untouched.recovered_minor, untouched.balance_minor) == (0, 700_00)
