"""The rules of handing a case over. Services flush; the route commits once.

A case is a draft (editable) until it is submitted to an agency with an active agreement; then
it gets its reference, its balance at placement is frozen, and the agency is told.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from portal import audit, lifecycle
from portal.errors import DomainError
from portal.extensions import db
from portal.models import (
    CHECKLIST_ITEMS,
    Agreement,
    AgreementStatus,
    Case,
    CaseSequence,
    CaseStatus,
    Channel,
    ChargeBasis,
    ChargeKind,
    ChargeTerm,
    CloseCode,
    CorrespondenceEntry,
    Debtor,
    DebtorKind,
    Direction,
    Document,
    Event,
    Invoice,
    Message,
    MessageKind,
    Notification,
    Organisation,
    Role,
    Side,
    User,
    utcnow,
)
from portal.money import is_currency
from portal.notifications import notify, people
from portal.tenancy import owned


@dataclass
class DebtorData:
    kind: DebtorKind
    name: str
    country: str
    timezone: str
    registration_number: str = ""
    account_number: str = ""
    contact_person: str = ""
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    address: str = ""


@dataclass
class InvoiceData:
    number: str
    issue_date: date
    due_date: date
    amount_minor: int
    paid_minor: int = 0


@dataclass
class ChargeTermData:
    kind: ChargeKind
    basis: ChargeBasis
    clause: str = ""
    fixed_minor: int | None = None
    annual_rate_bps: int | None = None


@dataclass
class HistoryData:
    occurred_at: datetime  # aware
    channel: Channel
    direction: Direction
    summary: str
    contact_person: str = ""
    outcome: str = ""


@dataclass
class CaseData:
    """Everything the case form holds. `debtor_id` picks an existing debtor instead of `debtor`."""

    currency: str
    invoices: list[InvoiceData]
    debtor: DebtorData | None = None
    debtor_id: int | None = None
    contract_reference: str = ""
    notes: str = ""
    charge_terms: list[ChargeTermData] = field(default_factory=list)
    checklist: dict[str, bool] = field(default_factory=dict)


def local_today(user: User) -> date:
    """Today's date where the user is: "in the future" means after this."""
    return datetime.now(ZoneInfo(user.zone)).date()


def invoice_problems(invoices: list[InvoiceData], today: date) -> list[tuple[int, str, str]]:
    """(row, field, message) for invoice rows that cannot be right."""
    problems = []
    seen: dict[str, int] = {}
    for row, inv in enumerate(invoices):
        if not inv.number.strip():
            problems.append((row, "number", "Enter the invoice number."))
        if inv.due_date < inv.issue_date:
            problems.append((row, "due_date", "The due date is before the issue date."))
        if inv.issue_date > today:
            problems.append((row, "issue_date", "The issue date is in the future."))
        if inv.amount_minor <= 0:
            problems.append((row, "amount", "The amount must be more than zero."))
        if inv.paid_minor < 0:
            problems.append((row, "paid", "Already paid cannot be negative."))
        elif inv.paid_minor > inv.amount_minor:
            problems.append((row, "paid", "Already paid is more than the amount."))
        key = inv.number.strip().casefold()
        if key in seen:
            problems.append((row, "number", f"Invoice {inv.number.strip()} is listed twice."))
        seen[key] = row
    return problems


def save_draft(user: User, data: CaseData, case: Case | None = None) -> Case:
    """Create or update a draft case from the form's data. Only a draft can change this way.

    A refused rule raises `DomainError` whose `field` names the form field, e.g.
    ``invoices-1-due_date``.
    """
    if case is not None and not case.is_draft:
        raise DomainError("A submitted case can no longer be edited.")
    _check_case_data(user, data)
    debtor = _debtor_for(user, data, case)
    created = case is None
    if case is None:
        case = Case(
            business_id=user.organisation_id,
            status=CaseStatus.DRAFT,
            created_by_id=user.id,
            checklist={},
        )
        db.session.add(case)
    case.debtor = debtor
    case.currency = data.currency
    case.contract_reference = data.contract_reference.strip()
    case.notes = data.notes.strip()
    _replace_rows(case, data)
    _set_checklist(case, user, data.checklist)
    case.updated_at = utcnow()
    db.session.flush()
    audit.record(
        "case_created" if created else "case_edited",
        case=case,
        summary=f"Draft {'created' if created else 'edited'} for debtor #{debtor.id}",
        after={"debtor_id": debtor.id},
        actor=user,
    )
    return case


