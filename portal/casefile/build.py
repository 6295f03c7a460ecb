"""The case file as a PDF: cover, debtor, terms, checklist, invoices, history, contact log,
messages, disputes, arrangements, recoveries, timeline, document index; and the bundle that
appends the case's PDF documents after it.
"""

import io
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError

from portal import money
from portal.casefile.contents import CaseFileContents
from portal.casefile.pdf import MUTED, CaseFilePDF
from portal.cases.queries import event_label, event_summary
from portal.documents.services import human_size, open_document
from portal.documents.storage import StorageError
from portal.formatting import three_letter_months
from portal.models import CHECKLIST_ITEMS, Case, CorrespondenceEntry, Document, User

log = logging.getLogger(__name__)


def filename(case: Case, bundle: bool = False) -> str:
    """`<reference>-case-file.pdf`; a draft has no reference yet: `draft-<id>-case-file.pdf`."""
    stem = case.reference or f"draft-{case.id}"
    return f"{stem}-case-file{'-with-documents' if bundle else ''}.pdf"


@dataclass(frozen=True)
class Attachment:
    """A PDF document of the case that the bundle appends, or says why it could not."""

    document: Document
    reader: PdfReader | None
    problem: str = ""

    @property
    def pages(self) -> int:
        return len(self.reader.pages) if self.reader is not None else 0


# --- formatting ----------------------------------------------------------------------------


class Formats:
    """Money, rates, dates and times as the viewer reads them (their zone, the app's locale),
    spelt as the web pages spell them (portal/formatting.py: "3 Sep 2026", never "Sept")."""

    def __init__(self, viewer: User, currency: str, locale: str):
        self.zone = ZoneInfo(viewer.zone)
        self.currency = currency
        self.locale = locale

    def money(self, minor: int | None, currency: str | None = None) -> str:
        return money.format_money(minor, currency or self.currency, self.locale)

    def rate(self, bps: int | None) -> str:
        return money.format_rate(bps, self.locale)

    def when(self, value: datetime | None) -> str:
        if value is None:
            return "—"
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        local = value.astimezone(self.zone)
        pattern = three_letter_months("d MMM yyyy, HH:mm", local.month, self.locale)
        return format_datetime(local, pattern, locale=self.locale)

    def day(self, value: date | None) -> str:
        if value is None:
            return "—"
        pattern = three_letter_months("d MMM yyyy", value.month, self.locale)
        return format_date(value, pattern, locale=self.locale)


def _label(value) -> str:
    if value is None:
        return "—"
    label = getattr(value, "label", None)
    return label if isinstance(label, str) else str(value).replace("_", " ").capitalize()


# --- the document ----------------------------------------------------------------------------


def render(
    contents: CaseFileContents, locale: str, attachments: list[Attachment] | None = None
) -> bytes:
    """The case file as PDF bytes."""
    case = contents.case
    fmt = Formats(contents.viewer, case.currency, locale)
    reference = case.reference or f"Draft {case.id}"
    pdf = CaseFilePDF(reference, footer_note=f"Generated {fmt.when(contents.generated_at)}")
    pdf.set_title(f"Case file {reference}")
    pdf.set_author(contents.viewer.organisation.name)
    pdf.set_creator("Collections portal")
    pdf.add_page()
    for section in SECTIONS:
        section(pdf, contents, fmt)
    if attachments is not None:
        _bundle_index(pdf, attachments, fmt)
    return bytes(pdf.output())


