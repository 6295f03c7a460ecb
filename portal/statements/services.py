"""Remittance statements: the rules.

A statement covers one agreement (one client of the agency, one currency) and a period. It lists
every recovery on that client's cases with the agency that was received up to the period's end
and is on no earlier statement: so a payment recorded late, dated inside a period already issued,
is never left out (it appears on the next statement, marked as from an earlier period), and the
unique `StatementLine.recovery_id` keeps any recovery from appearing twice. A reversal is a
negative recovery of its own date, so it is a line of its own on the statement of that date.

What changes hands (`due_to_client_minor`): in net mode the agency remits the net of what it
collected; in gross mode it remits the gross and invoices its fee and tax separately. Either way
the fee and tax on payments the debtor made directly to the business are owed by the business and
set off against the remittance; when they exceed it, the amount due is negative: the business
owes the agency.

Statements are numbered in sequence per agency (NRA-ST-0001...), without gaps: the agency row is
locked while the next number is taken. An issued statement never changes: the ORM refuses any
update or delete, and any line added later; only the business's "received" mark is written once,
and a debtor's erasure replaces its name on the lines (`erase_debtor_name`), amounts untouched.
"""

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask import url_for
from sqlalchemy import event, func, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal import audit, money
from portal.errors import DomainError
from portal.extensions import db
from portal.formatting import nice_date
from portal.models import (
    Agreement,
    AgreementStatus,
    Case,
    Organisation,
    PaidTo,
    Recovery,
    RemittanceMode,
    Role,
    Statement,
    StatementLine,
    User,
)
from portal.notifications import notify, people
from portal.tenancy import owned

MODE_LABELS = {
    RemittanceMode.NET: "Net: the agency keeps its fee and remits the rest",
    RemittanceMode.GROSS: "Gross: the agency remits everything and invoices its fee",
}
PAID_TO_LABELS = {PaidTo.AGENCY: "Agency", PaidTo.CLIENT: "Business (direct)"}
SIGNED = (AgreementStatus.ACTIVE, AgreementStatus.ENDED)


# --- what a statement holds -------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One recovery as a statement shows it (the same names as StatementLine)."""

    recovery_id: int
    case_id: int
    case_reference: str
    debtor_name: str
    received_on: date
    paid_to: PaidTo
    gross_minor: int
    fee_rate_bps: int
    fee_minor: int
    tax_minor: int
    net_minor: int


def is_reversal(line: Line | StatementLine) -> bool:
    return line.gross_minor < 0


@dataclass(frozen=True)
class Totals:
    """A statement's sums, all from its lines."""

    mode: RemittanceMode
    gross: int
    fee: int
    tax: int
    net: int
    collected_gross: int  # received by the agency
    collected_net: int
    collected_fee_tax: int
    direct_gross: int  # paid by the debtor directly to the business
    direct_fee_owed: int  # fee and tax on those: owed by the business

    @property
    def remitted(self) -> int:
        """What the agency passes on of the money it holds."""
        return self.collected_net if self.mode == RemittanceMode.NET else self.collected_gross

    @property
    def invoiced(self) -> int:
        """Gross mode: the fee and tax on the agency's collections, invoiced separately."""
        return self.collected_fee_tax if self.mode == RemittanceMode.GROSS else 0

    @property
    def due_to_client(self) -> int:
        """Agency -> business when positive; business -> agency when negative."""
        return self.remitted - self.direct_fee_owed


def totals_of(lines: Iterable[Line | StatementLine], mode: RemittanceMode) -> Totals:
    """Sum the lines into the statement's figures."""
    lines = list(lines)
    collected = [ln for ln in lines if ln.paid_to == PaidTo.AGENCY]
    direct = [ln for ln in lines if ln.paid_to == PaidTo.CLIENT]
    return Totals(
        mode=mode,
        gross=sum(ln.gross_minor for ln in lines),
        fee=sum(ln.fee_minor for ln in lines),
        tax=sum(ln.tax_minor for ln in lines),
        net=sum(ln.net_minor for ln in lines),
        collected_gross=sum(ln.gross_minor for ln in collected),
        collected_net=sum(ln.net_minor for ln in collected),
        collected_fee_tax=sum(ln.fee_minor + ln.tax_minor for ln in collected),
        direct_gross=sum(ln.gross_minor for ln in direct),
        direct_fee_owed=sum(ln.fee_minor + ln.tax_minor for ln in direct),
    )