def _check_case_data(user: User, data: CaseData) -> None:
    if not is_currency(data.currency):
        raise DomainError(
            f"“{data.currency}” is not a currency code we know (e.g. KES).", field="currency"
        )
    if not data.invoices:
        raise DomainError("Add at least one invoice.", field="invoices")
    problems = invoice_problems(data.invoices, local_today(user))
    if problems:
        row, name, message = problems[0]
        raise DomainError(message, field=f"invoices-{row}-{name}")
    for row, term in enumerate(data.charge_terms):
        if term.fixed_minor is None and term.annual_rate_bps is None:
            raise DomainError(
                "Give a fixed amount or a yearly rate.", field=f"charge_terms-{row}-fixed"
            )
        if term.fixed_minor is not None and term.fixed_minor <= 0:
            raise DomainError(
                "The amount must be more than zero.", field=f"charge_terms-{row}-fixed"
            )


def _replace_rows(case: Case, data: CaseData) -> None:
    """The draft's invoices and charge terms become the form's (old rows go first: an invoice
    number may be kept, and it is unique on the case)."""
    if case.invoices or case.charge_terms:
        case.invoices.clear()
        case.charge_terms.clear()
        db.session.flush()
    case.invoices = [
        Invoice(
            number=i.number.strip(),
            issue_date=i.issue_date,
            due_date=i.due_date,
            amount_minor=i.amount_minor,
            paid_minor=i.paid_minor,
        )
        for i in data.invoices
    ]
    case.charge_terms = [
        ChargeTerm(
            kind=t.kind,
            basis=t.basis,
            clause=t.clause.strip(),
            fixed_minor=t.fixed_minor,
            annual_rate_bps=t.annual_rate_bps,
        )
        for t in data.charge_terms
    ]


def _debtor_for(user: User, data: CaseData, case: Case | None) -> Debtor:
    """The debtor picked, or the one typed: a draft's own debtor (on no other case) is updated
    in place rather than copied."""
    if data.debtor_id:
        debtor = db.session.scalars(owned(Debtor, user).where(Debtor.id == data.debtor_id)).first()
        if debtor is None:
            raise DomainError("Pick one of your debtors.", field="debtor_id")
        return debtor
    if data.debtor is None or not data.debtor.name.strip():
        raise DomainError(
            "Enter the debtor's name, or pick a debtor you already have.", field="debtor-name"
        )
    debtor = case.debtor if case is not None and _only_on(case.debtor, case) else None
    if debtor is None:
        debtor = Debtor(business_id=user.organisation_id)
        db.session.add(debtor)
    d = data.debtor
    debtor.kind, debtor.name = d.kind, d.name.strip()
    debtor.country, debtor.timezone = d.country, d.timezone
    debtor.registration_number = d.registration_number.strip()
    debtor.account_number = d.account_number.strip()
    debtor.contact_person = d.contact_person.strip()
    debtor.emails, debtor.phones = list(d.emails), list(d.phones)
    debtor.address = d.address.strip()
    return debtor


def debtor_is_shared(case: Case) -> bool:
    """Whether the case's debtor is also on another case (so editing it would change those)."""
    return not _only_on(case.debtor, case)


def _only_on(debtor: Debtor, case: Case) -> bool:
    other = db.session.scalar(
        select(func.count(Case.id)).where(Case.debtor_id == debtor.id, Case.id != case.id)
    )
    return other == 0


def _set_checklist(case: Case, user: User, answers: dict[str, bool]) -> None:
    """Record the answers; who confirmed the whole list, and when, is kept until it changes."""
    checklist = {key: bool(answers.get(key)) for key in CHECKLIST_ITEMS}
    was_complete = case.checklist_confirmed_at is not None and all(
        (case.checklist or {}).get(key) for key in CHECKLIST_ITEMS
    )
    case.checklist = checklist
    if not all(checklist.values()):
        case.checklist_confirmed_by_id = None
        case.checklist_confirmed_at = None
    elif not was_complete:
        case.checklist_confirmed_by_id = user.id
        case.checklist_confirmed_at = utcnow()


