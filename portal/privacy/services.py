"""Everything held on one debtor: exported for the business, or erased once it may be.

Export: a JSON document with the debtor, its cases and what the business may see of each
(invoices, history, the agency's contacts that are not internal, messages, disputes, documents'
details, arrangements and payments), and a zip of that JSON with each case's PDF case file.

Erasure: the debtor's personal details go (name, contact person, e-mails, phones, address,
registration and account numbers, the free text of history, contacts, messages, disputes and
notes, the documents and their stored files); its name, contact person, e-mails and phones are
replaced wherever they were copied: the lines of issued statements, notifications, mail about its
cases, and contract, clause and payment references. The money stays (invoices, charges, payments,
fees, references, dates), so totals and statements still add up. The audit trail is sealed and
never changes: its events name a case by reference and a debtor by number, never by name. Only
when every case of the debtor is closed and the retention period (DEBTOR_RETENTION_YEARS,
default 3, after the last activity) has passed.
"""

import enum
import io
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from dateutil.relativedelta import relativedelta
from flask import current_app
from sqlalchemy import func, inspect, or_, select, update

from portal import audit, money
from portal.casefile import build
from portal.casefile.contents import gather
from portal.errors import DomainError
from portal.extensions import db
from portal.models import (
    Arrangement,
    Case,
    CaseStatus,
    Charge,
    ChargeTerm,
    CorrespondenceEntry,
    Debtor,
    Dispute,
    Document,
    Event,
    Instalment,
    Invoice,
    Message,
    Notification,
    OutboxMail,
    Recovery,
    User,
)
from portal.statements import services as statements
from portal.tenancy import owned

ERASED_TEXT = "Erased"
# Reading is not activity: downloads and exports do not extend the retention period.
READ_ONLY_KINDS = ("document_downloaded", "case_file_downloaded", "debtor_exported")
DEBTOR_FIELDS = (
    "id",
    "kind",
    "name",
    "registration_number",
    "account_number",
    "contact_person",
    "emails",
    "phones",
    "address",
    "country",
    "timezone",
    "created_at",
)


def retention_years() -> int:
    return int(current_app.config.get("DEBTOR_RETENTION_YEARS", 3))


def erased_name(debtor: Debtor) -> str:
    return f"Erased debtor #{debtor.id}"


def is_erased(debtor: Debtor) -> bool:
    return debtor.name == erased_name(debtor)


def debtors(user: User) -> list[tuple[Debtor, int, int]]:
    """The business's debtors with their number of cases and of open cases, by name."""
    open_cases = func.sum(func.cast(Case.status != CaseStatus.CLOSED, db.Integer))
    stmt = (
        owned(Debtor, user)
        .add_columns(func.count(Case.id), func.coalesce(open_cases, 0))
        .outerjoin(Case, Case.debtor_id == Debtor.id)
        .group_by(Debtor.id)
        .order_by(func.lower(Debtor.name), Debtor.id)
    )
    return [(d, n, int(o)) for d, n, o in db.session.execute(stmt).all()]


def cases_of(debtor: Debtor, user: User) -> list[Case]:
    stmt = owned(Case, user).where(Case.debtor_id == debtor.id).order_by(Case.created_at, Case.id)
    return list(db.session.scalars(stmt))


# --- export --------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _row(obj: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    columns = inspect(type(obj)).columns
    return {c.key: _plain(getattr(obj, c.key)) for c in columns if c.key not in skip}


def _rows(model: type, user: User, case_id: int, order) -> list[dict[str, Any]]:
    stmt = owned(model, user).where(model.case_id == case_id).order_by(order, model.id)
    return [_row(r, skip=("storage_key",)) for r in db.session.scalars(stmt)]


