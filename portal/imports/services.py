"""Bulk handover: keep an upload between the steps, preview it, and turn it into draft cases.

The steps:

1. `receive()` checks the upload (name, size, readable header) and keeps its bytes in the
   document storage under a random key. `pending_token()` signs that key for one user of one
   business; `pending_from_token()` reads it back (None when it is not theirs).
2. A plain file needs a column mapping (`headers_of()`, `save_mapping()`); the recognised
   accounting exports do not.
3. `preview()` reads the file as a stream into a scratch SQLite file (so memory stays flat
   however many rows and debtors it holds), groups the invoices by debtor and lists every
   problem by row and column; only the first `PREVIEW_CASES` cases and `PREVIEW_PROBLEMS`
   problems are kept, with counts for the rest.
4. `confirm()` reads the file again the same way and, when nothing is wrong, saves one draft
   case per debtor and currency through `portal.cases.services.save_draft`. It flushes; the
   route commits once, so all the drafts are created, or none. `discard()` then removes the
   stored bytes.

A stored upload has no `Document` row, so the documents garbage collector removes one that was
abandoned once it is older than a token's life.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from functools import cache
from typing import BinaryIO

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from portal import audit, places
from portal.cases.services import CaseData, DebtorData, InvoiceData, save_draft
from portal.documents.checks import safe_display_name
from portal.documents.services import (
    STAGED_MAX_AGE,
    megabytes,
    storage,
    written_in_this_request,
)
from portal.documents.storage import FileTooLarge, InvalidKey, StorageError, validate_key
from portal.errors import DomainError
from portal.extensions import db
from portal.imports import readers
from portal.imports.readers import FIELD_LABELS, ImportFormatError, InvoiceRow, RowProblem
from portal.models import (
    Case,
    CaseStatus,
    CorrespondenceEntry,
    Debtor,
    DebtorKind,
    ImportMapping,
    User,
)
from portal.money import MoneyError, digits, format_money, is_currency, parse_amount
from portal.tenancy import owned

log = logging.getLogger(__name__)

PENDING_SALT = "import-upload"
# A pending upload lives no longer than a staged document, so the documents garbage collector
# never removes one a valid token still points at.
PENDING_MAX_AGE = STAGED_MAX_AGE
PREVIEW_CASES = 200
PREVIEW_PROBLEMS = 200
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024  # an .xlsx that would unpack to more is refused
ACCEPTED_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx")
MAX_HEADER_CHARS = 100  # longer column names cannot be chosen in a mapping
MAX_MESSAGE_CHARS = 300
MAX_NOTES_CHARS = 5000
MAX_CONTACTS = 5  # e-mails and phones kept per debtor
DATE_ORDERS = {"DMY": "Day first (31/12/2026)", "MDY": "Month first (12/31/2026)"}
REQUIRED_MAPPING = (*readers.REQUIRED_FIELDS, "issue_date")
_LIMITS = {
    "debtor_name": 200,
    "account_number": 64,
    "contact_person": 200,
    "invoice_number": 64,
    "phone": 300,
    "email": 1000,
    "address": 1000,
    "city": 200,
}


class UploadGone(DomainError):
    """The pending upload expired or was already imported; the message says which."""


class ImportRefused(DomainError):
    """Confirming found problems: nothing was saved. `preview` lists them."""

    def __init__(self, message: str, preview: Preview):
        super().__init__(message)
        self.preview = preview


# --- the pending upload ----------------------------------------------------------------------


@dataclass(frozen=True)
class PendingUpload:
    """An uploaded file kept between the steps, and the choices made about it so far."""

    key: str
    filename: str
    size: int
    user_id: int
    business_id: int
    currency: str
    fmt: str = "plain"  # "plain" or one of readers.FORMATS
    mapping: dict[str, str] | None = None
    date_order: str | None = None

    @property
    def needs_mapping(self) -> bool:
        return self.fmt == "plain" and not self.mapping

    @property
    def format_label(self) -> str:
        if self.fmt == "plain":
            return "Spreadsheet or CSV with your column mapping"
        return readers.FORMATS.get(self.fmt, self.fmt)


def max_import_bytes() -> int:
    """The largest upload accepted, never above what one request may carry."""
    limit = int(current_app.config.get("IMPORT_MAX_BYTES") or DEFAULT_MAX_BYTES)
    request_limit = current_app.config.get("MAX_CONTENT_LENGTH")
    return min(limit, int(request_limit)) if request_limit else limit


def receive(upload: FileStorage | None, user: User, currency: str) -> PendingUpload:
    """Keep an upload for the next steps; raise `DomainError` beside the field that is wrong.

    Refused: no file, a name that is not .csv/.xlsx, an empty or oversize file, a workbook
    that would unpack to too much, and anything whose header cannot be read.
    """
    if upload is None or not (upload.filename or "").strip():
        raise DomainError("Choose a CSV or .xlsx file to upload.", field="file")
    name = safe_display_name(upload.filename)[:100]
    if not name.lower().endswith(ACCEPTED_SUFFIXES):
        raise DomainError(
            f"“{name}” is not a CSV or .xlsx file. Export the report as CSV or Excel (.xlsx).",
            field="file",
        )
    if not is_currency(currency or ""):
        raise DomainError("Choose a currency.", field="currency")
    limit = max_import_bytes()
    try:
        stored = storage().put(upload.stream, max_bytes=limit)
        written_in_this_request(stored.key)
    except FileTooLarge:
        raise DomainError(f"“{name}” is larger than {megabytes(limit)}.", field="file") from None
    pending = PendingUpload(
        key=stored.key,
        filename=name,
        size=stored.size,
        user_id=user.id,
        business_id=user.organisation_id,
        currency=currency,
    )
    try:
        if stored.size == 0:
            raise DomainError(f"“{name}” is empty.", field="file")
        _check_unpacked_size(pending)
        fmt, _ = _read_header(pending)
    except BaseException:
        storage().delete(stored.key)
        raise
    log.info("import %s (%d bytes, %s) kept for user %s", stored.key, stored.size, fmt, user.id)
    return replace(pending, fmt=fmt or "plain")


def _check_unpacked_size(pending: PendingUpload) -> None:
    """A workbook is a zip archive: refuse one that would unpack to far too much."""
    with _open(pending) as stream:
        if stream.read(4) != b"PK\x03\x04":
            return
        stream.seek(0)
        try:
            with zipfile.ZipFile(stream) as archive:
                unpacked = sum(member.file_size for member in archive.infolist())
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            return  # not a real archive: the reader says so in its own words
    if unpacked > MAX_UNPACKED_BYTES:
        raise DomainError(
            f"“{pending.filename}” would unpack to more than "
            f"{megabytes(MAX_UNPACKED_BYTES)}; split it into smaller files.",
            field="file",
        )


def _read_header(pending: PendingUpload) -> tuple[str | None, list[str]]:
    with _open(pending) as stream:
        try:
            return readers.header_of(stream, pending.filename)
        except ImportFormatError as exc:
            raise DomainError(_short(str(exc)), field="file") from exc
        except Exception as exc:  # a hostile file must never become a 500
            log.warning("header of import %s unreadable: %r", pending.key, exc)
            raise DomainError(
                f"“{pending.filename}” cannot be read as a CSV or .xlsx file.", field="file"
            ) from exc


def _open(pending: PendingUpload) -> BinaryIO:
    try:
        return storage().open(pending.key)
    except (StorageError, OSError) as exc:
        raise UploadGone(_GONE) from exc


_GONE = "That upload has already been imported or has expired. Upload the file again."
_EXPIRED = "That upload has expired (uploads are kept for a day). Upload the file again."


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=PENDING_SALT)


def pending_token(pending: PendingUpload) -> str:
    """A signed token naming the upload and the choices made, for the next step's address."""
    data = {
        "k": pending.key,
        "n": pending.filename,
        "s": pending.size,
        "u": pending.user_id,
        "b": pending.business_id,
        "c": pending.currency,
        "f": pending.fmt,
        "m": pending.mapping,
        "d": pending.date_order,
    }
    return _serializer().dumps(data)