def add_history(case: Case, user: User, entry: HistoryData) -> CorrespondenceEntry:
    """Append one correspondence entry. History is append-only: correct by adding."""
    if case.status == CaseStatus.CLOSED:
        raise DomainError("This case is closed: its history can no longer change.")
    if entry.occurred_at > utcnow() + timedelta(minutes=5):
        raise DomainError(
            "A contact that already happened cannot be in the future.", field="occurred_at"
        )
    if not entry.summary.strip():
        raise DomainError("Say what was said or sent.", field="summary")
    row = CorrespondenceEntry(
        case_id=case.id,
        side=Side.AGENCY if user.is_agency else Side.BUSINESS,
        occurred_at=entry.occurred_at,
        channel=entry.channel,
        direction=entry.direction,
        contact_person=entry.contact_person.strip(),
        summary=entry.summary.strip(),
        outcome=entry.outcome.strip(),
        recorded_by_id=user.id,
        recorded_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        "history_added",
        case=case,
        actor=user,
        summary=f"{entry.channel.label} on {entry.occurred_at:%Y-%m-%d}",
    )
    return row


def history_count(case: Case) -> int:
    return db.session.scalar(
        select(func.count(CorrespondenceEntry.id)).where(CorrespondenceEntry.case_id == case.id)
    )


def submission_problems(case: Case) -> list[tuple[str, str]]:
    """(field, message) for everything that stops this case being handed over."""
    problems = []
    missing = [key for key in CHECKLIST_ITEMS if not (case.checklist or {}).get(key)]
    if missing:
        problems.append(
            (
                "checklist",
                f"Confirm every item of the checklist before handing over "
                f"({len(missing)} of {len(CHECKLIST_ITEMS)} not yet).",
            )
        )
    if not case.invoices:
        problems.append(("invoices", "Add at least one invoice."))
    elif case.outstanding_minor <= 0:
        problems.append(("invoices", "Nothing is outstanding on these invoices."))
    if history_count(case) == 0:
        problems.append(
            (
                "history",
                "Record at least one contact with the debtor "
                "(the agency needs the history to act).",
            )
        )
    return problems


def placeable_agreements(business_id: int) -> list[Agreement]:
    """The active agreements a business may place a case under."""
    return list(
        db.session.scalars(
            select(Agreement)
            .where(Agreement.business_id == business_id, Agreement.status == AgreementStatus.ACTIVE)
            .order_by(Agreement.id)
        )
    )


def submit(case: Case, user: User, agreement_id: int) -> None:
    """Hand the case over: reference, frozen balance, answer deadline, the agency told."""
    if not case.is_draft:
        raise DomainError("This case has already been submitted.")
    problems = submission_problems(case)
    if problems:
        raise DomainError(problems[0][1], field=problems[0][0])
    agreement = next(
        (a for a in placeable_agreements(case.business_id) if a.id == agreement_id), None
    )
    if agreement is None:
        raise DomainError(
            "Choose an agency you have an active agreement with.", field="agreement_id"
        )
    if agreement.currency != case.currency:
        raise DomainError(
            f"Your agreement with {agreement.agency.name} is in "
            f"{agreement.currency}; this case is in {case.currency}.",
            field="agreement_id",
        )
    now = utcnow()
    case.reference = next_reference(case.business, now.year)
    case.agency_id, case.agreement_id = agreement.agency_id, agreement.id
    case.placement_balance_minor = case.outstanding_minor
    case.debt_age_days_at_placement = debt_age_days(case, now.date())
    case.submitted_at = now
    case.answer_due_at = now + timedelta(days=agreement.answer_days)
    lifecycle.move(
        case,
        CaseStatus.SUBMITTED,
        actor=user,
        summary=f"Placed with {agreement.agency.name} as {case.reference}",
    )
    notify(
        people(agreement.agency_id, Role.AGENCY_ADMIN),
        "placement_received",
        f"New placement {case.reference} from {case.business.name}: {case.debtor.name}.",
        case=case,
    )