@dataclass(frozen=True)
class Preview:
    """What issuing would produce now: the lines, the totals and the number it would take."""

    agreement: Agreement
    period_start: date
    period_end: date
    lines: list[Line]
    totals: Totals
    number: str
    fingerprint: str  # which recoveries were shown, so issuing can check nothing changed

    @property
    def currency(self) -> str:
        return self.agreement.currency


# --- reading ----------------------------------------------------------------------------------


def clients(agency_id: int) -> list[Agreement]:
    """The signed agreements (active or ended) an agency can issue statements under."""
    return list(
        db.session.scalars(
            select(Agreement)
            .join(Organisation, Organisation.id == Agreement.business_id)
            .where(Agreement.agency_id == agency_id, Agreement.status.in_(SIGNED))
            .order_by(Organisation.name, Agreement.id)
        )
    )


def client_label(agreement: Agreement, all_agreements: Sequence[Agreement] = ()) -> str:
    """Acacia Ltd (KES); with the agreement number when the client has more than one."""
    label = f"{agreement.business.name} ({agreement.currency})"
    same = [a for a in all_agreements if a.business_id == agreement.business_id]
    if len(same) > 1:
        label += f", agreement {agreement.id}"
        if agreement.status == AgreementStatus.ENDED:
            label += ", ended"
    return label


def last_statement(agreement: Agreement) -> Statement | None:
    return db.session.scalars(
        select(Statement)
        .where(Statement.agreement_id == agreement.id)
        .order_by(Statement.period_end.desc(), Statement.id.desc())
    ).first()


def next_period_start(agreement: Agreement) -> date | None:
    """The day after the last statement's period ended; None before the first statement."""
    last = last_statement(agreement)
    return None if last is None else last.period_end + timedelta(days=1)


def listing(user: User, party_id: int | None = None) -> list[Statement]:
    """The statements the user's organisation issued or received, newest first.

    `party_id` keeps those with one client (for an agency) or one agency (for a business).
    """
    stmt = owned(Statement, user).options(
        selectinload(Statement.business), selectinload(Statement.agency)
    )
    if party_id is not None:
        other = Statement.business_id if user.is_agency else Statement.agency_id
        stmt = stmt.where(other == party_id)
    return list(db.session.scalars(stmt.order_by(Statement.issued_at.desc(), Statement.id.desc())))


def parties(user: User) -> list[tuple[int, str]]:
    """The other side of the user's statements, for the filter: clients or agencies."""
    other = Statement.business_id if user.is_agency else Statement.agency_id
    rows = db.session.execute(
        select(Organisation.id, Organisation.name)
        .where(Organisation.id.in_(select(other).where(owned(Statement, user).whereclause)))
        .order_by(Organisation.name)
    )
    return [(ident, name) for ident, name in rows]


def totals(statement: Statement) -> Totals:
    return totals_of(statement.lines, statement.remittance_mode)


def brought_forward(statement: Statement | Preview, line: Line | StatementLine) -> bool:
    """A line dated before the period: recorded after its own period's statement was issued."""
    return line.received_on < statement.period_start


# --- previewing and issuing -------------------------------------------------------------------


def preview(agreement: Agreement, period_start: date, period_end: date, today: date) -> Preview:
    """The statement that issuing would produce for this client and period, not saved."""
    _check_agreement(agreement)
    _check_period(agreement, period_start, period_end, today)
    lines = _open_lines(agreement, period_end)
    return Preview(
        agreement=agreement,
        period_start=period_start,
        period_end=period_end,
        lines=lines,
        totals=totals_of(lines, agreement.remittance_mode),
        number=_number(agreement.agency, _issued_count(agreement.agency_id) + 1),
        fingerprint=fingerprint(lines),
    )