def pending_from_token(token: str, user: User) -> PendingUpload | None:
    """The pending upload behind a token when it belongs to `user` (in their current business).

    None when the token is forged or another person's (the route answers 404); raises
    `UploadGone` when it has expired (its file is then removed) or its file is gone.
    """
    try:
        data = _serializer().loads(token, max_age=int(PENDING_MAX_AGE.total_seconds()))
    except SignatureExpired as exc:
        pending = _decode(_serializer().load_payload(exc.payload), user) if exc.payload else None
        if pending is None:
            return None
        storage().delete(pending.key)
        raise UploadGone(_EXPIRED) from exc
    except BadSignature:
        return None
    pending = _decode(data, user)
    if pending is not None and not storage().exists(pending.key):
        raise UploadGone(_GONE)
    return pending


def _decode(data: object, user: User) -> PendingUpload | None:
    if not isinstance(data, dict):
        return None
    if data.get("u") != user.id or data.get("b") != user.organisation_id:
        return None
    try:
        validate_key(data["k"])
        return PendingUpload(
            key=data["k"],
            filename=str(data["n"]),
            size=int(data["s"]),
            user_id=user.id,
            business_id=user.organisation_id,
            currency=str(data["c"]),
            fmt=str(data["f"]),
            mapping=dict(data["m"]) if data.get("m") else None,
            date_order=data.get("d"),
        )
    except (KeyError, TypeError, ValueError, InvalidKey):
        return None