def _case_data(case: Case, user: User) -> dict[str, Any]:
    data = _row(case)
    data["invoices"] = _rows(Invoice, user, case.id, Invoice.due_date)
    data["charge_terms"] = _rows(ChargeTerm, user, case.id, ChargeTerm.id)
    data["charges"] = _rows(Charge, user, case.id, Charge.created_at)
    entries = _rows(CorrespondenceEntry, user, case.id, CorrespondenceEntry.occurred_at)
    data["history"] = [e for e in entries if e["side"] == "business"]
    data["contacts"] = [e for e in entries if e["side"] == "agency"]
    data["messages"] = _rows(Message, user, case.id, Message.created_at)
    data["disputes"] = _rows(Dispute, user, case.id, Dispute.created_at)
    data["documents"] = _rows(Document, user, case.id, Document.uploaded_at)
    data["arrangements"] = _arrangements(case, user)
    data["payments"] = _rows(Recovery, user, case.id, Recovery.received_on)
    return data


def _arrangements(case: Case, user: User) -> list[dict[str, Any]]:
    stmt = owned(Arrangement, user).where(Arrangement.case_id == case.id).order_by(Arrangement.id)
    found = []
    for arrangement in db.session.scalars(stmt):
        row = _row(arrangement)
        row["instalments"] = [
            _row(i)
            for i in db.session.scalars(
                owned(Instalment, user)
                .where(Instalment.arrangement_id == arrangement.id)
                .order_by(Instalment.seq)
            )
        ]
        found.append(row)
    return found


def export_data(debtor: Debtor, user: User, now: datetime) -> dict[str, Any]:
    """Everything the business holds on the debtor, as plain JSON-ready data."""
    return {
        "exported_at": now.isoformat(),
        "exported_by": {"id": user.id, "name": user.name, "email": user.email},
        "organisation": {"id": user.organisation_id, "name": user.organisation.name},
        "debtor": {name: _plain(getattr(debtor, name)) for name in DEBTOR_FIELDS},
        "cases": [_case_data(case, user) for case in cases_of(debtor, user)],
    }


def export_json(debtor: Debtor, user: User, now: datetime) -> bytes:
    """The export as UTF-8 JSON, and an audit event saying who took it."""
    data = export_data(debtor, user, now)
    _record_export(debtor, "JSON")
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def export_zip(debtor: Debtor, user: User, now: datetime) -> bytes:
    """A zip: the JSON export and each case's PDF case file, as this user may see it."""
    locale = current_app.config.get("BABEL_LOCALE", money.DEFAULT_LOCALE)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        data = export_data(debtor, user, now)
        archive.writestr(f"debtor-{debtor.id}.json", json.dumps(data, ensure_ascii=False, indent=2))
        for case in cases_of(debtor, user):
            pdf = build.render(gather(case, user, now), locale)
            archive.writestr(f"case-files/{build.filename(case)}", pdf)
    _record_export(debtor, "zip with the case files")
    return buffer.getvalue()


def export_filename(debtor: Debtor, extension: str) -> str:
    return f"debtor-{debtor.id}-export.{extension}"


def _record_export(debtor: Debtor, what: str) -> None:
    audit.record(
        "debtor_exported",
        summary=f"Exported everything held on debtor #{debtor.id} ({what})",
        after={"debtor_id": debtor.id, "format": what},
    )


# --- erasure -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Erasability:
    allowed: bool
    reason: str
    last_activity: datetime
    erasable_from: date


def last_activity(debtor: Debtor) -> datetime:
    """The latest moment anything happened on the debtor's cases (reading aside)."""
    case_ids = select(Case.id).where(Case.debtor_id == debtor.id)
    candidates = [
        debtor.created_at,
        *db.session.execute(
            select(
                func.max(Case.created_at), func.max(Case.updated_at), func.max(Case.closed_at)
            ).where(Case.debtor_id == debtor.id)
        ).one(),
        db.session.scalar(
            select(func.max(Event.occurred_at)).where(
                Event.case_id.in_(case_ids), Event.kind.not_in(READ_ONLY_KINDS)
            )
        ),
        db.session.scalar(
            select(func.max(CorrespondenceEntry.recorded_at)).where(
                CorrespondenceEntry.case_id.in_(case_ids)
            )
        ),
        db.session.scalar(
            select(func.max(Recovery.created_at)).where(Recovery.case_id.in_(case_ids))
        ),
        db.session.scalar(
            select(func.max(Message.created_at)).where(Message.case_id.in_(case_ids))
        ),
        db.session.scalar(
            select(func.max(Document.uploaded_at)).where(Document.case_id.in_(case_ids))
        ),
    ]
    return max(c for c in candidates if c is not None)