def _cover(pdf: CaseFilePDF, c: CaseFileContents, fmt: Formats) -> None:
    case, f = c.case, c.figures
    pdf.text_block("Case file", size=11, color=MUTED, gap=0)
    pdf.text_block(case.reference or f"Draft {case.id}", size=22, bold=True, gap=1)
    pdf.text_block(case.debtor.name, size=14, gap=4)
    status = _label(case.status)
    if case.close_code is not None:
        status += f" ({_label(case.close_code)})"
    pdf.pairs(
        [
            ("Creditor (the client)", case.business.name),
            ("Agency", case.agency.name if case.agency else "Not placed yet"),
            ("Debtor", case.debtor.name),
            ("Status", status),
            ("Currency", case.currency),
            ("Submitted", fmt.when(case.submitted_at)),
            ("Accepted", fmt.when(case.accepted_at)),
            ("Closed", fmt.when(case.closed_at)),
            ("Assigned caseworker", c.person(case.assigned_to_id) if case.assigned_to_id else "—"),
        ]
    )
    pdf.subheading("Money")
    rows = [
        ("Balance at placement", fmt.money(f.placement_balance)),
        ("Outstanding on the invoices", fmt.money(f.invoiced_outstanding)),
    ]
    if f.charges:
        rows.append(("Charges added", fmt.money(f.charges)))
    rows += [
        ("Recovered", fmt.money(f.recovered)),
        ("Agency fee", fmt.money(f.fees)),
    ]
    if f.tax:
        rows.append(("Tax on the fee", fmt.money(f.tax)))
    rows += [
        ("Net to the client", fmt.money(f.net)),
        ("Balance now", fmt.money(f.balance_now)),
        ("Fee rate", fmt.rate(case.fee_rate_bps)),
    ]
    if case.fee_rate_explanation:
        rows.append(("How the rate was set", case.fee_rate_explanation))
    pdf.pairs(rows)
    pdf.ln(3)
    viewer = c.viewer
    pdf.note(
        f"Generated {fmt.when(c.generated_at)} ({viewer.zone}) by {viewer.name}, "
        f"{viewer.organisation.name}. It holds what {viewer.name} may see on the portal at "
        "that moment."
    )


def _debtor(pdf: CaseFilePDF, c: CaseFileContents, fmt: Formats) -> None:
    d = c.case.debtor
    pdf.heading("The debtor")
    rows = [("Name", d.name), ("Kind", _label(d.kind))]
    rows += [
        (label, value)
        for label, value in (
            ("Registration number", d.registration_number),
            ("Account number", d.account_number),
            ("Contact person", d.contact_person),
            ("E-mail", ", ".join(d.emails or [])),
            ("Phone", ", ".join(d.phones or [])),
            ("Address", d.address),
        )
        if value
    ]
    rows += [("Country", d.country), ("Time zone", d.timezone)]
    if c.case.debtor_profile is not None and c.viewer.is_agency:
        rows.append(("Kind of late payer", _label(c.case.debtor_profile)))
    pdf.pairs(rows)


def _terms(pdf: CaseFilePDF, c: CaseFileContents, fmt: Formats) -> None:
    pdf.heading("The terms that apply")
    case, a = c.case, c.agreement
    pdf.pairs(
        [
            ("Contract reference", case.contract_reference or "—"),
            ("Fee rate on this case", fmt.rate(case.fee_rate_bps)),
            ("Debt age at placement", _days(case.debt_age_days_at_placement)),
            ("Exclusivity until", fmt.day(case.exclusivity_until)),
        ]
    )
    if c.charge_terms:
        pdf.subheading("Charges the contract or the law allows")
        for term in c.charge_terms:
            amount = (
                fmt.money(term.fixed_minor)
                if term.fixed_minor is not None
                else f"{fmt.rate(term.annual_rate_bps)} a year, simple"
            )
            pdf.pairs(
                [(_label(term.kind), f"{amount}; basis: {_label(term.basis)}. {term.clause}")]
            )
    if a is None:
        pdf.note("Not placed under an agreement yet.")
        return
    pdf.subheading(f"Agreement between {a.business.name} and {a.agency.name}")
    bands = "; ".join(
        f"from {fmt.money(b.min_balance_minor, a.currency)}: {fmt.rate(b.rate_bps)}"
        for b in a.bands
    )
    uplifts = "; ".join(
        f"over {u.min_age_days} days: +{fmt.rate(u.uplift_bps)}" for u in a.age_uplifts
    )
    pdf.pairs(
        [
            ("Status", _label(a.status)),
            ("Fee schedule", bands or "—"),
            ("Age uplifts", uplifts or "None"),
            ("Legal-stage rate", fmt.rate(a.legal_rate_bps)),
            ("Fee cap", fmt.rate(a.fee_cap_bps)),
            ("Tax on the fee", fmt.rate(a.fee_tax_bps)),
            ("Remittance", _label(a.remittance_mode)),
            ("Settlement floor", f"{fmt.rate(a.settlement_floor_bps)} of the balance"),
            (
                "Contact window",
                f"{a.window_start:%H:%M}–{a.window_end:%H:%M}, the debtor's local time",
            ),
            (
                "Contact limits",
                f"{a.calls_per_day} a day, {a.calls_per_7_days} in 7 days; "
                f"{a.quiet_days} quiet days after a conversation",
            ),
            ("Answer to a placement", f"within {a.answer_days} days"),
            ("Grace on an instalment", f"{a.grace_days} days"),
            ("Exclusivity", f"{a.exclusivity_months} months"),
            (
                "Accepted by the agency",
                f"{a.agency_signature or '—'}, {fmt.when(a.agency_accepted_at)}",
            ),
            (
                "Accepted by the client",
                f"{a.business_signature or '—'}, {fmt.when(a.business_accepted_at)}",
            ),
        ]
    )