def discard(pending: PendingUpload) -> None:
    """Remove the stored file (after confirming, or when the person cancels)."""
    try:
        storage().delete(pending.key)
    except StorageError:
        log.exception("could not delete pending import %s", pending.key)


# --- the column mapping ----------------------------------------------------------------------


@dataclass(frozen=True)
class FileHead:
    """A plain file's columns for the mapping step, with a few example rows."""

    headers: list[str]  # the ones that can be chosen, in file order
    examples: dict[str, list[str]]  # header -> values from the first rows
    left_out: int  # columns not offered (no name, or a name too long)


def headers_of(pending: PendingUpload, sample_rows: int = 3) -> FileHead:
    """The file's header row and the first values under each column."""
    _, cells = _read_header(pending)
    headers: list[str] = []
    for cell in cells:
        if cell and len(cell) <= MAX_HEADER_CHARS and cell not in headers:
            headers.append(cell)
    examples: dict[str, list[str]] = {header: [] for header in headers}
    with _open(pending) as stream:
        for values in _rows_after(stream, pending.filename, cells, sample_rows):
            for index, cell in enumerate(cells):
                if cell in examples and index < len(values) and values[index]:
                    examples[cell].append(_short(values[index], 40))
    return FileHead(headers, examples, len([c for c in cells if c]) - len(headers))


def _rows_after(
    stream: BinaryIO, filename: str, header: list[str], count: int
) -> Iterator[list[str]]:
    rows = readers.read_table(stream, filename)
    try:
        seen_header, given = False, 0
        for _, values in rows:
            if not seen_header:
                seen_header = values[: len(header)] == header
            elif any(values) and given < count:
                given += 1
                yield values
            if given >= count:
                return
    except ImportFormatError:
        return
    finally:
        rows.close()


def check_mapping(columns: dict[str, str], headers: list[str]) -> list[tuple[str, str]]:
    """(field, message) for each thing wrong with a mapping for a file with these headers."""
    problems = []
    for name in REQUIRED_MAPPING:
        if not columns.get(name):
            problems.append((name, f"Choose the column that holds the {_label(name)}."))
    used: dict[str, str] = {}
    for name, header in columns.items():
        if name not in FIELD_LABELS:
            problems.append((name, "This is not a field that can be imported."))
        elif header and header not in headers:
            problems.append((name, f"This file has no column “{header}”."))
        elif header in used:
            problems.append((name, f"“{header}” is already chosen for {_label(used[header])}."))
        elif header:
            used[header] = name
    return problems


def fitting_mapping(mapping: ImportMapping, headers: list[str]) -> tuple[dict[str, str], list]:
    """The part of a saved mapping that fits this file, and the fields whose column is missing."""
    fits = {name: header for name, header in mapping.columns.items() if header in headers}
    missing = [name for name, header in mapping.columns.items() if header not in headers]
    return fits, missing


def saved_mappings(user: User) -> list[ImportMapping]:
    """The business's saved column mappings, by name."""
    return list(db.session.scalars(owned(ImportMapping, user).order_by(ImportMapping.name)))


