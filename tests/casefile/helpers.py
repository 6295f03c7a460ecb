"""A case with something in every section of the case file, and readers for the PDF."""

import io
import re
from datetime import UTC, date, datetime, timedelta

from fpdf import FPDF
from pypdf import PdfReader

from portal import audit
from portal.documents import services as documents
from portal.extensions import db
from portal.ledger import totals
from portal.models import (
    Arrangement,
    ArrangementKind,
    ArrangementStatus,
    Case,
    CaseStatus,
    Channel,
    ContactOutcome,
    CorrespondenceEntry,
    Direction,
    Frequency,
    Instalment,
    InstalmentStatus,
    Message,
    MessageKind,
    PaidTo,
    PartyReached,
    Recovery,
    Side,
    utcnow,
)
from tests import factories
from tests.documents.helpers import file_storage

START = datetime(2026, 9, 1, 7, 0, tzinfo=UTC)


def worked_case(world, **fields) -> Case:
    """A case the agency accepted (rate 30 %) and assigned to `world.caseworker`."""
    case = factories.case(
        world.business,
        world.agency,
        status=CaseStatus.IN_COLLECTION,
        assigned_to_id=world.caseworker.id,
        agreement_id=world.agreement.id,
        fee_rate_bps=3000,
        accepted_at=utcnow(),
        **fields,
    )
    db.session.commit()
    return case


def history(case: Case, user, summary: str, n: int = 0, **fields) -> CorrespondenceEntry:
    """A correspondence entry; `side` follows the user unless given."""
    entry = CorrespondenceEntry(
        case_id=case.id,
        side=fields.pop("side", Side.AGENCY if user.is_agency else Side.BUSINESS),
        occurred_at=START + timedelta(hours=n),
        channel=fields.pop("channel", Channel.PHONE),
        direction=fields.pop("direction", Direction.OUTBOUND),
        summary=summary,
        recorded_by_id=user.id,
        recorded_at=START + timedelta(hours=n),
        **fields,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def contact(case: Case, caseworker, summary: str, n: int = 0, **fields) -> CorrespondenceEntry:
    """An entry of the agency's contact log."""
    fields.setdefault("party_reached", PartyReached.DEBTOR)
    fields.setdefault("outcome_code", ContactOutcome.CONVERSATION)
    return history(case, caseworker, summary, n, side=Side.AGENCY, **fields)


def message(case: Case, user, body: str, internal: bool = False) -> Message:
    row = Message(
        case_id=case.id,
        author_id=user.id,
        side=Side.AGENCY if user.is_agency else Side.BUSINESS,
        kind=MessageKind.NOTE,
        body=body,
        internal=internal,
    )
    db.session.add(row)
    db.session.flush()
    return row


def plan(case: Case, user, amounts: list[int]) -> Arrangement:
    arrangement = Arrangement(
        case_id=case.id,
        kind=ArrangementKind.PLAN,
        status=ArrangementStatus.ACTIVE,
        total_minor=sum(amounts),
        instalment_count=len(amounts),
        frequency=Frequency.MONTHLY,
        first_due_on=date(2026, 10, 1),
        created_by_id=user.id,
        instalments=[
            Instalment(
                seq=i,
                due_on=date(2026, 9 + i, 1),
                amount_minor=amount,
                paid_minor=amount if i == 1 else 0,
                status=InstalmentStatus.PAID if i == 1 else InstalmentStatus.DUE,
            )
            for i, amount in enumerate(amounts, start=1)
        ],
    )
    db.session.add(arrangement)
    db.session.flush()
    return arrangement


def recovery(case: Case, user, amount: int, rate_bps: int = 3000, **fields) -> Recovery:
    fee = amount * rate_bps // 10000
    row = Recovery(
        case_id=case.id,
        received_on=fields.pop("received_on", date(2026, 10, 1)),
        amount_minor=amount,
        currency=case.currency,
        method=fields.pop("method", "M-Pesa"),
        paid_to=fields.pop("paid_to", PaidTo.AGENCY),
        fee_rate_bps=rate_bps,
        fee_minor=fee,
        tax_minor=0,
        net_minor=amount - fee,
        recorded_by_id=user.id,
        **fields,
    )
    db.session.add(row)
    totals.refresh(case)  # as the ledger does
    return row


def event(case: Case, user, kind: str, summary: str, internal: bool = False):
    return audit.record(kind, case=case, summary=summary, internal=internal, actor=user)


def attach(case: Case, user, content: bytes, name: str):
    return documents.upload(case, file_storage(content, name), user)


def pdf_with_pages(*texts: str) -> bytes:
    """A real PDF with one page per text."""
    doc = FPDF()
    doc.set_font("Helvetica", size=14)
    for text in texts:
        doc.add_page()
        doc.cell(0, 10, text)
    return bytes(doc.output())


def pdf_text(data: bytes, running: bool = True) -> str:
    """All the text of a PDF, whitespace folded to single spaces; `running=False` leaves out
    each page's header and footer lines, so a paragraph split over two pages reads whole."""
    reader = PdfReader(io.BytesIO(data))
    pages = [page.extract_text() or "" for page in reader.pages]
    if not running:
        pages = [_body(page) for page in pages]
    return " ".join(" ".join(pages).split())


def _body(page: str) -> str:
    lines = page.splitlines()
    if lines and lines[0].endswith("Private and confidential"):
        lines = lines[1:]
    if lines and re.search(r"Page \d+ of \d+$", lines[-1]):
        lines = lines[:-1]
    return "\n".join(lines)


def page_count(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)