def erasability(debtor: Debtor, today: date) -> Erasability:
    """Whether the debtor may be erased today, and if not, why."""
    latest = last_activity(debtor)
    years = retention_years()
    from_day = latest.date() + relativedelta(years=years)
    open_refs = [
        c.reference or f"draft {c.id}"
        for c in db.session.scalars(select(Case).where(Case.debtor_id == debtor.id))
        if c.status != CaseStatus.CLOSED
    ]
    if is_erased(debtor):
        reason = "This debtor's personal details have already been erased."
    elif open_refs:
        reason = (
            "Every case of the debtor must be closed first; still open: "
            + ", ".join(sorted(open_refs))
            + "."
        )
    elif today < from_day:
        reason = (
            f"The records are kept for {years} year{'' if years == 1 else 's'} after the last "
            f"activity ({latest.date().isoformat()}): they can be erased from "
            f"{from_day.isoformat()}."
        )
    else:
        reason = ""
    return Erasability(not reason, reason, latest, from_day)


def erase(debtor: Debtor, user: User, today: date) -> list[str]:
    """Erase the debtor's personal details, keep the money. Return the storage keys to delete.

    The route deletes those files only after its commit succeeds.
    """
    check = erasability(debtor, today)
    if not check.allowed:
        raise DomainError(check.reason)
    cases = debtor_cases(debtor)
    case_ids = [c.id for c in cases]
    refs = [c.reference for c in cases if c.reference]
    replacements = _replacements(debtor)
    _erase_debtor(debtor)
    keys = _erase_case_texts(case_ids)
    _redact_references(case_ids, replacements)
    _rename_in_notifications(case_ids, replacements)
    _redact_outbox(refs, replacements)
    statements.erase_debtor_name(case_ids, debtor.name)
    audit.record(
        "debtor_erased",
        summary=f"Personal details of debtor #{debtor.id} erased; money totals kept",
        after={"debtor_id": debtor.id, "cases": case_ids, "documents_removed": len(keys)},
        actor=user,
    )
    db.session.flush()
    return keys


def debtor_cases(debtor: Debtor) -> list[Case]:
    return list(db.session.scalars(select(Case).where(Case.debtor_id == debtor.id)))


def _erase_debtor(debtor: Debtor) -> None:
    debtor.name = erased_name(debtor)
    debtor.registration_number = debtor.account_number = debtor.contact_person = ""
    debtor.emails, debtor.phones, debtor.address = [], [], ""


def _erase_case_texts(case_ids: list[int]) -> list[str]:
    if not case_ids:
        return []
    on = lambda model: model.case_id.in_(case_ids)  # noqa: E731
    db.session.execute(update(Case).where(Case.id.in_(case_ids)).values(notes=""))
    db.session.execute(
        update(Case)
        .where(Case.id.in_(case_ids), Case.rejection_note.is_not(None))
        .values(rejection_note=ERASED_TEXT)
    )
    db.session.execute(
        update(CorrespondenceEntry)
        .where(on(CorrespondenceEntry))
        .values(summary=ERASED_TEXT, outcome="", contact_person="")
    )
    db.session.execute(
        update(CorrespondenceEntry)
        .where(on(CorrespondenceEntry), CorrespondenceEntry.override_reason.is_not(None))
        .values(override_reason=ERASED_TEXT)
    )
    db.session.execute(update(Message).where(on(Message)).values(body=ERASED_TEXT))
    db.session.execute(update(Dispute).where(on(Dispute)).values(reason=ERASED_TEXT))
    db.session.execute(
        update(Dispute)
        .where(on(Dispute), Dispute.resolution_note.is_not(None))
        .values(resolution_note=ERASED_TEXT)
    )
    db.session.execute(update(Recovery).where(on(Recovery)).values(note=""))
    db.session.execute(update(Charge).where(on(Charge)).values(note=""))
    db.session.execute(update(Arrangement).where(on(Arrangement)).values(note=""))
    return _remove_documents(case_ids)