def _days(days: int | None) -> str:
    return "—" if days is None else f"{days} day{'' if days == 1 else 's'}"


def _checklist(pdf: CaseFilePDF, c: CaseFileContents, fmt: Formats) -> None:
    pdf.heading("The pre-handover checklist")
    answers = c.case.checklist or {}
    for key, text in CHECKLIST_ITEMS.items():
        pdf.row(["Yes" if answers.get(key) else "No", text], [14, pdf.epw - 14], bold=(True, False))
    if c.case.checklist_confirmed_at:
        who = c.checklist_by.name if c.checklist_by else "—"
        pdf.note(f"Confirmed by {who} on {fmt.when(c.case.checklist_confirmed_at)}.")
    else:
        pdf.note("Not confirmed yet.")


INVOICE_COLUMNS = ("Invoice", "Issued", "Due", "Amount", "Paid", "Outstanding")
INVOICE_ALIGNS = ("L", "L", "L", "R", "R", "R")


def _invoices(pdf: CaseFilePDF, c: CaseFileContents, fmt: Formats) -> None:
    pdf.heading("Invoices")
    if not c.invoices:
        pdf.note("No invoices.")
        return
    widths = [40, 24, 24, 32, 30, 30]
    pdf.table_head(INVOICE_COLUMNS, widths, INVOICE_ALIGNS)
    totals = [0, 0]
    for inv in c.invoices:
        totals[0] += inv.amount_minor
        totals[1] += inv.paid_minor
        pdf.row(
            [
                inv.number,
                fmt.day(inv.issue_date),
                fmt.day(inv.due_date),
                fmt.money(inv.amount_minor),
                fmt.money(inv.paid_minor),
                fmt.money(inv.outstanding_minor),
            ],
            widths,
            INVOICE_ALIGNS,
            repeat=INVOICE_COLUMNS,
        )
    total_row = ["Total", "", "", *(fmt.money(t) for t in (*totals, totals[0] - totals[1]))]
    pdf.row(total_row, widths, INVOICE_ALIGNS, bold=True, fill=True)


def _history(pdf: CaseFilePDF, c: CaseFileContents, fmt: Formats) -> None:
    pdf.heading("Correspondence history (the client's)")
    pdf.note(
        "Every contact the client recorded, before and after handover, oldest first, in full. "
        "History is append-only: a correction is a later entry that names the one it corrects."
    )
    if not c.history:
        pdf.note("No history recorded.")
    for entry in c.history:
        _entry(pdf, entry, c, fmt)


def _contact_log(pdf: CaseFilePDF, c: CaseFileContents, fmt: Formats) -> None:
    if c.case.agency_id is None:
        return
    pdf.heading("The agency's contact log")
    if not c.contact_log:
        pdf.note("No contacts logged by the agency.")
    for entry in c.contact_log:
        _entry(pdf, entry, c, fmt)