def save_mapping(user: User, name: str, columns: dict[str, str], date_order: str) -> ImportMapping:
    """Save a mapping under a name for the business; a mapping of the same name is replaced."""
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("Give the mapping a name.", field="save_as")
    if len(name) > 100:
        raise DomainError("Keep the name under 100 characters.", field="save_as")
    if date_order not in DATE_ORDERS:
        raise DomainError("Choose how dates are written.", field="date_order")
    problems = check_mapping(columns, list(columns.values()))
    if problems:
        raise DomainError(problems[0][1], field=problems[0][0])
    mapping = db.session.scalars(
        owned(ImportMapping, user).where(func.lower(ImportMapping.name) == name.lower())
    ).first()
    if mapping is None:
        mapping = ImportMapping(business_id=user.organisation_id, name=name)
        db.session.add(mapping)
    mapping.columns = {key: value for key, value in columns.items() if value}
    mapping.date_order = date_order
    db.session.flush()
    audit.record("import_mapping_saved", summary=f"Column mapping “{name}” saved", actor=user)
    return mapping


def delete_mapping(mapping: ImportMapping, user: User) -> None:
    """Forget a saved mapping (uploads already imported with it are not affected)."""
    audit.record(
        "import_mapping_deleted", summary=f"Column mapping “{mapping.name}” deleted", actor=user
    )
    db.session.delete(mapping)
    db.session.flush()


def with_mapping(pending: PendingUpload, columns: dict[str, str], date_order: str):
    """The same upload, to be read as a plain file with this mapping."""
    mapping = {key: value for key, value in columns.items() if value}
    return replace(pending, fmt="plain", mapping=mapping, date_order=date_order)


# --- reading the file into a scratch database ------------------------------------------------


@dataclass(frozen=True)
class Problem:
    row: int | None
    column: str | None
    message: str


@dataclass(frozen=True)
class CaseSummary:
    debtor_name: str
    currency: str
    invoices: int
    credits: int
    outstanding_minor: int
    first_row: int


@dataclass
class Preview:
    """What confirming would create, and everything that stops it."""

    filename: str
    format_label: str
    cases: list[CaseSummary] = field(default_factory=list)
    case_count: int = 0
    invoice_count: int = 0
    credit_count: int = 0
    totals: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0

    @property
    def ok(self) -> bool:
        return self.problem_count == 0 and self.case_count > 0

    @property
    def more_cases(self) -> int:
        return self.case_count - len(self.cases)

    @property
    def more_problems(self) -> int:
        return self.problem_count - len(self.problems)


_SCHEMA = """
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
CREATE TABLE lines (
    row INTEGER NOT NULL,
    case_key TEXT NOT NULL,
    currency TEXT NOT NULL,
    debtor_name TEXT NOT NULL,
    debtor_kind TEXT,
    account_number TEXT,
    contact_person TEXT,
    email TEXT,
    phone TEXT,
    address TEXT,
    country TEXT,
    invoice INTEGER NOT NULL,
    number TEXT NOT NULL,
    number_key TEXT NOT NULL,
    kind TEXT,
    issue_date TEXT,
    due_date TEXT,
    amount INTEGER NOT NULL,
    paid INTEGER NOT NULL,
    notes TEXT
);
CREATE TABLE problems (row INTEGER, col TEXT, message TEXT NOT NULL);
"""

_LINE_COLUMNS = [
    "row",
    "case_key",
    "currency",
    "debtor_name",
    "debtor_kind",
    "account_number",
    "contact_person",
    "email",
    "phone",
    "address",
    "country",
    "invoice",
    "number",
    "number_key",
    "kind",
    "issue_date",
    "due_date",
    "amount",
    "paid",
    "notes",
]
_INSERT_LINE = (
    f"INSERT INTO lines ({', '.join(_LINE_COLUMNS)}) "
    f"VALUES ({', '.join(':' + name for name in _LINE_COLUMNS)})"
)


