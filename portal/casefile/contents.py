"""What goes into a case file, read for one viewer through tenancy.

Every query runs through `owned(Model, viewer)` (or `scope`), so the file holds exactly what the
viewer may see on the portal: a business never gets the agency's internal notes, contacts or
events.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import false, func, select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import (
    Agreement,
    Arrangement,
    Case,
    Charge,
    ChargeTerm,
    CorrespondenceEntry,
    Dispute,
    Document,
    Event,
    Instalment,
    Invoice,
    Message,
    Recovery,
    Side,
    User,
)
from portal.tenancy import owned, scope


@dataclass(frozen=True)
class Figures:
    """The case's money, in minor units of its currency, summed in SQL."""

    placement_balance: int | None
    invoiced_outstanding: int
    charges: int
    recovered: int
    fees: int
    tax: int
    net: int

    @property
    def balance_now(self) -> int:
        start = (
            self.invoiced_outstanding
            if self.placement_balance is None
            else (self.placement_balance)
        )
        return start + self.charges - self.recovered


@dataclass
class CaseFileContents:
    case: Case
    viewer: User
    generated_at: datetime
    figures: Figures
    agreement: Agreement | None
    checklist_by: User | None
    charge_terms: list[ChargeTerm]
    invoices: list[Invoice]
    history: list[CorrespondenceEntry]  # the business's, before and after handover
    contact_log: list[CorrespondenceEntry]  # the agency's
    messages: list[Message]
    disputes: list[Dispute]
    arrangements: list[Arrangement]
    instalments: dict[int, list[Instalment]]
    recoveries: list[Recovery]
    events: list[Event]
    documents: list[Document]
    people: dict[int, User] = field(default_factory=dict)

    def person(self, user_id: int | None) -> str:
        person = self.people.get(user_id) if user_id else None
        return person.name if person else "—"


def gather(case: Case, viewer: User, now: datetime) -> CaseFileContents:
    """Everything the case file shows about `case`, as `viewer` may see it."""
    correspondence = _all(
        owned(CorrespondenceEntry, viewer)
        .where(CorrespondenceEntry.case_id == case.id)
        .options(selectinload(CorrespondenceEntry.documents))
        .order_by(CorrespondenceEntry.occurred_at, CorrespondenceEntry.id)
    )
    arrangements = _all(
        owned(Arrangement, viewer)
        .where(Arrangement.case_id == case.id)
        .order_by(Arrangement.created_at, Arrangement.id)
    )
    contents = CaseFileContents(
        case=case,
        viewer=viewer,
        generated_at=now,
        figures=figures(case, viewer),
        agreement=_agreement(case, viewer),
        checklist_by=None,
        charge_terms=_all(
            owned(ChargeTerm, viewer).where(ChargeTerm.case_id == case.id).order_by(ChargeTerm.id)
        ),
        invoices=_all(
            owned(Invoice, viewer)
            .where(Invoice.case_id == case.id)
            .order_by(Invoice.due_date, Invoice.id)
        ),
        history=[e for e in correspondence if e.side == Side.BUSINESS],
        contact_log=[e for e in correspondence if e.side == Side.AGENCY],
        messages=_all(
            owned(Message, viewer)
            .where(Message.case_id == case.id)
            .order_by(Message.created_at, Message.id)
        ),
        disputes=_all(
            owned(Dispute, viewer)
            .where(Dispute.case_id == case.id)
            .order_by(Dispute.created_at, Dispute.id)
        ),
        arrangements=arrangements,
        instalments=_instalments(arrangements, viewer),
        recoveries=_all(
            owned(Recovery, viewer)
            .where(Recovery.case_id == case.id)
            .order_by(Recovery.received_on, Recovery.id)
        ),
        events=timeline(case, viewer),
        documents=_all(
            owned(Document, viewer)
            .where(Document.case_id == case.id)
            .order_by(Document.uploaded_at, Document.id)
        ),
    )
    contents.people = _people(contents)
    contents.checklist_by = contents.people.get(case.checklist_confirmed_by_id or 0)
    return contents