def issue(
    agreement: Agreement,
    period_start: date,
    period_end: date,
    user: User,
    now: datetime,
    today: date,
    checked: str | None = None,
) -> Statement:
    """Issue the statement: number it, freeze its lines and totals, tell the business.

    `checked` is the fingerprint of the preview the person confirmed; when the recoveries
    changed since, nothing is issued and the person is asked to look again.
    """
    _lock(agreement.agency_id)
    result = preview(agreement, period_start, period_end, today)
    if checked is not None and checked != result.fingerprint:
        raise DomainError(
            "The recoveries for this period changed since your preview (a payment was recorded "
            "or reversed). Check the lines below again before you issue.",
            field="confirm",
        )
    statement = _build(result, user, now)
    _save(statement)
    _announce(statement, user)
    return statement


def _check_agreement(agreement: Agreement) -> None:
    if agreement.status not in SIGNED:
        raise DomainError(
            "Statements are issued under a signed agreement; this one is not signed yet.",
            field="agreement_id",
        )


def _check_period(agreement: Agreement, start: date, end: date, today: date) -> None:
    if end > today:
        raise DomainError(
            "The period cannot end in the future: a statement covers money already received.",
            field="period_end",
        )
    if end < start:
        raise DomainError("The period ends before it starts.", field="period_end")
    last = last_statement(agreement)
    if last is not None and start != last.period_end + timedelta(days=1):
        expected = last.period_end + timedelta(days=1)
        raise DomainError(
            f"Statements for {agreement.business.name} follow one another: this one starts on "
            f"{nice_date(expected)}, the day after {last.number} ended.",
            field="period_start",
        )


def _open_lines(agreement: Agreement, period_end: date) -> list[Line]:
    """Every recovery of the client's cases with the agency, up to the end, on no statement."""
    on_a_statement = select(StatementLine.recovery_id)
    rows = db.session.execute(
        select(Recovery, Case)
        .join(Case, Case.id == Recovery.case_id)
        .options(selectinload(Case.debtor))
        .where(
            Case.agreement_id == agreement.id,
            Case.agency_id == agreement.agency_id,
            Case.business_id == agreement.business_id,
            Recovery.received_on <= period_end,
            Recovery.id.not_in(on_a_statement),
        )
        .order_by(Recovery.received_on, Case.reference, Recovery.id)
    ).all()
    for recovery, case in rows:
        if recovery.currency != agreement.currency:
            raise DomainError(
                f"A payment on {case.reference} is in {recovery.currency}, not the agreement's "
                f"{agreement.currency}: correct it before issuing."
            )
    return [_line(recovery, case) for recovery, case in rows]


def _line(recovery: Recovery, case: Case) -> Line:
    return Line(
        recovery_id=recovery.id,
        case_id=case.id,
        case_reference=case.reference or "",
        debtor_name=case.debtor.name,
        received_on=recovery.received_on,
        paid_to=recovery.paid_to,
        gross_minor=recovery.amount_minor,
        fee_rate_bps=recovery.fee_rate_bps,
        fee_minor=recovery.fee_minor,
        tax_minor=recovery.tax_minor,
        net_minor=recovery.net_minor,
    )


def fingerprint(lines: Iterable[Line]) -> str:
    ids = ",".join(str(ln.recovery_id) for ln in sorted(lines, key=lambda ln: ln.recovery_id))
    return hashlib.sha256(ids.encode()).hexdigest()[:32]


def _lock(agency_id: int) -> Organisation:
    """The agency row, locked until commit: statements are numbered one at a time."""
    agency = db.session.get(Organisation, agency_id, with_for_update=True, populate_existing=True)
    assert agency is not None
    return agency


def _issued_count(agency_id: int) -> int:
    return db.session.scalar(
        select(func.count(Statement.id)).where(Statement.agency_id == agency_id)
    )


def statement_prefix(agency: Organisation) -> str:
    """The agency's initials (Nairobi Recovery Associates -> NRA), at most four letters."""
    words = re.split(r"[\s\-/&,.]+", agency.name)
    initials = "".join(w[0] for w in words if w and w[0].isascii() and w[0].isalpha())
    initials = initials.upper()[:4]
    return initials or "AG"


