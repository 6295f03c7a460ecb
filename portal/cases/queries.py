"""Reading cases: the business's filtered, sorted, paginated list, and what a case page shows.

Every lookup goes through `tenancy`; counts and sums are computed in SQL.
"""

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ColumnElement, ScalarSelect, Select, case, false, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from portal.cases import export, services
from portal.extensions import db
from portal.formatting import nice_date
from portal.models import (
    Agreement,
    Case,
    CaseStatus,
    CloseCode,
    CorrespondenceEntry,
    Debtor,
    Event,
    Invoice,
    Message,
    MessageKind,
    Organisation,
    OrgKind,
    Side,
    User,
)
from portal.tenancy import owned, scope

PAGE_SIZE = 50
MAX_QUERY = 100

SORTS = {
    "recent": "Recently changed",
    "amount_desc": "Largest amount first",
    "amount_asc": "Smallest amount first",
    "age_desc": "Oldest debt first",
    "age_asc": "Newest debt first",
}

# Every kind of event any feature records (tests/cases/test_timeline.py reads the source to
# check that none is missing), in plain words. Case events show on the timeline; the others
# (sign-ins, agreements, users) in the organisation's activity.
EVENT_LABELS = {
    # the business's handover
    "case_created": "Draft created",
    "case_edited": "Draft edited",
    "draft_deleted": "Draft deleted",
    "history_added": "History entry added",
    "document_added": "Document added",
    "document_downloaded": "Document downloaded",
    "case_file_downloaded": "Case file downloaded",
    "cases_imported": "Cases imported from a file",
    "import_mapping_saved": "Column mapping saved",
    "import_mapping_deleted": "Column mapping deleted",
    "status_changed": "Status changed",
    "case_reassigned": "Caseworker assigned",
    # messages between the two sides
    "message_question": "The agency asked a question",
    "message_answer": "The business answered",
    "message_note": "Message",
    # the agency's casework
    "contact_logged": "Contact with the debtor logged",
    "contact_corrected": "Contact log entry corrected",
    "contact_flagged": "Contact flagged: it broke the rules of contact",
    "debtor_profile_set": "Debtor's kind recorded",
    "dispute_raised": "The debtor disputed the debt",
    "dispute_upheld": "Dispute upheld",
    "dispute_rejected": "Dispute rejected",
    # money
    "payment_recorded": "Payment recorded",
    "payment_reversed": "Payment reversed",
    "plan_created": "Payment plan agreed",
    "plan_completed": "Payment plan completed",
    "plan_broken": "Payment plan broken",
    "plan_cancelled": "Payment plan ended",
    "settlement_proposed": "Settlement offered, waiting for the business",
    "settlement_accepted": "Settlement agreed",
    "settlement_approved": "Settlement approved by the business",
    "settlement_declined": "Settlement declined by the business",
    "settlement_cancelled": "Settlement ended",
    "statement_issued": "Remittance statement issued",
    "statement_received": "Remittance statement marked received",
    # organisations, agreements and people
    "agreement_proposed": "Agreement proposed",
    "agreement_accepted": "Agreement accepted",
    "agreement_ended": "Agreement ended",
    "business_invited": "Business invited",
    "user_invited": "Person invited",
    "invitation_accepted": "Invitation accepted",
    "invitation_revoked": "Invitation withdrawn",
    "user_activated": "Account reactivated",
    "user_deactivated": "Account deactivated",
    "signed_in": "Signed in",
    "account_locked": "Account locked after failed sign-ins",
    "password_changed": "Password changed",
    "password_reset_requested": "Password reset requested",
    "password_reset": "Password reset",
    "two_factor_enabled": "Two-step sign-in turned on",
    "two_factor_disabled": "Two-step sign-in turned off",
    "recovery_codes_replaced": "New recovery codes made",
    "recovery_code_used": "Signed in with a recovery code",
    # personal data
    "debtor_exported": "Debtor's personal data exported",
    "debtor_erased": "Debtor's personal details erased",
}


def event_label(kind: str) -> str:
    """The plain-words name of an event kind (a kind without a label still reads as words)."""
    return EVENT_LABELS.get(kind) or kind.replace("_", " ").capitalize()


# A date as services write it into a summary (2026-09-01), not inside a reference or a time.
_ISO_DATE = re.compile(r"(?<![\w-])\d{4}-\d{2}-\d{2}(?![\w-])")