def _remove_documents(case_ids: list[int]) -> list[str]:
    documents = list(db.session.scalars(select(Document).where(Document.case_id.in_(case_ids))))
    keys = [d.storage_key for d in documents]
    for document in documents:
        db.session.delete(document)
    db.session.flush()
    return keys


@dataclass(frozen=True)
class Replacements:
    """The debtor's personal details as they were, each with what replaces it: the name becomes
    the erased name; the contact person, e-mails and phones become ERASED_TEXT. Matched whole
    (not inside a longer word), in any case, longest first, in one pass (so "Wanjiru" never
    eats into "Wanjiru Kamau", nor a replacement into another)."""

    pattern: re.Pattern[str] | None
    new: dict[str, str]

    def __bool__(self) -> bool:
        return self.pattern is not None


def _replacements(debtor: Debtor) -> Replacements:
    found = {v.strip().lower(): ERASED_TEXT for v in [debtor.contact_person, *debtor.emails]}
    found |= {v.strip().lower(): ERASED_TEXT for v in debtor.phones}
    found[debtor.name.strip().lower()] = erased_name(debtor)
    found.pop("", None)
    if not found:
        return Replacements(None, {})
    alternatives = "|".join(re.escape(old) for old in sorted(found, key=len, reverse=True))
    return Replacements(re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE), found)


def redact(text: str, replacements: Replacements, limit: int | None = None) -> str:
    """`text` with the debtor's personal details replaced (cut to `limit` characters)."""
    if replacements.pattern is not None:
        text = replacements.pattern.sub(
            lambda match: replacements.new.get(match.group(0).lower(), ERASED_TEXT), text
        )
    return text if limit is None else text[:limit]


def _redact_references(case_ids: list[int], replacements: Replacements) -> None:
    """References stay for reconciliation, without the debtor's name in them."""
    if not case_ids:
        return
    for case in db.session.scalars(select(Case).where(Case.id.in_(case_ids))):
        case.contract_reference = redact(case.contract_reference, replacements, 200)
    for term in db.session.scalars(select(ChargeTerm).where(ChargeTerm.case_id.in_(case_ids))):
        term.clause = redact(term.clause, replacements, 300)
    for payment in db.session.scalars(select(Recovery).where(Recovery.case_id.in_(case_ids))):
        payment.reference = redact(payment.reference, replacements, 120)


def _rename_in_notifications(case_ids: list[int], replacements: Replacements) -> None:
    if not case_ids or not replacements:
        return
    stmt = select(Notification).where(Notification.case_id.in_(case_ids))
    for note in db.session.scalars(stmt):
        note.text = redact(note.text, replacements)


def _redact_outbox(refs: list[str], replacements: Replacements) -> None:
    """Mail about the debtor's cases (sent or waiting): its subject starts with the case's
    reference and its body names it (portal.notifications)."""
    if not refs or not replacements:
        return
    about = [OutboxMail.subject.startswith(f"{ref}:", autoescape=True) for ref in refs]
    about += [OutboxMail.body.contains(f"Case: {ref}\n", autoescape=True) for ref in refs]
    for mail in db.session.scalars(select(OutboxMail).where(or_(*about))):
        mail.subject = redact(mail.subject, replacements, 300)
        mail.body = redact(mail.body, replacements)


def delete_files(keys: list[str]) -> int:
    """Remove erased documents' files from storage (after the commit); return how many."""
    from portal.documents.services import storage

    store = storage()
    for key in keys:
        store.delete(key)
    return len(keys)