def _number(agency: Organisation, n: int) -> str:
    return f"{statement_prefix(agency)}-ST-{n:04d}"


def _build(result: Preview, user: User, now: datetime) -> Statement:
    agreement, t = result.agreement, result.totals
    statement = Statement(
        agency_id=agreement.agency_id,
        business_id=agreement.business_id,
        agreement_id=agreement.id,
        number=result.number,
        currency=agreement.currency,
        period_start=result.period_start,
        period_end=result.period_end,
        remittance_mode=agreement.remittance_mode,
        gross_minor=t.gross,
        fee_minor=t.fee,
        tax_minor=t.tax,
        net_minor=t.net,
        due_to_client_minor=t.due_to_client,
        issued_at=now,
        issued_by_id=user.id,
    )
    statement.lines = [StatementLine(**vars(line)) for line in result.lines]
    return statement


def _save(statement: Statement) -> None:
    """Insert the statement and its lines; a number or a recovery taken meanwhile is refused."""
    statement._issuing = True
    try:
        with db.session.begin_nested():
            db.session.add(statement)
            db.session.flush()
    except IntegrityError:
        raise DomainError(
            "Another statement was issued at the same moment. Preview again and issue.",
            field="confirm",
        ) from None
    finally:
        statement._issuing = False


def _announce(statement: Statement, user: User) -> None:
    t = totals(statement)
    due = money.format_money(abs(t.due_to_client), statement.currency)
    if t.due_to_client >= 0:
        owed = f"{statement.agency.name} owes you {due}"
    else:
        owed = f"you owe {statement.agency.name} {due}"
    # The audit summary keeps ISO dates like every stored summary (pages show them as people
    # read them); the notification is read as it is written.
    period = f"{statement.period_start.isoformat()} to {statement.period_end.isoformat()}"
    readable = f"{nice_date(statement.period_start)} to {nice_date(statement.period_end)}"
    audit.record(
        "statement_issued",
        summary=f"Statement {statement.number} issued to {statement.business.name} for {period}",
        after={
            "statement_id": statement.id,
            "number": statement.number,
            "business_id": statement.business_id,
            "lines": len(statement.lines),
            "gross_minor": statement.gross_minor,
            "due_to_client_minor": statement.due_to_client_minor,
        },
        actor=user,
    )
    notify(
        people(statement.business_id, Role.BUSINESS_ADMIN),
        "statement_issued",
        f"{statement.agency.name} issued remittance statement {statement.number} for {readable}: "
        f"{owed}.",
        link=url_for("statements.show", statement_id=statement.id, _external=False),
    )


# --- the business's side ----------------------------------------------------------------------


def mark_received(statement: Statement, user: User, now: datetime) -> None:
    """The business confirms it has the statement: who and when, once."""
    if user.organisation_id != statement.business_id:
        raise DomainError("Only the business the statement is for can mark it received.")
    if statement.received_at is not None:
        who = statement.received_by.name if statement.received_by else "someone"
        raise DomainError(f"{who} already marked this statement received.")
    statement.received_at = now
    statement.received_by_id = user.id
    db.session.flush()
    audit.record(
        "statement_received",
        summary=f"Statement {statement.number} from {statement.agency.name} marked received",
        after={"statement_id": statement.id, "number": statement.number},
        actor=user,
    )


# --- CSV --------------------------------------------------------------------------------------