def event_summary(event: Event, day: Callable[[date], str] | None = None) -> str:
    """The event's summary as people read it: without a repeat of its label ("Payment recorded:
    Payment recorded: KES 20.00" reads "Payment recorded: KES 20.00"), and with its ISO dates
    written as dates (`day`, by default the web's: "2026-09-01" reads "1 Sep 2026").

    Only the text shown changes: the stored summary is sealed in the audit chain, dates and all.
    """
    summary = event.summary or ""
    label = event_label(event.kind)
    for prefix in (label + ": ", label + ":"):
        if summary.lower().startswith(prefix.lower()):
            summary = summary[len(prefix) :].strip()
            break
    return _ISO_DATE.sub(lambda match: _read_date(match.group(), day or nice_date), summary)


def _read_date(text: str, day: Callable[[date], str]) -> str:
    try:
        return day(date.fromisoformat(text))
    except ValueError:  # looks like a date but is not one (2026-13-45): left as written
        return text


# --- choices ---------------------------------------------------------------------------------


def debtor_choices(user: User) -> list[tuple[int, str]]:
    """The business's debtors, by name, for pickers and filters."""
    rows = db.session.execute(
        owned(Debtor, user)
        .with_only_columns(Debtor.id, Debtor.name)
        .order_by(Debtor.name, Debtor.id)
    ).all()
    return [(row.id, row.name) for row in rows]


def agency_choices(user: User) -> list[tuple[int, str]]:
    """The agencies the business has (or had) an agreement with."""
    rows = db.session.execute(
        owned(Organisation, user)
        .with_only_columns(Organisation.id, Organisation.name)
        .where(Organisation.kind == OrgKind.AGENCY)
        .order_by(Organisation.name)
    ).all()
    return [(row.id, row.name) for row in rows]


# --- the list ------------------------------------------------------------------------------


@dataclass
class Filters:
    status: CaseStatus | None = None
    agency_id: int | None = None
    debtor_id: int | None = None
    q: str = ""
    sort: str = "recent"
    page: int = 1

    def args(self, **changes) -> dict[str, str | int]:
        """The query string for these filters, with changes (e.g. another page)."""
        values = {
            "status": self.status.value if self.status else "",
            "agency": self.agency_id or "",
            "debtor": self.debtor_id or "",
            "q": self.q,
            "sort": self.sort,
            "page": self.page,
        } | changes
        defaults = {"page": 1, "sort": "recent"}
        return {k: v for k, v in values.items() if v not in ("", None) and defaults.get(k) != v}

    @property
    def active(self) -> bool:
        return bool(self.status or self.agency_id or self.debtor_id or self.q)


def read_filters(
    args: Mapping[str, str], agencies: list[tuple[int, str]], debtors: list[tuple[int, str]]
) -> Filters:
    """The list's filters from the query string; anything unknown is ignored, never an error."""
    statuses = {s.value: s for s in CaseStatus}
    q = " ".join((args.get("q") or "").replace("\x00", "").split())[:MAX_QUERY]
    sort = args.get("sort") if args.get("sort") in SORTS else "recent"
    return Filters(
        status=statuses.get(args.get("status") or ""),
        agency_id=_known_id(args.get("agency"), agencies),
        debtor_id=_known_id(args.get("debtor"), debtors),
        q=q,
        sort=sort,
        page=_page(args.get("page")),
    )


def _known_id(value: str | None, choices: list[tuple[int, str]]) -> int | None:
    known = {str(ident): ident for ident, _ in choices}
    return known.get((value or "").strip())


def _page(value: str | None) -> int:
    text = (value or "").strip()
    if not (text.isascii() and text.isdigit() and 0 < len(text) < 8):
        return 1
    return max(1, int(text))


@dataclass
class CaseRow:
    id: int
    reference: str | None
    status: CaseStatus
    currency: str
    debtor_name: str
    agency_name: str | None
    amount_minor: int
    oldest_due: date | None
    submitted_at: datetime | None
    changed_at: datetime | None
    close_code: CloseCode | None = None

    def days_past_due(self, today: date) -> int | None:
        return None if self.oldest_due is None else max(0, (today - self.oldest_due).days)


@dataclass
class CaseList:
    rows: list[CaseRow]
    filters: Filters
    total: int
    totals: list[tuple[str, int, int]]  # currency, cases, amount
    pages: int
    status_counts: dict[CaseStatus, int] = field(default_factory=dict)


