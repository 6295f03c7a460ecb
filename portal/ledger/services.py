"""Money on a case: payments and reversals, balances, payment plans, settlements, closing.

Every function that changes money locks the case row first (SELECT ... FOR UPDATE on
PostgreSQL), so two people recording at once are served one after the other: no update is
lost and the balance is never overpaid. Services flush; the route commits once.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import case as sql_case
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal import audit, lifecycle, money
from portal.casework import promises
from portal.errors import DomainError
from portal.extensions import db
from portal.formatting import nice_date
from portal.ledger import fees, totals
from portal.models import (
    Arrangement,
    ArrangementKind,
    ArrangementStatus,
    Case,
    CaseStatus,
    Charge,
    CloseCode,
    Frequency,
    Instalment,
    InstalmentStatus,
    PaidTo,
    Recovery,
    Role,
    User,
    utcnow,
)
from portal.notifications import notify, people

S = CaseStatus
AS = ArrangementStatus

METHODS = {
    "bank_transfer": "Bank transfer",
    "mpesa": "M-Pesa",
    "card": "Card",
    "cheque": "Cheque",
    "cash": "Cash",
}
PAID_TO = {
    PaidTo.AGENCY: "To the agency",
    PaidTo.CLIENT: "Directly to the business",
}
FREQUENCIES = {
    Frequency.WEEKLY: "Weekly",
    Frequency.FORTNIGHTLY: "Fortnightly",
    Frequency.MONTHLY: "Monthly",
}
# What an agency admin may close a case as (paid in full and settled happen by themselves).
CLOSE_OUTCOMES = {
    CloseCode.INSOLVENT: "Uncollectable: the debtor is insolvent",
    CloseCode.UNTRACEABLE: "Uncollectable: the debtor cannot be traced",
    CloseCode.DECEASED: "Uncollectable: the debtor has died",
    CloseCode.STATUTE_BARRED: "Uncollectable: the debt is statute-barred",
    CloseCode.RETURNED: "Returned to the business",
}
# A case being worked: money can move.
WORKING = frozenset({S.ACCEPTED, S.IN_COLLECTION, S.PAYMENT_PLAN, S.ON_HOLD, S.IN_LEGAL})
# Where a new plan or settlement may start (not during a dispute, not beside another one).
ARRANGEABLE = frozenset({S.ACCEPTED, S.IN_COLLECTION, S.IN_LEGAL})
WITHDRAWABLE = frozenset({S.ACCEPTED, S.IN_COLLECTION, S.PAYMENT_PLAN, S.ON_HOLD})
OPEN = (AS.ACTIVE, AS.AWAITING_APPROVAL)
MAX_INSTALMENTS = 120
MAX_REVERSAL_REASON = 2000

BUSINESS_PEOPLE = (Role.BUSINESS_ADMIN, Role.BUSINESS_MEMBER)


# --- reading the money ---------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """What both sides see: the balance at placement, what came in, the fee, what is left."""

    placement: int
    charges: int
    recovered: int
    fee: int
    tax: int
    net: int
    fee_owed_by_business: int  # fee and tax on payments made directly to the business

    @property
    def balance(self) -> int:
        return self.placement + self.charges - self.recovered


def figures(case: Case) -> Figures:
    """The money on a case, summed in SQL."""
    direct = sql_case(
        (Recovery.paid_to == PaidTo.CLIENT, Recovery.fee_minor + Recovery.tax_minor), else_=0
    )
    sums = db.session.execute(
        select(
            func.coalesce(func.sum(Recovery.amount_minor), 0),
            func.coalesce(func.sum(Recovery.fee_minor), 0),
            func.coalesce(func.sum(Recovery.tax_minor), 0),
            func.coalesce(func.sum(Recovery.net_minor), 0),
            func.coalesce(func.sum(direct), 0),
        ).where(Recovery.case_id == case.id)
    ).one()
    charges = db.session.scalar(
        select(func.coalesce(func.sum(Charge.amount_minor), 0)).where(Charge.case_id == case.id)
    )
    recovered, fee, tax, net, owed = (int(v) for v in sums)  # PostgreSQL sums are numeric
    return Figures(case.placement_balance_minor or 0, int(charges), recovered, fee, tax, net, owed)


def balance_of(case: Case) -> int:
    return figures(case).balance


def payments_of(case: Case) -> list[Recovery]:
    """Every entry on the case, oldest first: payments and the reversals that undo them."""
    return list(
        db.session.scalars(
            select(Recovery)
            .where(Recovery.case_id == case.id)
            .order_by(Recovery.received_on, Recovery.id)
        )
    )


def reversed_ids(case: Case) -> set[int]:
    rows = db.session.scalars(
        select(Recovery.reverses_id).where(
            Recovery.case_id == case.id, Recovery.reverses_id.is_not(None)
        )
    )
    return set(rows)


def open_arrangement(case: Case, kind: ArrangementKind | None = None) -> Arrangement | None:
    """The plan or settlement in force or waiting for the business (at most one)."""
    stmt = select(Arrangement).where(Arrangement.case_id == case.id, Arrangement.status.in_(OPEN))
    if kind is not None:
        stmt = stmt.where(Arrangement.kind == kind)
    return db.session.scalars(stmt.order_by(Arrangement.id.desc())).first()


def arrangements_of(case: Case) -> list[Arrangement]:
    return list(
        db.session.scalars(
            select(Arrangement)
            .where(Arrangement.case_id == case.id)
            .order_by(Arrangement.id.desc())
        )
    )


def lock(case: Case) -> Case:
    """The case row, locked until the transaction ends, with its state read afresh."""
    locked = db.session.get(Case, case.id, with_for_update=True, populate_existing=True)
    assert locked is not None
    return locked


def _format(case: Case, minor: int) -> str:
    return money.format_money(minor, case.currency)


def _require_working(case: Case, doing: str) -> None:
    if case.status == S.CLOSED:
        raise DomainError(
            f"This case is closed ({case.close_code.label.lower()}), so you cannot {doing}. "
            "An agency admin can reopen it, with a reason."
        )
    if case.status not in WORKING:
        raise DomainError(f"You can {doing} only once the agency has accepted the case.")


# --- payments ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentData:
    amount_minor: int
    received_on: date
    method: str
    reference: str
    paid_to: PaidTo
    token: str
    note: str = ""


def record_payment(case: Case, user: User, data: PaymentData, today: date) -> tuple[Recovery, bool]:
    """Record money the debtor paid, with the agency's fee; return it and whether it is new.

    The same form token records once: a second submit returns the first recovery.
    """
    case = lock(case)
    _require_working(case, "record a payment")
    earlier = _recorded_with(case, data.token)
    if earlier is not None:
        return earlier, False
    _check_payment(case, data, today)
    _refresh_plan_of(case, data.received_on)
    plan = open_arrangement(case, ArrangementKind.PLAN)
    recovery = _new_recovery(case, user, data, _first_unpaid(plan))
    audit.record(
        "payment_recorded",
        case=case,
        actor=user,
        summary=_payment_summary(case, recovery),
        after=_entry(recovery),
    )
    notify(
        people(case.business_id, *BUSINESS_PEOPLE),
        "payment_recorded",
        f"{case.reference}: {_payment_summary(case, recovery)}.",
        case=case,
    )
    _after_money_moved(case, user, plan)
    return recovery, True


def _recorded_with(case: Case, token: str) -> Recovery | None:
    if not token:
        raise DomainError("This form is incomplete: reload the page and enter the payment again.")
    earlier = db.session.scalars(select(Recovery).where(Recovery.idempotency_key == token)).first()
    if earlier is not None and earlier.case_id != case.id:
        raise DomainError("This form was already used: reload the page and enter it again.")
    return earlier


def _check_payment(case: Case, data: PaymentData, today: date) -> None:
    if data.amount_minor <= 0:
        raise DomainError("Enter an amount above zero.", field="amount")
    if data.received_on > today:
        raise DomainError(
            "The date received cannot be in the future: record the payment once it has arrived.",
            field="received_on",
        )
    if data.method not in METHODS:
        raise DomainError("Choose how it was paid.", field="method")
    if data.paid_to not in PAID_TO:
        raise DomainError("Say who received the money.", field="paid_to")
    balance = balance_of(case)
    if data.amount_minor > balance:
        raise DomainError(
            f"That is more than the balance of {_format(case, balance)}. Record at most the "
            "balance; anything paid above it goes back to the debtor.",
            field="amount",
        )


def _new_recovery(
    case: Case, user: User, data: PaymentData, instalment: Instalment | None
) -> Recovery:
    agreement = case.agreement
    remittance = "direct" if data.paid_to == PaidTo.CLIENT else agreement.remittance_mode.value
    parts = fees.split(
        data.amount_minor, case.fee_rate_bps or 0, agreement.fee_tax_bps or 0, remittance
    )
    recovery = Recovery(
        case_id=case.id,
        received_on=data.received_on,
        amount_minor=parts.gross,
        currency=case.currency,
        method=data.method,
        paid_to=data.paid_to,
        reference=data.reference,
        fee_rate_bps=case.fee_rate_bps or 0,
        fee_minor=parts.fee,
        tax_minor=parts.tax,
        net_minor=parts.net_to_client,
        instalment_id=instalment.id if instalment else None,
        note=data.note,
        recorded_by_id=user.id,
        idempotency_key=data.token,
    )
    try:
        with db.session.begin_nested():
            db.session.add(recovery)
    except IntegrityError:  # the same token committed by a request we did not wait for
        raise DomainError("This payment was already recorded.") from None
    return recovery


def _payment_summary(case: Case, r: Recovery) -> str:
    what = "Payment reversed" if r.amount_minor < 0 else "Payment recorded"
    where = "paid directly to the business" if r.paid_to == PaidTo.CLIENT else "paid to the agency"
    text = (
        f"{what}: {_format(case, r.amount_minor)} {where}, fee {_format(case, r.fee_minor)}"
        + (f" + tax {_format(case, r.tax_minor)}" if r.tax_minor else "")
        + f", net {_format(case, r.net_minor)}"
    )
    return text + (f" ({r.note})" if r.note and r.amount_minor < 0 else "")


def _entry(r: Recovery) -> dict:
    return {
        "recovery_id": r.id,
        "amount_minor": r.amount_minor,
        "fee_minor": r.fee_minor,
        "tax_minor": r.tax_minor,
        "net_minor": r.net_minor,
        "paid_to": r.paid_to.value,
        "received_on": r.received_on.isoformat(),
    }


def reverse_payment(
    case: Case, user: User, recovery: Recovery, reason: str, today: date
) -> Recovery:
    """A payment that bounced: a new, negative entry with the reason. Only once per payment."""
    case = lock(case)
    _require_working(case, "reverse a payment")
    if recovery.case_id != case.id:
        raise DomainError("That payment is not on this case.")
    if recovery.amount_minor < 0:
        raise DomainError("This entry is itself a reversal: it cannot be reversed.")
    if recovery.id in reversed_ids(case):
        raise DomainError("This payment has already been reversed.")
    if not reason.strip():
        raise DomainError("Say why the payment is reversed, e.g. “cheque bounced”.", field="reason")
    reversal = Recovery(
        case_id=case.id,
        received_on=max(today, recovery.received_on),
        amount_minor=-recovery.amount_minor,
        currency=recovery.currency,
        method=recovery.method,
        paid_to=recovery.paid_to,
        reference=recovery.reference,
        fee_rate_bps=recovery.fee_rate_bps,
        fee_minor=-recovery.fee_minor,
        tax_minor=-recovery.tax_minor,
        net_minor=-recovery.net_minor,
        reverses_id=recovery.id,
        instalment_id=recovery.instalment_id,
        note=reason.strip()[:MAX_REVERSAL_REASON],
        recorded_by_id=user.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(reversal)
    except IntegrityError:
        raise DomainError("This payment has already been reversed.") from None
    summary = _payment_summary(case, reversal)
    audit.record("payment_reversed", case=case, actor=user, summary=summary, after=_entry(reversal))
    notify(
        people(case.business_id, *BUSINESS_PEOPLE),
        "payment_reversed",
        f"{case.reference}: {summary}.",
        case=case,
    )
    totals.refresh(case)
    promises.refresh(case)  # a bounced payment can leave a promise unkept again
    plan = open_arrangement(case, ArrangementKind.PLAN)
    if plan is not None and plan.status == AS.ACTIVE:
        allocate(plan)
    return reversal


# --- after money moves: plans, settlements, paid in full -----------------------------------


def _after_money_moved(case: Case, user: User | None, plan: Arrangement | None) -> None:
    totals.refresh(case)
    promises.refresh(case)
    lifecycle.start_collection(case, actor=user, because="first payment recorded")
    if plan is not None and plan.status == AS.ACTIVE:
        allocate(plan)
        if all(i.status == InstalmentStatus.PAID for i in plan.instalments):
            _complete_plan(case, plan, user)
    balance = balance_of(case)
    if balance <= 0:
        _end_open_arrangements(case, AS.COMPLETED)
        lifecycle.move(
            case, S.CLOSED, close_code=CloseCode.PAID_IN_FULL, summary="Paid in full", actor=user
        )
        _tell_business(case, "case_closed", f"{case.reference} is paid in full and closed.")
        return
    _close_if_settled(case, user, balance)


def _close_if_settled(case: Case, user: User | None, balance: int) -> None:
    """An accepted settlement whose amount is paid closes the case as settled."""
    settlement = open_arrangement(case, ArrangementKind.SETTLEMENT)
    if settlement is None or settlement.status != AS.ACTIVE:
        return
    if settlement_paid(settlement, balance) < settlement.total_minor:
        return
    settlement.status = AS.COMPLETED
    amount = _format(case, settlement.total_minor)
    lifecycle.move(
        case, S.CLOSED, close_code=CloseCode.SETTLED, summary=f"Settled for {amount}", actor=user
    )
    _tell_business(case, "case_closed", f"{case.reference} is settled for {amount} and closed.")


def settlement_paid(settlement: Arrangement, balance: int) -> int:
    """What the debtor has paid since the settlement was offered."""
    return (settlement.balance_at_offer_minor or 0) - balance


def _end_open_arrangements(case: Case, status: ArrangementStatus) -> None:
    """On closing: the arrangement in force takes `status`; one never approved is cancelled."""
    for arrangement in db.session.scalars(
        select(Arrangement).where(Arrangement.case_id == case.id, Arrangement.status.in_(OPEN))
    ):
        arrangement.status = status if arrangement.status == AS.ACTIVE else AS.CANCELLED
    db.session.flush()


def _tell_business(case: Case, kind: str, text: str) -> None:
    notify(people(case.business_id, *BUSINESS_PEOPLE), kind, text, case=case)


def _tell_agency(case: Case, kind: str, text: str) -> None:
    admins = people(case.agency_id, Role.AGENCY_ADMIN)
    worker = [case.assigned_to] if case.assigned_to and case.assigned_to not in admins else []
    notify([*admins, *worker], kind, text, case=case)


# --- payment plans -------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanData:
    total_minor: int
    count: int
    frequency: Frequency
    first_due_on: date
    note: str = ""


def schedule(
    total_minor: int, count: int, frequency: Frequency, first_due_on: date
) -> list[tuple[date, int]]:
    """The instalments: equal amounts, the remainder on the last, summing exactly to the total.

    Monthly dates count from the first date (31 Jan, 28 Feb, 31 Mar), never drifting.
    """
    if count < 1:
        raise DomainError("A plan has at least one instalment.", field="count")
    if count > MAX_INSTALMENTS:
        raise DomainError(f"A plan has at most {MAX_INSTALMENTS} instalments.", field="count")
    base = total_minor // count
    if base < 1:
        raise DomainError("Too many instalments for that total.", field="count")
    amounts = [base] * (count - 1) + [total_minor - base * (count - 1)]
    return [(_due(first_due_on, frequency, n), amount) for n, amount in enumerate(amounts)]


def _due(first: date, frequency: Frequency, n: int) -> date:
    if frequency == Frequency.WEEKLY:
        return first + timedelta(weeks=n)
    if frequency == Frequency.FORTNIGHTLY:
        return first + timedelta(weeks=2 * n)
    return first + relativedelta(months=n)


def create_plan(case: Case, user: User, data: PlanData, today: date) -> Arrangement:
    """An instalment plan: the case moves to 'payment plan' until it is paid, broken or ended."""
    case = lock(case)
    _require_arrangeable(case, "agree a payment plan")
    balance = balance_of(case)
    if data.total_minor <= 0:
        raise DomainError("Enter the plan's total.", field="total")
    if data.total_minor > balance:
        raise DomainError(
            f"A plan covers at most the balance of {_format(case, balance)}.", field="total"
        )
    if data.first_due_on < today:
        raise DomainError("The first instalment cannot be due in the past.", field="first_due_on")
    rows = schedule(data.total_minor, data.count, data.frequency, data.first_due_on)
    plan = Arrangement(
        case_id=case.id,
        kind=ArrangementKind.PLAN,
        status=AS.ACTIVE,
        total_minor=data.total_minor,
        instalment_count=data.count,
        frequency=data.frequency,
        first_due_on=data.first_due_on,
        note=data.note,
        created_by_id=user.id,
        decided_by_id=user.id,
        decided_at=utcnow(),
        instalments=[
            Instalment(seq=n, due_on=due, amount_minor=amount, paid_minor=0)
            for n, (due, amount) in enumerate(rows, start=1)
        ],
    )
    db.session.add(plan)
    db.session.flush()
    summary = (
        f"Payment plan: {_format(case, data.total_minor)} in {data.count} "
        f"{FREQUENCIES[data.frequency].lower()} instalments from {nice_date(data.first_due_on)}"
    )
    lifecycle.move(case, S.PAYMENT_PLAN, summary=summary, actor=user)
    audit.record("plan_created", case=case, actor=user, summary=summary)
    _tell_business(case, "plan_created", f"{case.reference}: {summary}.")
    return plan


def _require_arrangeable(case: Case, doing: str) -> None:
    _require_working(case, doing)
    if open_arrangement(case) is not None:
        raise DomainError(
            "This case already has a plan or settlement in force or awaiting approval: "
            "end it first."
        )
    if case.status not in ARRANGEABLE:
        raise DomainError(
            f"A case that is {case.status.label.lower()} cannot {doing}"
            + (": the dispute must be resolved first." if case.status == S.ON_HOLD else ".")
        )


def allocate(plan: Arrangement) -> None:
    """Spread what was paid towards the plan over its instalments, in order."""
    ids = [i.id for i in plan.instalments]
    paid = db.session.scalar(
        select(func.coalesce(func.sum(Recovery.amount_minor), 0)).where(
            Recovery.instalment_id.in_(ids)
        )
    )
    left = max(int(paid), 0)
    for inst in plan.instalments:
        inst.paid_minor = min(left, inst.amount_minor)
        left -= inst.paid_minor
        if inst.paid_minor == inst.amount_minor:
            inst.status = InstalmentStatus.PAID
        elif inst.status == InstalmentStatus.PAID:
            inst.status = InstalmentStatus.DUE  # a reversal took its money back
    db.session.flush()


def _first_unpaid(plan: Arrangement | None) -> Instalment | None:
    if plan is None or plan.status != AS.ACTIVE:
        return None
    return next((i for i in plan.instalments if i.paid_minor < i.amount_minor), None)


def _complete_plan(case: Case, plan: Arrangement, user: User | None) -> None:
    plan.status = AS.COMPLETED
    audit.record("plan_completed", case=case, actor=user, summary="Every instalment is paid")
    if case.status == S.PAYMENT_PLAN and balance_of(case) > 0:
        lifecycle.move(
            case, S.IN_COLLECTION, summary="Plan completed; a balance remains", actor=user
        )


def instalment_state(inst: Instalment, grace_days: int, today: date) -> InstalmentStatus:
    """Paid; due (not yet past its date); late (past it, within the grace days); or missed."""
    if inst.paid_minor >= inst.amount_minor:
        return InstalmentStatus.PAID
    days_late = (today - inst.due_on).days
    if days_late <= 0:
        return InstalmentStatus.DUE
    if days_late <= grace_days:
        return InstalmentStatus.LATE
    return InstalmentStatus.MISSED


@dataclass(frozen=True)
class PlanView:
    """A plan as it stands today, computed without writing (GET pages never write)."""

    plan: Arrangement
    rows: list[tuple[Instalment, InstalmentStatus]]
    paid: int
    broken: bool = False
    next_due: Instalment | None = None
    counts: dict[str, int] = field(default_factory=dict)


def plan_view(plan: Arrangement, grace_days: int, today: date) -> PlanView:
    """A plan in force as it stands today; a plan that broke, ended or was completed as its
    instalments were stored when it did, so it reads the same on every later day."""
    active = plan.status == AS.ACTIVE
    if active:
        rows = [(i, instalment_state(i, grace_days, today)) for i in plan.instalments]
    else:
        rows = [(i, i.status) for i in plan.instalments]
    missed = any(s == InstalmentStatus.MISSED for _, s in rows)
    broken = plan.status == AS.BROKEN or (active and missed)
    unpaid = (i for i, s in rows if s != InstalmentStatus.PAID)
    next_due = next(unpaid, None) if active else None
    counts = {s.value: sum(1 for _, x in rows if x == s) for s in InstalmentStatus}
    return PlanView(
        plan, rows, sum(i.paid_minor for i in plan.instalments), broken, next_due, counts
    )


@dataclass
class RefreshResult:
    late: int = 0
    missed: int = 0
    broken: list[str] = field(default_factory=list)


def refresh_plans(today: date, actor: User | None = None) -> RefreshResult:
    """Mark instalments late or missed as of `today`; a missed one breaks its plan and the case
    returns to collection. Run daily by `flask ledger refresh-plans`."""
    result = RefreshResult()
    plan_ids = db.session.scalars(
        select(Arrangement.id).where(
            Arrangement.kind == ArrangementKind.PLAN, Arrangement.status == AS.ACTIVE
        )
    ).all()
    for plan_id in plan_ids:
        plan = db.session.get(Arrangement, plan_id)
        case = lock(plan.case)
        db.session.refresh(plan)
        if plan.status != AS.ACTIVE:
            continue
        if _refresh_plan(case, plan, today, actor, result):
            result.broken.append(case.reference or str(case.id))
    return result


def _refresh_plan_of(case: Case, today: date) -> None:
    plan = open_arrangement(case, ArrangementKind.PLAN)
    if plan is not None and plan.status == AS.ACTIVE:
        _refresh_plan(case, plan, today, None, RefreshResult())


def _refresh_plan(
    case: Case, plan: Arrangement, today: date, actor: User | None, result: RefreshResult
) -> bool:
    """Persist the instalments' state as of `today`; break the plan if one was missed."""
    grace = case.agreement.grace_days
    for inst in plan.instalments:
        state = instalment_state(inst, grace, today)
        if state != inst.status:
            result.late += state == InstalmentStatus.LATE
            result.missed += state == InstalmentStatus.MISSED
            inst.status = state
    db.session.flush()
    missed = [i for i in plan.instalments if i.status == InstalmentStatus.MISSED]
    if not missed:
        return False
    _break_plan(case, plan, missed[0], grace, actor)
    return True