class _Scratch:
    """One upload's lines in a temporary SQLite file: grouping by debtor without holding the
    file in memory."""

    def __init__(self, pending: PendingUpload) -> None:
        self.pending = pending
        fd, self.path = tempfile.mkstemp(prefix="portal-import-", suffix=".sqlite")
        os.close(fd)
        self.db = sqlite3.connect(self.path)
        self.db.row_factory = sqlite3.Row
        self.db.executescript(_SCHEMA)
        self.problems = 0
        self.batch: list[dict] = []

    def close(self) -> None:
        self.db.close()
        try:
            os.unlink(self.path)
        except OSError:
            log.warning("could not remove scratch file %s", self.path)

    def column(self, name: str) -> str:
        """The file's header for one of our fields, or its label when the reader chose it."""
        if self.pending.mapping and name in self.pending.mapping:
            return self.pending.mapping[name]
        return FIELD_LABELS[name]

    def problem(self, row: int | None, column: str | None, message: str) -> None:
        self.problems += 1
        self.db.execute(
            "INSERT INTO problems (row, col, message) VALUES (?, ?, ?)",
            (row, _short(column or "", 100) or None, _short(message)),
        )

    def add(self, item: InvoiceRow) -> None:
        values = _line_values(item, self)
        if values is not None:
            self.batch.append(values)
            if len(self.batch) >= _BATCH:
                self.flush()

    def flush(self) -> None:
        self.db.executemany(_INSERT_LINE, self.batch)
        self.batch.clear()

    def finish(self) -> None:
        """Index the lines, then refuse an invoice number listed twice for one debtor."""
        self.flush()
        self.db.executescript(_INDEXES)
        twice = self.db.execute(_TWICE).fetchall()
        for line in twice:
            self.problem(
                line["row"],
                self.column("invoice_number"),
                f"Invoice {line['number']} is listed twice for {line['debtor_name']} "
                f"(also on row {line['first_row']}).",
            )
        self.db.executemany("DELETE FROM lines WHERE rowid = ?", [(line["id"],) for line in twice])


_BATCH = 1000
_INDEXES = """
CREATE INDEX lines_case ON lines (case_key, row);
CREATE INDEX lines_number ON lines (case_key, number_key) WHERE invoice = 1;
"""
_TWICE = """
SELECT line.rowid AS id, line.row, line.number, line.debtor_name, first.first_row
FROM lines AS line
JOIN (SELECT case_key, number_key, MIN(row) AS first_row FROM lines WHERE invoice = 1
      GROUP BY case_key, number_key HAVING COUNT(*) > 1) AS first
  ON first.case_key = line.case_key AND first.number_key = line.number_key
WHERE line.invoice = 1 AND line.row > first.first_row
ORDER BY line.row
"""


