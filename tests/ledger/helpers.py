"""Accepted cases ready for money, and a payment form as the browser sends it."""

from datetime import date

from portal.extensions import db
from portal.models import CaseStatus, utcnow
from tests import factories

TODAY = date(2026, 9, 15)


def accepted(world, amount_minor=45_000_00, rate_bps=3000, status=CaseStatus.IN_COLLECTION, **kw):
    """A case the agency accepted at `rate_bps`, assigned to the world's caseworker."""
    case = factories.case(
        world.business,
        world.agency,
        status=status,
        amount_minor=amount_minor,
        agreement_id=world.agreement.id,
        fee_rate_bps=rate_bps,
        fee_rate_explanation="test rate",
        assigned_to_id=world.caseworker.id,
        accepted_at=utcnow(),
        debt_age_days_at_placement=30,
        **kw,
    )
    db.session.commit()
    return case


def payment_form(amount="100.00", received_on="2026-09-01", token="tok-1", **fields):
    data = {
        "pay-amount": amount,
        "pay-received_on": received_on,
        "pay-method": "mpesa",
        "pay-reference": "QX12AB",
        "pay-paid_to": "agency",
        "pay-token": token,
    }
    data.update({f"pay-{k}": v for k, v in fields.items()})
    return data