CSV_HEADER = (
    "Statement",
    "Case reference",
    "Debtor",
    "Received on",
    "Paid to",
    "Entry",
    "Currency",
    "Gross",
    "Fee rate %",
    "Fee",
    "Tax on fee",
    "Net",
)
# A spreadsheet runs a cell that starts with one of these as a formula (or a DDE command).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Text a spreadsheet will show and never run: a leading ' before a formula character.

    Numbers we computed (Decimal, int) are written as numbers, so a negative amount stays a
    number; every piece of text is checked.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(statement: Statement) -> str:
    """The statement as CSV: one row per line, then the totals and what is due."""
    cur = statement.currency

    def amount(minor: int) -> Decimal:
        return money.to_decimal(minor, cur)

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for ln in statement.lines:
        row = (
            statement.number,
            ln.case_reference,
            ln.debtor_name,
            ln.received_on.isoformat(),
            PAID_TO_LABELS[ln.paid_to],
            "Reversal" if is_reversal(ln) else "Payment",
            cur,
            amount(ln.gross_minor),
            Decimal(ln.fee_rate_bps) / 100,
            amount(ln.fee_minor),
            amount(ln.tax_minor),
            amount(ln.net_minor),
        )
        writer.writerow([safe_cell(v) for v in row])
    s = statement
    writer.writerow(
        [safe_cell(v) for v in (s.number, "Total", "", "", "", "", cur)]
        + [amount(s.gross_minor), "", amount(s.fee_minor), amount(s.tax_minor), amount(s.net_minor)]
    )
    writer.writerow([])
    for label, minor in summary_rows(totals(s)):
        writer.writerow([safe_cell(s.number), safe_cell(label), "", "", "", "", cur, amount(minor)])
    return out.getvalue()


def summary_rows(t: Totals) -> list[tuple[str, int]]:
    """The settlement in words and amounts, as the pages, the PDF and the CSV show it."""
    rows = [("Collected by the agency (gross)", t.collected_gross)]
    if t.mode == RemittanceMode.NET:
        rows.append(("Less fee and tax on the agency's collections", -t.collected_fee_tax))
    rows.append(("Remitted by the agency", t.remitted))
    rows += [
        ("Paid directly to the business (gross)", t.direct_gross),
        ("Less fee and tax owed on direct payments", -t.direct_fee_owed),
    ]
    if t.due_to_client >= 0:
        rows.append(("Amount due from the agency to the business", t.due_to_client))
    else:
        rows.append(("Amount due from the business to the agency", -t.due_to_client))
    if t.mode == RemittanceMode.GROSS:
        rows.append(("Fee and tax invoiced separately (gross remittance)", t.invoiced))
    return rows


# --- issued statements never change -----------------------------------------------------------

RECEIPT_FIELDS = frozenset({"received_at", "received_by_id", "received_by"})


class ImmutableStatement(DomainError):
    """Something tried to change an issued statement."""


def _changed(target) -> set[str]:
    state = inspect(target)
    return {attr.key for attr in state.attrs if attr.history.has_changes()}


@event.listens_for(Statement, "before_update")
def _refuse_statement_update(mapper, connection, target: Statement) -> None:
    changed = _changed(target)
    state = inspect(target)
    receipt_rewritten = any(
        value is not None
        for key in ("received_at", "received_by_id")
        for value in state.attrs[key].history.deleted
    )
    if changed - RECEIPT_FIELDS or receipt_rewritten:
        raise ImmutableStatement(f"Statement {target.number} is issued: it never changes.")


@event.listens_for(Statement, "before_delete")
def _refuse_statement_delete(mapper, connection, target: Statement) -> None:
    raise ImmutableStatement(f"Statement {target.number} is issued: it is never deleted.")


@event.listens_for(StatementLine, "before_insert")
def _refuse_late_line(mapper, connection, target: StatementLine) -> None:
    if not getattr(target.statement, "_issuing", False):
        raise ImmutableStatement("Lines are written only when a statement is issued.")


@event.listens_for(StatementLine, "before_update")
@event.listens_for(StatementLine, "before_delete")
def _refuse_line_change(mapper, connection, target: StatementLine) -> None:
    raise ImmutableStatement("A line of an issued statement never changes.")


def erase_debtor_name(case_ids: list[int], erased_name: str) -> int:
    """The one change an issued statement takes: when a debtor's personal details are erased
    (portal.privacy), its name on the lines of its cases gives way to `erased_name`. Amounts,
    references and dates stay as issued. Return how many lines changed."""
    if not case_ids:
        return 0
    result = db.session.execute(
        update(StatementLine)
        .where(StatementLine.case_id.in_(case_ids), StatementLine.debtor_name != erased_name)
        .values(debtor_name=erased_name)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0
