"""Rows for the dashboard tests, made directly and consistent with the models' CHECK constraints.

The services that normally write these rows (casework, ledger) are tested on their own; here
we only need known rows to count.
"""

from datetime import UTC, date, datetime, time, timedelta
from itertools import count

from portal.casework import promises
from portal.extensions import db
from portal.ledger import totals
from portal.models import (
    Arrangement,
    ArrangementKind,
    ArrangementStatus,
    Case,
    CaseStatus,
    Channel,
    Charge,
    ChargeBasis,
    ChargeKind,
    ChargeTerm,
    CloseCode,
    CorrespondenceEntry,
    Direction,
    Frequency,
    Instalment,
    InstalmentStatus,
    Invoice,
    Organisation,
    PaidTo,
    Recovery,
    Side,
    User,
)
from portal.money import apply_rate
from tests import factories

_seq = count(1)


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def placed_case(
    business: Organisation,
    agency: Organisation,
    *,
    status: CaseStatus = CaseStatus.IN_COLLECTION,
    amount: int = 100_000,
    currency: str = "KES",
    due: date | None = None,
    submitted: date | None = None,
    assigned_to: User | None = None,
    close_code: CloseCode | None = None,
    answer_due_at: datetime | None = None,
    fee_rate_bps: int = 2000,
) -> Case:
    """A case handed to `agency`, with one unpaid invoice due on `due`."""
    n = next(_seq)
    due = due or date(2026, 1, 31)
    submitted = submitted or date(2026, 3, 1)
    if status == CaseStatus.CLOSED and close_code is None:
        close_code = CloseCode.PAID_IN_FULL
    case = Case(
        business_id=business.id,
        agency_id=agency.id,
        debtor=factories.debtor(business),
        currency=currency,
        status=status,
        close_code=close_code,
        reference=f"{business.case_prefix}-D-{n:05d}",
        placement_balance_minor=amount,
        fee_rate_bps=fee_rate_bps,
        submitted_at=at(submitted),
        answer_due_at=answer_due_at,
        accepted_at=at(submitted + timedelta(days=1)) if status not in _WAITING else None,
        assigned_to_id=assigned_to.id if assigned_to else None,
    )
    case.invoices = [
        Invoice(
            number=f"INV-{n}",
            issue_date=due - timedelta(days=30),
            due_date=due,
            amount_minor=amount,
            paid_minor=0,
        )
    ]
    db.session.add(case)
    db.session.flush()
    return case


_WAITING = (CaseStatus.SUBMITTED, CaseStatus.INFO_REQUESTED, CaseStatus.DRAFT)


def invoice(case: Case, due: date, amount: int = 1000, paid: int = 0) -> Invoice:
    inv = Invoice(
        case_id=case.id,
        number=f"EXTRA-{next(_seq)}",
        issue_date=due - timedelta(days=30),
        due_date=due,
        amount_minor=amount,
        paid_minor=paid,
    )
    db.session.add(inv)
    db.session.flush()
    return inv


def recovery(
    case: Case,
    amount: int,
    received_on: date,
    *,
    rate_bps: int | None = None,
    tax_bps: int = 0,
    paid_to: PaidTo = PaidTo.AGENCY,
    reverses: Recovery | None = None,
) -> Recovery:
    """A payment (or, with `reverses`, its negative reversal) with fee, tax and net that add up."""
    rate = case.fee_rate_bps if rate_bps is None else rate_bps
    fee = apply_rate(amount, rate)
    tax = apply_rate(fee, tax_bps)
    r = Recovery(
        case_id=case.id,
        received_on=received_on,
        amount_minor=amount,
        currency=case.currency,
        method="bank_transfer",
        paid_to=paid_to,
        fee_rate_bps=rate,
        fee_minor=fee,
        tax_minor=tax,
        net_minor=amount - fee - tax,
        reverses_id=reverses.id if reverses else None,
    )
    db.session.add(r)
    totals.refresh(case)  # as the ledger does when money moves
    promises.refresh(case)
    return r


def charge(case: Case, amount: int) -> Charge:
    term = ChargeTerm(
        case_id=case.id, kind=ChargeKind.LATE_FEE, basis=ChargeBasis.CONTRACT, fixed_minor=amount
    )
    db.session.add(term)
    db.session.flush()
    c = Charge(case_id=case.id, term_id=term.id, amount_minor=amount)
    db.session.add(c)
    totals.refresh(case)
    return c


def contact(
    case: Case,
    occurred: datetime,
    *,
    promise_date: date | None = None,
    promise_amount: int | None = None,
    breach: bool = False,
    corrects: CorrespondenceEntry | None = None,
) -> CorrespondenceEntry:
    """An agency contact-log entry; a breach carries its override reason, as the CHECK asks."""
    e = CorrespondenceEntry(
        case_id=case.id,
        side=Side.AGENCY,
        occurred_at=occurred,
        channel=Channel.PHONE,
        direction=Direction.OUTBOUND,
        summary="Called the debtor",
        promise_date=promise_date,
        promise_amount_minor=promise_amount,
        rule_breach=breach,
        breached_rules="calls_per_day" if breach else None,
        override_reason="The debtor asked to be called back" if breach else None,
        corrects_id=corrects.id if corrects else None,
        recorded_at=occurred,
    )
    db.session.add(e)
    promises.refresh(case)  # as the contact log does
    return e


def plan(
    case: Case,
    status: ArrangementStatus,
    *,
    missed: bool = False,
    first_due: date = date(2026, 4, 1),
) -> Arrangement:
    """A two-instalment monthly plan; `missed` marks its first instalment missed."""
    a = Arrangement(
        case_id=case.id,
        kind=ArrangementKind.PLAN,
        status=status,
        total_minor=2000,
        instalment_count=2,
        frequency=Frequency.MONTHLY,
        first_due_on=first_due,
        broken_at=at(first_due + timedelta(days=10))
        if status == ArrangementStatus.BROKEN
        else None,
    )
    a.instalments = [
        Instalment(
            seq=1,
            due_on=first_due,
            amount_minor=1000,
            status=InstalmentStatus.MISSED if missed else InstalmentStatus.DUE,
        ),
        Instalment(seq=2, due_on=first_due + timedelta(days=30), amount_minor=1000),
    ]
    db.session.add(a)
    db.session.flush()
    return a


def settle() -> None:
    db.session.commit()