def _all(stmt) -> list:
    return list(db.session.scalars(stmt))


def figures(case: Case, viewer: User) -> Figures:
    """Balance at placement, charges, recoveries with fee, tax and net, summed in SQL."""
    money = db.session.execute(
        owned(Recovery, viewer)
        .where(Recovery.case_id == case.id)
        .with_only_columns(
            func.coalesce(func.sum(Recovery.amount_minor), 0),
            func.coalesce(func.sum(Recovery.fee_minor), 0),
            func.coalesce(func.sum(Recovery.tax_minor), 0),
            func.coalesce(func.sum(Recovery.net_minor), 0),
        )
    ).one()
    charges = db.session.scalar(
        owned(Charge, viewer)
        .where(Charge.case_id == case.id)
        .with_only_columns(func.coalesce(func.sum(Charge.amount_minor), 0))
    )
    outstanding = db.session.scalar(
        owned(Invoice, viewer)
        .where(Invoice.case_id == case.id)
        .with_only_columns(func.coalesce(func.sum(Invoice.amount_minor - Invoice.paid_minor), 0))
    )
    return Figures(
        placement_balance=case.placement_balance_minor,
        invoiced_outstanding=int(outstanding or 0),
        charges=int(charges or 0),
        recovered=int(money[0]),
        fees=int(money[1]),
        tax=int(money[2]),
        net=int(money[3]),
    )


def _agreement(case: Case, viewer: User) -> Agreement | None:
    if case.agreement_id is None:
        return None
    stmt = (
        owned(Agreement, viewer)
        .where(Agreement.id == case.agreement_id)
        .options(selectinload(Agreement.bands), selectinload(Agreement.age_uplifts))
    )
    return db.session.scalars(stmt).first()


def _instalments(arrangements: list[Arrangement], viewer: User) -> dict[int, list[Instalment]]:
    by_plan: dict[int, list[Instalment]] = {a.id: [] for a in arrangements}
    if not by_plan:
        return by_plan
    rows = _all(
        owned(Instalment, viewer)
        .where(Instalment.arrangement_id.in_(list(by_plan)))
        .order_by(Instalment.arrangement_id, Instalment.seq)
    )
    for row in rows:
        by_plan[row.arrangement_id].append(row)
    return by_plan


def timeline(case: Case, viewer: User) -> list[Event]:
    """The case's audit events, oldest first; the business never sees internal ones.

    Events have no tenancy rule of their own: they are reached through the cases the viewer
    may see (`scope(Case, viewer)`).
    """
    stmt = select(Event).where(
        Event.case_id == case.id,
        Event.case_id.in_(select(Case.id).where(scope(Case, viewer))),
    )
    if not viewer.is_agency:
        stmt = stmt.where(Event.internal == false())
    stmt = stmt.options(selectinload(Event.actor).selectinload(User.organisation))
    return _all(stmt.order_by(Event.occurred_at, Event.id))


def _people(contents: CaseFileContents) -> dict[int, User]:
    """Everyone the file names (recorders, uploaders, deciders), in one query."""
    ids = {
        contents.case.checklist_confirmed_by_id,
        contents.case.assigned_to_id,
        contents.case.created_by_id,
        *(e.recorded_by_id for e in contents.history + contents.contact_log),
        *(m.author_id for m in contents.messages),
        *(d.raised_by_id for d in contents.disputes),
        *(d.resolved_by_id for d in contents.disputes),
        *(a.created_by_id for a in contents.arrangements),
        *(a.decided_by_id for a in contents.arrangements),
        *(r.recorded_by_id for r in contents.recoveries),
        *(d.uploaded_by_id for d in contents.documents),
    }
    ids.discard(None)
    if not ids:
        return {}
    stmt = select(User).where(User.id.in_(ids)).options(selectinload(User.organisation))
    return {u.id: u for u in db.session.scalars(stmt)}