def debt_age_days(case: Case, today: date) -> int:
    """Days since the oldest unpaid invoice fell due (0 if none is overdue yet)."""
    unpaid = [i.due_date for i in case.invoices if i.outstanding_minor > 0]
    return max(0, (today - min(unpaid)).days) if unpaid else 0


def next_reference(business: Organisation, year: int, session: Session | None = None) -> str:
    """ACA-2026-00042: the business's prefix, the year, the next number in its sequence."""
    session = session or db.session
    seq = session.scalars(
        select(CaseSequence)
        .where(CaseSequence.business_id == business.id, CaseSequence.year == year)
        .with_for_update()
    ).first()
    if seq is None:
        seq = CaseSequence(business_id=business.id, year=year, last_value=0)
        session.add(seq)
    seq.last_value += 1
    session.flush()
    return f"{business.case_prefix}-{year}-{seq.last_value:05d}"


def withdraw(case: Case, user: User, reason: str) -> None:
    """The business takes a placed case back before the agency accepts it."""
    if case.status not in lifecycle.PLACED:
        raise DomainError("Only a case the agency has not accepted yet can be withdrawn.")
    if not reason.strip():
        raise DomainError("Say why the case is withdrawn.", field="reason")
    lifecycle.move(
        case,
        CaseStatus.CLOSED,
        close_code=CloseCode.WITHDRAWN,
        actor=user,
        summary=f"Withdrawn by {case.business.name}: {reason.strip()}",
    )
    notify(
        people(case.agency_id, Role.AGENCY_ADMIN),
        "case_withdrawn",
        f"{case.reference} was withdrawn by {case.business.name}.",
        case=case,
    )


def delete_draft(case: Case, user: User) -> None:
    """A draft never handed over can be thrown away."""
    if not case.is_draft:
        raise DomainError("Only a draft can be deleted; withdraw a submitted case instead.")
    # The draft's own events stay in the organisation's trail, no longer linked to a case.
    db.session.execute(update(Event).where(Event.case_id == case.id).values(case_id=None))
    db.session.execute(
        update(Notification).where(Notification.case_id == case.id).values(case_id=None)
    )
    for model in (Document, CorrespondenceEntry, Message):  # SQLite does not cascade
        db.session.execute(delete(model).where(model.case_id == case.id))
    audit.record(
        "draft_deleted",
        summary=f"Draft {case.id} for debtor #{case.debtor_id} deleted",
        before={"case_id": case.id, "debtor_id": case.debtor_id},
        actor=user,
    )
    db.session.delete(case)
    db.session.flush()


def request_information(case: Case, user: User, question: str) -> Message:
    """The agency asks the business a question before deciding; the case waits for the answer."""
    if not question.strip():
        raise DomainError("Write the question.", field="question")
    lifecycle.move(case, CaseStatus.INFO_REQUESTED, summary="Information requested", actor=user)
    message = _message(case, user, MessageKind.QUESTION, question)
    notify(
        people(case.business_id, Role.BUSINESS_ADMIN, Role.BUSINESS_MEMBER),
        "information_requested",
        f"{case.agency.name} asks about {case.reference}: {question.strip()[:120]}",
        case=case,
    )
    return message


def answer_information_request(case: Case, user: User, answer: str) -> Message:
    """The business answers; the case goes back to the agency as submitted."""
    if case.status != CaseStatus.INFO_REQUESTED:
        raise DomainError("The agency has not asked anything on this case.")
    if not answer.strip():
        raise DomainError("Write your answer.", field="answer")
    message = _message(case, user, MessageKind.ANSWER, answer)
    lifecycle.move(case, CaseStatus.SUBMITTED, summary="Information given", actor=user)
    notify(
        people(case.agency_id, Role.AGENCY_ADMIN),
        "information_given",
        f"{case.business.name} answered on {case.reference}.",
        case=case,
    )
    return message


def _message(case: Case, user: User, kind: MessageKind, body: str) -> Message:
    message = Message(
        case_id=case.id,
        author_id=user.id,
        kind=kind,
        body=body.strip(),
        side=Side.AGENCY if user.is_agency else Side.BUSINESS,
        internal=False,
    )
    db.session.add(message)
    db.session.flush()
    audit.record(f"message_{kind.value}", case=case, after={"message_id": message.id}, actor=user)
    return message