def case_list(user: User, filters: Filters) -> CaseList:
    """One page of the user's cases, with the count and the sums of all that match."""
    stmt = _filtered(user, filters)
    sub = stmt.subquery()
    totals = [
        (row[0], row[1], int(row[2] or 0))
        for row in db.session.execute(
            select(sub.c.currency, func.count(), func.sum(sub.c.amount))
            .group_by(sub.c.currency)
            .order_by(sub.c.currency)
        ).all()
    ]
    total = sum(count for _, count, _ in totals)
    pages = max(1, -(-total // PAGE_SIZE))
    filters.page = min(filters.page, pages)
    # The page's ids first (in the default order straight from an index), then what the
    # rows show for those ids only.
    page = (
        stmt.with_only_columns(Case.id)
        .order_by(*_order(filters.sort))
        .limit(PAGE_SIZE)
        .offset((filters.page - 1) * PAGE_SIZE)
        .subquery("page")
    )
    rows = db.session.execute(
        stmt.join(page, page.c.id == Case.id).order_by(*_order(filters.sort))
    ).all()
    return CaseList(
        rows=[CaseRow(*row) for row in rows],
        filters=filters,
        total=total,
        totals=totals,
        pages=pages,
        status_counts=status_counts(user),
    )


def _outstanding() -> ScalarSelect:
    """What the case's invoices still say is owed (a draft's amount), per case shown."""
    return (
        select(func.sum(Invoice.amount_minor - Invoice.paid_minor))
        .where(Invoice.case_id == Case.id)
        .correlate(Case)
        .scalar_subquery()
    )


def _oldest_due() -> ScalarSelect:
    """The due date of the case's oldest invoice not fully paid, per case shown."""
    unpaid_due = case((Invoice.amount_minor > Invoice.paid_minor, Invoice.due_date))
    return (
        select(func.min(unpaid_due))
        .where(Invoice.case_id == Case.id)
        .correlate(Case)
        .scalar_subquery()
    )


def _filtered(user: User, filters: Filters) -> Select:
    """The matching cases with what each row shows. The invoices are read per case shown (and
    for the totals, per draft only), so a page in the default order, taken from the index on
    (business, last change), reads the invoices of its 50 cases, not of every case."""
    agency = aliased(Organisation)
    amount = _amount()
    stmt = (
        select(
            Case.id,
            Case.reference,
            Case.status,
            Case.currency,
            Debtor.name,
            agency.name,
            amount.label("amount"),
            _oldest_due().label("oldest_due"),
            Case.submitted_at,
            _changed().label("changed_at"),
            Case.close_code,
        )
        .join(Debtor, Debtor.id == Case.debtor_id)
        .outerjoin(agency, agency.id == Case.agency_id)
        .where(scope(Case, user))
    )
    if filters.status:
        stmt = stmt.where(Case.status == filters.status)
    if filters.agency_id:
        stmt = stmt.where(Case.agency_id == filters.agency_id)
    if filters.debtor_id:
        stmt = stmt.where(Case.debtor_id == filters.debtor_id)
    if filters.q:
        pattern = "%" + _escape_like(filters.q) + "%"
        stmt = stmt.where(
            or_(Case.reference.ilike(pattern, escape="\\"), Debtor.name.ilike(pattern, escape="\\"))
        )
    return stmt


def _amount() -> ColumnElement:
    """The amount a row shows: the balance at placement, or for a draft what its invoices say."""
    return func.coalesce(Case.placement_balance_minor, _outstanding(), 0)


def _changed() -> ColumnElement:
    return func.coalesce(Case.updated_at, Case.created_at)


def _order(sort: str) -> list:
    """The list's order as expressions on the case (the default, last change first, is the
    order of the index ix_cases_business_changed)."""
    if sort == "amount_desc":
        return [_amount().desc(), Case.id.desc()]
    if sort == "amount_asc":
        return [_amount().asc(), Case.id.desc()]
    if sort == "age_desc":
        return [_oldest_due().asc().nulls_last(), Case.id.desc()]
    if sort == "age_asc":
        return [_oldest_due().desc().nulls_last(), Case.id.desc()]
    return [_changed().desc(), Case.id.desc()]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def status_counts(user: User) -> dict[CaseStatus, int]:
    rows = db.session.execute(
        select(Case.status, func.count(Case.id)).where(scope(Case, user)).group_by(Case.status)
    ).all()
    return dict(rows)


# --- a case page ---------------------------------------------------------------------------


def history_of(case: Case, user: User) -> list[CorrespondenceEntry]:
    """The business's correspondence history on the case (what the user may see of it), oldest
    first, with attached copies.

    The agency's contact log (its coded entries) is shown by the casework panel, so it is left
    out here: every entry appears once on the case page.
    """
    return list(
        db.session.scalars(
            owned(CorrespondenceEntry, user)
            .where(
                CorrespondenceEntry.case_id == case.id,
                or_(
                    CorrespondenceEntry.side == Side.BUSINESS,
                    CorrespondenceEntry.outcome_code.is_(None),
                ),
            )
            .options(
                selectinload(CorrespondenceEntry.documents),
                selectinload(CorrespondenceEntry.recorded_by),
            )
            .order_by(CorrespondenceEntry.occurred_at, CorrespondenceEntry.id)
        )
    )


def messages_of(case: Case, user: User) -> list[Message]:
    """Questions, answers and notes between the two sides, oldest first."""
    return list(
        db.session.scalars(
            owned(Message, user)
            .where(Message.case_id == case.id)
            .options(selectinload(Message.author))
            .order_by(Message.created_at, Message.id)
        )
    )


def open_question(case: Case, messages: list[Message]) -> Message | None:
    """The agency's question waiting for an answer, if the case waits for one."""
    if case.status != CaseStatus.INFO_REQUESTED:
        return None
    return next((m for m in reversed(messages) if m.kind == MessageKind.QUESTION), None)


def timeline_of(case: Case, user: User) -> list[Event]:
    """Every event on the case, newest first; a business never sees the agency's internal ones.

    `case` was found through tenancy, so its events are the user's to see.
    """
    stmt = select(Event).where(Event.case_id == case.id)
    if not user.is_agency:
        stmt = stmt.where(Event.internal == false())
    stmt = stmt.options(selectinload(Event.actor).selectinload(User.organisation))
    return list(db.session.scalars(stmt.order_by(Event.occurred_at.desc(), Event.id.desc())))


@dataclass
class Placement:
    """What the submit panel of a draft shows."""

    problems: list[tuple[str, str]]
    agreements: list[Agreement]  # active, in the case's currency
    other_currencies: list[Agreement]  # active, in another currency


def placement_of(case: Case) -> Placement:
    agreements = services.placeable_agreements(case.business_id)
    return Placement(
        problems=services.submission_problems(case),
        agreements=[a for a in agreements if a.currency == case.currency],
        other_currencies=[a for a in agreements if a.currency != case.currency],
    )


def invoice_totals(case: Case) -> dict[str, int]:
    """Amount, paid and outstanding over the case's invoices, summed in SQL."""
    row = db.session.execute(
        select(
            func.coalesce(func.sum(Invoice.amount_minor), 0),
            func.coalesce(func.sum(Invoice.paid_minor), 0),
        ).where(Invoice.case_id == case.id)
    ).one()
    amount, paid = int(row[0]), int(row[1])
    return {"amount": amount, "paid": paid, "outstanding": amount - paid}


# --- the CSV export ------------------------------------------------------------------------

EXPORT_HEADER = [
    "reference",
    "status",
    "debtor",
    "agency",
    "currency",
    "balance at placement",
    "recovered",
    "balance now",
    "submitted",
    "last change",
]


def export_rows(user: User, filters: Filters) -> Iterator[list[str]]:
    """Every case of the list with these filters (all pages), in the list's order, as CSV rows.

    Fetched in batches; each case carries what it recovered and was charged. A draft's
    balance now is what its invoices still say is owed.
    """
    base = _filtered(user, filters)
    stmt = base.add_columns(
        Case.placement_balance_minor, Case.recovered_minor, Case.charges_minor
    ).order_by(*_order(filters.sort))
    zone = export.viewer_zone(user)
    for row in export.streamed(stmt):
        now = export.balance_now(row.placement_balance_minor, row[-1], row[-2])
        yield [
            export.safe_text(row.reference or "Draft"),
            export.safe_text(export.status_text(row.status, row.close_code)),
            export.safe_text(row[4]),
            export.safe_text(row[5]),
            export.safe_text(row.currency),
            export.amount(row.placement_balance_minor, row.currency),
            export.amount(row[-2] or 0, row.currency),
            export.amount(row.amount if now is None else now, row.currency),
            export.iso_day(row.submitted_at, zone),
            export.iso_day(row.changed_at, zone),
        ]
