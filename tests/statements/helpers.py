"""Factories for statement tests: placed cases and recoveries as model rows.

Recoveries are written directly (the ledger's payment form is another feature), with the fee
and tax the ledger's own arithmetic gives, so every row passes the table's CHECK constraints.
"""

from datetime import UTC, date, datetime

from portal.extensions import db
from portal.ledger import totals
from portal.ledger.fees import fee_on, tax_on
from portal.models import Agreement, Case, CaseStatus, PaidTo, Recovery, Statement, User
from portal.statements import services
from tests import factories

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def placed_case(agreement: Agreement, fee_rate_bps: int = 2000, **fields) -> Case:
    """A case of the agreement's business, in collection with the agreement's agency."""
    case = factories.case(
        agreement.business,
        agreement.agency,
        status=CaseStatus.IN_COLLECTION,
        agreement_id=agreement.id,
        fee_rate_bps=fee_rate_bps,
        **fields,
    )
    return case


def recovery(
    case: Case,
    amount_minor: int,
    received_on: date,
    paid_to: PaidTo = PaidTo.AGENCY,
    tax_bps: int | None = None,
) -> Recovery:
    """A payment with its fee (the case's rate) and the agreement's tax on the fee."""
    rate = case.fee_rate_bps or 0
    if tax_bps is None:
        tax_bps = case.agreement.fee_tax_bps or 0
    fee = fee_on(amount_minor, rate)
    tax = tax_on(fee, tax_bps)
    row = Recovery(
        case_id=case.id,
        received_on=received_on,
        amount_minor=amount_minor,
        currency=case.currency,
        method="bank_transfer",
        paid_to=paid_to,
        reference=f"REF-{amount_minor}",
        fee_rate_bps=rate,
        fee_minor=fee,
        tax_minor=tax,
        net_minor=amount_minor - fee - tax,
    )
    db.session.add(row)
    totals.refresh(case)  # as the ledger does
    return row


def reversal(original: Recovery, received_on: date) -> Recovery:
    """The bounced payment undone: a new negative entry of its own date."""
    row = Recovery(
        case_id=original.case_id,
        received_on=received_on,
        amount_minor=-original.amount_minor,
        currency=original.currency,
        method=original.method,
        paid_to=original.paid_to,
        reference=original.reference,
        fee_rate_bps=original.fee_rate_bps,
        fee_minor=-original.fee_minor,
        tax_minor=-original.tax_minor,
        net_minor=-original.net_minor,
        reverses_id=original.id,
    )
    db.session.add(row)
    totals.refresh(db.session.get(Case, original.case_id))
    return row


def issue(agreement: Agreement, start: date, end: date, by: User, today: date = TODAY) -> Statement:
    statement = services.issue(agreement, start, end, by, NOW, today)
    db.session.commit()
    return statement