def _break_plan(
    case: Case, plan: Arrangement, missed: Instalment, grace: int, actor: User | None
) -> None:
    plan.status = AS.BROKEN
    plan.broken_at = utcnow()
    summary = (
        f"Payment plan broken: instalment {missed.seq} due {nice_date(missed.due_on)} "
        f"was not paid within {grace} grace days"
    )
    audit.record("plan_broken", case=case, actor=actor, summary=summary)
    if case.status == S.PAYMENT_PLAN:
        lifecycle.move(case, S.IN_COLLECTION, summary=summary, actor=actor)
    _tell_business(case, "plan_broken", f"{case.reference}: {summary}.")
    if case.assigned_to is not None:
        notify([case.assigned_to], "plan_broken", f"{case.reference}: {summary}.", case=case)


# --- settlements ---------------------------------------------------------------------------


def floor_amount(case: Case, balance: int) -> int:
    """The smallest settlement the agency may accept without asking the business."""
    floor_bps = case.agreement.settlement_floor_bps
    return -(-balance * floor_bps // 10_000)  # rounded up: the floor is never undercut


def offer_settlement(case: Case, user: User, amount_minor: int, note: str) -> Arrangement:
    """A settlement for less than the balance. At or above the agreement's floor the agency
    accepts it; below it waits for the business's approval."""
    case = lock(case)
    _require_arrangeable(case, "settle")
    balance = balance_of(case)
    if amount_minor <= 0:
        raise DomainError("Enter the amount the debtor offers.", field="amount")
    if amount_minor >= balance:
        raise DomainError(
            f"A settlement is for less than the balance of {_format(case, balance)}; "
            "a payment of the whole balance is simply recorded.",
            field="amount",
        )
    at_floor = amount_minor >= floor_amount(case, balance)
    settlement = Arrangement(
        case_id=case.id,
        kind=ArrangementKind.SETTLEMENT,
        status=AS.ACTIVE if at_floor else AS.AWAITING_APPROVAL,
        total_minor=amount_minor,
        balance_at_offer_minor=balance,
        note=note,
        created_by_id=user.id,
        decided_by_id=user.id if at_floor else None,
        decided_at=utcnow() if at_floor else None,
    )
    db.session.add(settlement)
    db.session.flush()
    what = f"{_format(case, amount_minor)} in full and final settlement of {_format(case, balance)}"
    if at_floor:
        audit.record("settlement_accepted", case=case, actor=user, summary=f"Settlement: {what}")
        _tell_business(case, "settlement_accepted", f"{case.reference}: settlement {what}.")
    else:
        audit.record(
            "settlement_proposed",
            case=case,
            actor=user,
            summary=f"Settlement below the floor, for the business to approve: {what}",
        )
        notify(
            people(case.business_id, Role.BUSINESS_ADMIN),
            "settlement_approval_needed",
            f"{case.reference}: {case.agency.name} asks you to approve a settlement of {what}.",
            case=case,
        )
    return settlement


def _awaiting(case: Case, settlement: Arrangement) -> None:
    if settlement.case_id != case.id or settlement.kind != ArrangementKind.SETTLEMENT:
        raise DomainError("That settlement is not on this case.")
    if settlement.status != AS.AWAITING_APPROVAL:
        raise DomainError("This settlement is no longer waiting for your decision.")


def approve_settlement(case: Case, user: User, settlement: Arrangement) -> None:
    """The business agrees to a settlement below the floor; paying it will close the case."""
    case = lock(case)
    _require_business_admin(case, user)
    _awaiting(case, settlement)
    settlement.status = AS.ACTIVE
    settlement.decided_by_id, settlement.decided_at = user.id, utcnow()
    text = f"Settlement of {_format(case, settlement.total_minor)} approved by {user.name}"
    audit.record("settlement_approved", case=case, actor=user, summary=text)
    _tell_agency(case, "settlement_approved", f"{case.reference}: {text}.")
    _after_money_moved(case, user, None)


def decline_settlement(case: Case, user: User, settlement: Arrangement, note: str) -> None:
    case = lock(case)
    _require_business_admin(case, user)
    _awaiting(case, settlement)
    settlement.status = AS.DECLINED
    settlement.decided_by_id, settlement.decided_at = user.id, utcnow()
    if note.strip():
        settlement.note = (settlement.note + "\n" if settlement.note else "") + note.strip()
    text = f"Settlement of {_format(case, settlement.total_minor)} declined by {user.name}" + (
        f": {note.strip()}" if note.strip() else ""
    )
    audit.record("settlement_declined", case=case, actor=user, summary=text)
    _tell_agency(case, "settlement_declined", f"{case.reference}: {text}.")


def _require_business_admin(case: Case, user: User) -> None:
    if user.role != Role.BUSINESS_ADMIN or user.organisation_id != case.business_id:
        raise DomainError("Only an administrator of the business decides on a settlement.")


def cancel_arrangement(case: Case, user: User, arrangement: Arrangement, reason: str) -> None:
    """The agency ends a plan or settlement still open; a plan's case returns to collection."""
    case = lock(case)
    if arrangement.case_id != case.id:
        raise DomainError("That arrangement is not on this case.")
    if arrangement.status not in OPEN:
        raise DomainError("Only a plan or settlement still open can be ended.")
    if not reason.strip():
        raise DomainError("Say why it is ended.", field="reason")
    arrangement.status = AS.CANCELLED
    what = "Payment plan" if arrangement.kind == ArrangementKind.PLAN else "Settlement"
    summary = f"{what} ended: {reason.strip()}"
    audit.record(f"{arrangement.kind.value}_cancelled", case=case, actor=user, summary=summary)
    if arrangement.kind == ArrangementKind.PLAN and case.status == S.PAYMENT_PLAN:
        lifecycle.move(case, S.IN_COLLECTION, summary=summary, actor=user)
    _tell_business(case, f"{arrangement.kind.value}_cancelled", f"{case.reference}: {summary}.")


# --- closing, legal, reopening, withdrawal -------------------------------------------------


def close_case(case: Case, user: User, code: CloseCode, reason: str) -> None:
    """An agency admin closes a case as uncollectable (with its reason) or returned."""
    case = lock(case)
    _require_agency_admin(case, user, "close a case")
    _require_working(case, "close it")
    if code not in CLOSE_OUTCOMES:
        raise DomainError("Choose an outcome.", field="outcome")
    if not reason.strip():
        raise DomainError("Say why the case closes this way.", field="reason")
    _end_open_arrangements(case, AS.CANCELLED)
    summary = f"{CLOSE_OUTCOMES[code]}. {reason.strip()}"
    lifecycle.move(case, S.CLOSED, close_code=code, summary=summary, actor=user)
    _tell_business(case, "case_closed", f"{case.reference} closed: {summary}")
    if case.assigned_to is not None and case.assigned_to_id != user.id:
        notify([case.assigned_to], "case_closed", f"{case.reference} closed: {summary}", case=case)


def change_stage(case: Case, user: User, to: CaseStatus, note: str) -> None:
    """An agency admin sends a case to legal, or brings it back into collection."""
    case = lock(case)
    _require_agency_admin(case, user, "send a case to legal")
    _require_working(case, "change its stage")
    if to not in (S.IN_LEGAL, S.IN_COLLECTION):
        raise DomainError("Choose legal or collection.", field="stage")
    if case.status == S.PAYMENT_PLAN:
        raise DomainError("This case has a payment plan in force: end the plan first.")
    if case.status == to:
        raise DomainError(f"The case is already {to.label.lower()}.", field="stage")
    if case.status == S.ON_HOLD and to == S.IN_COLLECTION:
        raise DomainError("The case is on hold for a dispute: the business resolves it first.")
    label = "Sent to legal" if to == S.IN_LEGAL else "Back in collection"
    summary = label + (f": {note.strip()}" if note.strip() else "")
    lifecycle.move(case, to, summary=summary, actor=user)
    _tell_business(case, "stage_changed", f"{case.reference}: {summary}.")


def reopen_case(case: Case, user: User, reason: str) -> None:
    """Only an agency admin reopens a closed case, with a reason (portal.lifecycle.reopen)."""
    case = lock(case)
    lifecycle.reopen(case, reason, actor=user)
    _tell_business(case, "case_reopened", f"{case.reference} is reopened: {reason.strip()}")


def withdraw_case(case: Case, user: User, reason: str) -> None:
    """The business takes back a case the agency has accepted and is working."""
    case = lock(case)
    if user.organisation_id != case.business_id or user.role not in BUSINESS_PEOPLE:
        raise DomainError("Only the business that placed the case can withdraw it.")
    if case.status == S.IN_LEGAL:
        raise DomainError("The case is in legal proceedings: ask the agency to return it instead.")
    if case.status not in WITHDRAWABLE:
        raise DomainError(f"A case that is {case.status.label.lower()} cannot be withdrawn here.")
    if not reason.strip():
        raise DomainError("Say why the case is withdrawn.", field="reason")
    _end_open_arrangements(case, AS.CANCELLED)
    lifecycle.move(
        case,
        S.CLOSED,
        close_code=CloseCode.WITHDRAWN,
        actor=user,
        summary=f"Withdrawn by {case.business.name}: {reason.strip()}",
    )
    _tell_agency(case, "case_withdrawn", f"{case.reference} was withdrawn by {case.business.name}.")


def _require_agency_admin(case: Case, user: User, doing: str) -> None:
    if user.role != Role.AGENCY_ADMIN or user.organisation_id != case.agency_id:
        raise DomainError(f"Only an admin of the agency working the case can {doing}.")