def _short(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _case_key(item: InvoiceRow, currency: str) -> str:
    who = item.account_number or item.debtor_name
    return (
        currency + "\x1f" + ("#" if item.account_number else "") + " ".join(who.split()).casefold()
    )


def _line_values(item: InvoiceRow, scratch: _Scratch) -> dict | None:
    """The row as stored, or None after recording why it cannot be imported."""
    invoice = readers._is_invoice_type(item.transaction_type)  # the reader's own rule
    currency = item.currency or scratch.pending.currency
    before = scratch.problems
    amount = _minor(item, "amount", _credit_value(item) if not invoice else item.amount, scratch)
    paid = _minor(item, "paid", item.paid, scratch) if invoice else 0
    _check_text(item, scratch)
    if invoice and item.issue_date is None:
        scratch.problem(item.row_number, scratch.column("issue_date"), "Issue date is missing.")
    if not invoice and amount is not None and amount > 0:
        scratch.problem(
            item.row_number,
            scratch.column("amount"),
            f"A “{item.transaction_type}” line that adds to the balance cannot be imported: "
            "only invoices are handed over, and credits or payments reduce them.",
        )
    if scratch.problems != before or amount is None or paid is None or amount == 0:
        return None
    return {
        "row": item.row_number,
        "case_key": _case_key(item, currency),
        "currency": currency,
        "debtor_name": item.debtor_name.strip(),
        "debtor_kind": item.debtor_kind,
        "account_number": item.account_number,
        "contact_person": item.contact_person,
        "email": item.email,
        "phone": item.phone,
        "address": "\n".join(part for part in (item.address, item.city) if part) or None,
        "country": item.country,
        "invoice": 1 if invoice else 0,
        "number": item.invoice_number,
        "number_key": item.invoice_number.strip().casefold(),
        "kind": item.transaction_type,
        "issue_date": item.issue_date.isoformat() if item.issue_date else None,
        "due_date": item.due_date.isoformat() if item.due_date else None,
        "amount": amount,
        "paid": paid,
        "notes": item.notes,
    }


def _credit_value(item: InvoiceRow) -> Decimal:
    """What a credit or payment line still takes off the balance (its open part, if given)."""
    return item.open_balance if item.open_balance is not None else item.amount


def _minor(item: InvoiceRow, name: str, value: Decimal, scratch: _Scratch) -> int | None:
    currency = item.currency or scratch.pending.currency
    scaled = value.scaleb(_digits(currency))
    if scaled == scaled.to_integral_value():
        return int(scaled)
    try:
        return parse_amount(value, currency)  # refused, with the reason in its words
    except MoneyError as error:
        scratch.problem(item.row_number, scratch.column(name), f"{value}: {error}")
        return None


@cache
def _digits(currency: str) -> int:
    return digits(currency)


def _check_text(item: InvoiceRow, scratch: _Scratch) -> None:
    for name, limit in _LIMITS.items():
        text = getattr(item, name)
        if text and len(text) > limit:
            scratch.problem(
                item.row_number,
                scratch.column(name),
                f"{FIELD_LABELS[name]} is longer than {limit} characters.",
            )
    for address in _emails(item.email) if item.email else ():
        try:
            validate_email(address, check_deliverability=False)
        except EmailNotValidError:
            scratch.problem(
                item.row_number,
                scratch.column("email"),
                f"“{_short(address, 80)}” is not an e-mail address.",
            )
            break


def _emails(text: str | None) -> list[str]:
    return [part for part in re.split(r"[;,\s]+", text or "") if part]


def _phones(text: str | None) -> list[str]:
    return [part.strip() for part in re.split(r"[;,/]+", text or "") if part.strip()]


@contextmanager
def _read(pending: PendingUpload, today: date) -> Iterator[_Scratch]:
    """The whole file read into a scratch database, with the case-level checks done."""
    scratch = _Scratch(pending)
    try:
        with _open(pending) as stream:
            _fill(scratch, stream, today)
        scratch.finish()
        _check_cases(scratch)
        yield scratch
    finally:
        scratch.close()


def _fill(scratch: _Scratch, stream: BinaryIO, today: date) -> None:
    pending = scratch.pending
    try:
        items = readers.parse(
            stream,
            pending.filename,
            mapping=pending.mapping,
            default_currency=pending.currency,
            date_order=pending.date_order,
            today=today,
        )
        with closing(items):
            for item in items:
                if isinstance(item, RowProblem):
                    scratch.problem(item.row_number, item.column, item.message)
                else:
                    scratch.add(item)
    except ImportFormatError as exc:
        scratch.problem(None, None, str(exc))
    except Exception as exc:  # a hostile file must never become a 500
        log.warning("import %s unreadable: %r", pending.key, exc)
        scratch.problem(None, None, f"“{pending.filename}” cannot be read past this point.")


_CASES = """
SELECT case_key, MIN(row) AS first_row, currency,
       SUM(CASE WHEN invoice = 1 THEN 1 ELSE 0 END) AS invoices,
       SUM(CASE WHEN invoice = 1 THEN 0 ELSE 1 END) AS credits,
       SUM(CASE WHEN invoice = 1 THEN amount - paid ELSE 0 END) AS owed,
       SUM(CASE WHEN invoice = 1 THEN 0 ELSE -amount END) AS credited
FROM lines GROUP BY case_key
"""


def _check_cases(scratch: _Scratch) -> None:
    """A case needs at least one invoice, and something still owed after its credits."""
    query = f"{_CASES} HAVING invoices = 0 OR owed - credited <= 0"
    for case in scratch.db.execute(query).fetchall():
        name = _debtor_name(scratch, case["case_key"])
        if case["invoices"] == 0:
            message = f"{name} has credits or payments but no invoice to hand over."
        else:
            owed = format_money(case["owed"], case["currency"])
            credited = format_money(case["credited"], case["currency"])
            message = (
                f"Nothing is outstanding for {name} once its credits are taken off "
                f"(invoices {owed}, credits {credited})."
            )
        scratch.problem(case["first_row"], scratch.column("debtor_name"), message)


def _debtor_name(scratch: _Scratch, case_key: str) -> str:
    row = scratch.db.execute(
        "SELECT debtor_name FROM lines WHERE case_key = ? ORDER BY row LIMIT 1", (case_key,)
    ).fetchone()
    return row["debtor_name"]


def _summarise(scratch: _Scratch) -> Preview:
    pending, sql = scratch.pending, scratch.db
    preview = Preview(filename=pending.filename, format_label=pending.format_label)
    cases = sql.execute(f"{_CASES} ORDER BY first_row LIMIT ?", (PREVIEW_CASES,)).fetchall()
    preview.cases = [
        CaseSummary(
            debtor_name=_debtor_name(scratch, case["case_key"]),
            currency=case["currency"],
            invoices=case["invoices"],
            credits=case["credits"],
            outstanding_minor=case["owed"] - case["credited"],
            first_row=case["first_row"],
        )
        for case in cases
    ]
    preview.case_count = sql.execute("SELECT COUNT(DISTINCT case_key) FROM lines").fetchone()[0]
    counts = sql.execute("SELECT SUM(invoice), SUM(1 - invoice) FROM lines").fetchone()
    preview.invoice_count, preview.credit_count = counts[0] or 0, counts[1] or 0
    totals = "SELECT currency, SUM(amount - paid) FROM lines GROUP BY currency ORDER BY currency"
    preview.totals = dict(sql.execute(totals))
    preview.problem_count = sql.execute("SELECT COUNT(*) FROM problems").fetchone()[0]
    problems = sql.execute(
        "SELECT row, col, message FROM problems ORDER BY row IS NOT NULL, row, rowid LIMIT ?",
        (PREVIEW_PROBLEMS,),
    )
    preview.problems = [Problem(row["row"], row["col"], row["message"]) for row in problems]
    if preview.case_count == 0 and preview.problem_count == 0:
        preview.problems = [Problem(None, None, "No invoices were found in the file.")]
        preview.problem_count = 1
    return preview


def preview(pending: PendingUpload, today: date) -> Preview:
    """Read the upload and say what confirming would create, and every problem (nothing saved).

    `today` is the person's local date: an issue date after it is refused.
    """
    with _read(pending, today) as scratch:
        return _summarise(scratch)


# --- confirming ------------------------------------------------------------------------------


def confirm(pending: PendingUpload, user: User, today: date) -> int:
    """Create one draft case per debtor (and currency) from the upload; return how many.

    Reads the file again; any problem raises `ImportRefused` before anything is written, and a
    rule refused while saving raises it too (the route rolls back: all or nothing).
    """
    with _read(pending, today) as scratch:
        summary = _summarise(scratch)
        if not summary.ok:
            raise ImportRefused(
                "Nothing was imported: correct the file and upload it again.", summary
            )
        created = 0
        cases = scratch.db.execute(f"{_CASES} ORDER BY first_row")
        for case in cases:
            lines = scratch.db.execute(
                "SELECT * FROM lines WHERE case_key = ? ORDER BY row", (case["case_key"],)
            ).fetchall()
            try:
                save_draft(user, _case_data(lines, pending, user))
            except DomainError as error:
                row, name = lines[0]["row"], lines[0]["debtor_name"]
                summary.problems = [Problem(row, None, f"{name}: {error.message}")]
                summary.problem_count = 1
                raise ImportRefused("Nothing was imported.", summary) from error
            created += 1
    audit.record(
        "cases_imported",
        summary=f"{created} draft case{'' if created == 1 else 's'} from “{pending.filename}”",
        after={"filename": pending.filename, "format": pending.fmt, "cases": created},
        actor=user,
    )
    return created


def _case_data(lines: list[sqlite3.Row], pending: PendingUpload, user: User) -> CaseData:
    first = lines[0]
    currency = first["currency"]
    invoices = [line for line in lines if line["invoice"]]
    credits = [line for line in lines if not line["invoice"]]
    applied = _apply_credits(invoices, sum(-line["amount"] for line in credits))
    data = CaseData(
        currency=currency,
        invoices=[
            InvoiceData(
                number=line["number"].strip(),
                issue_date=date.fromisoformat(line["issue_date"]),
                due_date=date.fromisoformat(line["due_date"]),
                amount_minor=line["amount"],
                paid_minor=line["paid"] + applied.get(line["row"], 0),
            )
            for line in invoices
        ],
        notes=_notes(pending, invoices, credits, applied, currency),
    )
    existing = _existing_debtor(user, first)
    if existing is not None:
        data.debtor_id = existing.id
    else:
        data.debtor = _debtor_data(lines, user)
    return data


def _apply_credits(invoices: list[sqlite3.Row], credit: int) -> dict[int, int]:
    """Take credits and unapplied payments off the oldest invoices first: row -> amount."""
    applied: dict[int, int] = {}
    for line in sorted(invoices, key=lambda line: (line["due_date"], line["row"])):
        if credit <= 0:
            break
        take = min(credit, line["amount"] - line["paid"])
        if take > 0:
            applied[line["row"]] = take
            credit -= take
    return applied


def _notes(pending, invoices, credits, applied, currency) -> str:
    parts = [f"Imported from “{pending.filename}” ({pending.format_label})."]
    parts += [f"Invoice {line['number']}: {line['notes']}" for line in invoices if line["notes"]]
    for line in credits:
        what = " ".join(filter(None, [line["kind"] or "Credit", line["number"]]))
        parts.append(f"{what} (row {line['row']}): {format_money(-line['amount'], currency)}.")
    by_row = {line["row"]: line["number"] for line in invoices}
    if applied:
        taken = ", ".join(
            f"{by_row[row]} {format_money(amount, currency)}" for row, amount in applied.items()
        )
        parts.append(f"Credits taken off as paid on the oldest invoices: {taken}.")
    return _short("\n".join(parts), MAX_NOTES_CHARS)


def _existing_debtor(user: User, line: sqlite3.Row) -> Debtor | None:
    """The business's debtor with the same account number, or else the same name."""
    stmt = owned(Debtor, user)
    if line["account_number"]:
        stmt = stmt.where(Debtor.account_number == line["account_number"])
    else:
        stmt = stmt.where(func.lower(Debtor.name) == line["debtor_name"].lower())
    return db.session.scalars(stmt.order_by(Debtor.id).limit(1)).first()


def _debtor_data(lines: list[sqlite3.Row], user: User) -> DebtorData:
    first = lines[0]
    country = first["country"] or user.organisation.country
    return DebtorData(
        kind=DebtorKind(first["debtor_kind"] or DebtorKind.COMPANY),
        name=first["debtor_name"],
        country=country,
        timezone=places.default_zone(country),
        account_number=first["account_number"] or "",
        contact_person=first["contact_person"] or "",
        emails=_distinct(lines, "email", _emails),
        phones=_distinct(lines, "phone", _phones),
        address=first["address"] or "",
    )


def _distinct(lines: list[sqlite3.Row], column: str, split) -> list[str]:
    found: list[str] = []
    for line in lines:
        for value in split(line[column]):
            if value not in found and len(found) < MAX_CONTACTS:
                found.append(value)
    return found


def _label(name: str) -> str:
    return FIELD_LABELS[name].lower()


def drafts_waiting(user: User) -> tuple[int, int]:
    """(draft cases of the business, how many of them have no history yet)."""
    drafts = owned(Case, user).where(Case.status == CaseStatus.DRAFT)
    total = db.session.scalar(select(func.count()).select_from(drafts.subquery()))
    without = drafts.where(
        ~select(CorrespondenceEntry.id).where(CorrespondenceEntry.case_id == Case.id).exists()
    )
    bare = db.session.scalar(select(func.count()).select_from(without.subquery()))
    return total or 0, bare or 0


__all__ = [
    "ImportRefused",
    "PendingUpload",
    "Preview",
    "UploadGone",
    "confirm",
    "delete_mapping",
    "discard",
    "headers_of",
    "pending_from_token",
    "pending_token",
    "preview",
    "receive",
    "save_mapping",
    "saved_mappings",
]