def _entry(pdf: CaseFilePDF, e: CorrespondenceEntry, c: CaseFileContents, fmt: Formats) -> None:
    pdf.keep_room(16)
    towards = "to" if e.direction.value == "outbound" else "from"
    title = f"#{e.id} · {fmt.when(e.occurred_at)} · {e.channel.label} {towards} the debtor"
    if e.internal:
        title += " · INTERNAL (agency only)"
    pdf.text_block(title, size=9, bold=True, gap=0)
    facts = [f"Recorded by {c.person(e.recorded_by_id)}, {fmt.when(e.recorded_at)}"]
    if e.contact_person:
        facts.append(f"contact: {e.contact_person}")
    if e.party_reached is not None:
        facts.append(f"reached: {_label(e.party_reached)}")
    if e.corrects_id:
        facts.append(f"corrects entry #{e.corrects_id}")
    pdf.text_block(" · ".join(facts), size=8, color=MUTED, indent=4, gap=0)
    pdf.text_block(e.summary, indent=4, gap=0)
    outcome = " — ".join(
        x for x in (_label(e.outcome_code) if e.outcome_code else "", e.outcome) if x
    )
    if outcome:
        pdf.text_block(f"Outcome: {outcome}", indent=4, gap=0)
    if e.promise_amount_minor or e.promise_date:
        pdf.text_block(
            f"Promise to pay: {fmt.money(e.promise_amount_minor)} by {fmt.day(e.promise_date)}",
            indent=4,
            gap=0,
        )
    if e.rule_breach:
        pdf.text_block(
            f"Outside the contact rules ({e.breached_rules or 'rules'}): {e.override_reason}",
            indent=4,
            gap=0,
        )
    if e.documents:
        names = ", ".join(d.filename for d in e.documents)
        pdf.text_block(f"Attached: {names}", size=8, color=MUTED, indent=4, gap=0)
    pdf.separator()


def _messages(pdf: CaseFilePDF, c: CaseFileContents, fmt: Formats) -> None:
    if not c.messages:
        return
    pdf.heading("Messages between the client and the agency")
    for m in c.messages:
        pdf.keep_room(14)
        title = f"{fmt.when(m.created_at)} · {c.person(m.author_id)} ({_label(m.side)})"
        title += f" · {_label(m.kind)}" + (" · INTERNAL (agency only)" if m.internal else "")
        pdf.text_block(title, size=9, bold=True, gap=0)
        pdf.text_block(m.body, indent=4, gap=0)
        pdf.separator()


def _disputes(pdf: CaseFilePDF, c: CaseFileContents, fmt: Formats) -> None:
    if not c.disputes:
        return
    pdf.heading("Disputes")
    for d in c.disputes:
        pdf.text_block(
            f"Raised {fmt.when(d.created_at)} by {c.person(d.raised_by_id)}", bold=True, gap=0
        )
        pdf.text_block(d.reason, indent=4, gap=0)
        if d.resolution:
            pdf.text_block(
                f"{d.resolution.capitalize()} {fmt.when(d.resolved_at)} by "
                f"{c.person(d.resolved_by_id)}: {d.resolution_note or ''}",
                indent=4,
                gap=0,
            )
        else:
            pdf.text_block("Not resolved yet.", indent=4, gap=0)
        pdf.separator()


INSTALMENT_COLUMNS = ("#", "Due", "Amount", "Paid", "Status")
INSTALMENT_ALIGNS = ("R", "L", "R", "R", "L")


def _arrangements(pdf: CaseFilePDF, c: CaseFileContents, fmt: Formats) -> None:
    if c.case.agency_id is None:
        return
    pdf.heading("Arrangements: payment plans and settlements")
    if not c.arrangements:
        pdf.note("No payment plan or settlement.")
    for a in c.arrangements:
        kind = "Payment plan" if a.kind.value == "plan" else "Settlement"
        pdf.subheading(f"{kind} of {fmt.money(a.total_minor)} · {_label(a.status)}")
        rows = [("Proposed", f"{fmt.when(a.created_at)} by {c.person(a.created_by_id)}")]
        if a.kind.value == "plan":
            rows.append(
                (
                    "Schedule",
                    f"{a.instalment_count} {_label(a.frequency).lower()} instalments from "
                    f"{fmt.day(a.first_due_on)}",
                )
            )
        if a.balance_at_offer_minor is not None:
            rows.append(("Balance when offered", fmt.money(a.balance_at_offer_minor)))
        if a.decided_at:
            rows.append(("Decided", f"{fmt.when(a.decided_at)} by {c.person(a.decided_by_id)}"))
        if a.broken_at:
            rows.append(("Broken", fmt.when(a.broken_at)))
        if a.note:
            rows.append(("Note", a.note))
        pdf.pairs(rows)
        instalments = c.instalments.get(a.id) or []
        if instalments:
            widths = [12, 34, 38, 38, 40]
            pdf.table_head(INSTALMENT_COLUMNS, widths, INSTALMENT_ALIGNS)
            for i in instalments:
                pdf.row(
                    [
                        i.seq,
                        fmt.day(i.due_on),
                        fmt.money(i.amount_minor),
                        fmt.money(i.paid_minor),
                        _label(i.status),
                    ],
                    widths,
                    INSTALMENT_ALIGNS,
                    repeat=INSTALMENT_COLUMNS,
                )


RECOVERY_COLUMNS = ("Received", "Amount", "Paid to", "Fee rate", "Fee", "Net", "Method, reference")
RECOVERY_ALIGNS = ("L", "R", "L", "R", "R", "R", "L")


def _recoveries(pdf: CaseFilePDF, c: CaseFileContents, fmt: Formats) -> None:
    if c.case.agency_id is None:
        return
    pdf.heading("Recoveries, fee and net")
    if not c.recoveries:
        pdf.note("Nothing recovered yet.")
        return
    widths = [22, 27, 17, 15, 25, 27, 47]
    pdf.table_head(RECOVERY_COLUMNS, widths, RECOVERY_ALIGNS)
    for r in c.recoveries:
        fee = fmt.money(r.fee_minor) + (f" + tax {fmt.money(r.tax_minor)}" if r.tax_minor else "")
        detail = ", ".join(x for x in (r.method, r.reference) if x)
        if r.reverses_id:
            detail += " (reverses an earlier payment)"
        if r.note:
            detail += f". {r.note}"
        pdf.row(
            [
                fmt.day(r.received_on),
                fmt.money(r.amount_minor),
                _label(r.paid_to),
                fmt.rate(r.fee_rate_bps),
                fee,
                fmt.money(r.net_minor),
                detail,
            ],
            widths,
            RECOVERY_ALIGNS,
            size=8,
            repeat=RECOVERY_COLUMNS,
        )
    f = c.figures
    total = [
        "Total",
        fmt.money(f.recovered),
        "",
        "",
        fmt.money(f.fees + f.tax),
        fmt.money(f.net),
        "",
    ]
    pdf.row(total, widths, RECOVERY_ALIGNS, bold=True, size=8, fill=True)


def _timeline(pdf: CaseFilePDF, c: CaseFileContents, fmt: Formats) -> None:
    pdf.heading("Timeline")
    if not c.events:
        pdf.note("No events recorded.")
        return
    widths = [34, 46, pdf.epw - 80]
    columns = ("When", "Who", "What")
    pdf.table_head(columns, widths)
    for e in c.events:
        who = "The portal"
        if e.actor is not None:
            who = f"{e.actor.name}, {e.actor.organisation.name}"
        what = event_label(e.kind)
        said = event_summary(e, day=fmt.day)
        if said:
            what += f": {said}"
        if e.internal:
            what += " (internal)"
        pdf.row([fmt.when(e.occurred_at), who, what], widths, size=8, repeat=columns)


def _documents(pdf: CaseFilePDF, c: CaseFileContents, fmt: Formats) -> None:
    pdf.heading("Index of documents")
    if not c.documents:
        pdf.note("No documents on the case.")
        return
    for n, doc in enumerate(c.documents, start=1):
        pdf.keep_room(14)
        pdf.text_block(f"{n}. {doc.filename}", bold=True, gap=0)
        facts = f"{human_size(doc.size_bytes)} ({doc.size_bytes} bytes) · {doc.kind.upper()} · "
        facts += f"uploaded by {c.person(doc.uploaded_by_id)} ({_label(doc.side)}), "
        facts += fmt.when(doc.uploaded_at)
        pdf.text_block(facts, size=8, indent=5, gap=0)
        if doc.description:
            pdf.text_block(doc.description, size=8, indent=5, gap=0)
        pdf.text_block(f"SHA-256 {doc.sha256}", size=7.5, color=MUTED, indent=5, gap=1.2)


SECTIONS = (
    _cover,
    _debtor,
    _terms,
    _checklist,
    _invoices,
    _history,
    _contact_log,
    _messages,
    _disputes,
    _arrangements,
    _recoveries,
    _timeline,
    _documents,
)


# --- the bundle ------------------------------------------------------------------------------


def is_pdf(doc: Document) -> bool:
    return doc.kind == "pdf" or doc.content_type == "application/pdf"


def read_attachments(documents: list[Document]) -> list[Attachment]:
    """Open each PDF document of the case; one that is missing or does not parse is kept with
    the reason, so the file lists it as not included instead of failing."""
    return [_read(doc) for doc in documents if is_pdf(doc)]


def _read(doc: Document) -> Attachment:
    try:
        with open_document(doc) as stream:
            data = stream.read()
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            return Attachment(doc, None, "it is encrypted")
        if len(reader.pages) == 0:
            return Attachment(doc, None, "it has no pages")
        for page in reader.pages:  # reach every page now, so a broken one shows here
            page.get_contents()
    except (StorageError, FileNotFoundError):
        log.error("case file bundle: document %s has no stored file", doc.id)
        return Attachment(doc, None, "its stored file is missing")
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError):
        log.warning("case file bundle: document %s does not parse as a PDF", doc.id)
        return Attachment(doc, None, "it could not be read as a PDF")
    return Attachment(doc, reader)


def _bundle_index(pdf: CaseFilePDF, attachments: list[Attachment], fmt: Formats) -> None:
    pdf.heading("Documents bundled after this file")
    if not attachments:
        pdf.note("The case has no PDF documents to bundle.")
    for n, item in enumerate(attachments, start=1):
        if item.reader is not None:
            count = f"{item.pages} page{'' if item.pages == 1 else 's'}"
            pdf.text_block(f"{n}. {item.document.filename}: included, {count}.", gap=0.5)
        else:
            pdf.text_block(
                f"{n}. {item.document.filename}: NOT INCLUDED, {item.problem}.", bold=True, gap=0.5
            )


def bundle(contents: CaseFileContents, locale: str) -> bytes:
    """The case file followed by every readable PDF document of the case, as one PDF.

    The documents are appended first, so the file's own index says exactly which made it in;
    the case file then goes in front of them.
    """
    writer = PdfWriter()
    final = []
    for item in read_attachments(contents.documents):
        final.append(_append(writer, item) if item.reader is not None else item)
    case_file = render(contents, locale, final)
    writer.merge(0, PdfReader(io.BytesIO(case_file)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _append(writer: PdfWriter, item: Attachment) -> Attachment:
    """Append one document's pages; one that fails half-way is taken out again, whole."""
    before = len(writer.pages)
    try:
        writer.append(item.reader, outline_item=item.document.filename)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as error:
        log.warning("case file bundle: document %s not appended: %s", item.document.id, error)
        while len(writer.pages) > before:
            writer.remove_page(len(writer.pages) - 1)
        return Attachment(item.document, None, "its pages could not be copied")
    return item
