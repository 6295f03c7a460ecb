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
   problems are kept, with counts for the rest. A reading without problems is kept (see
   "keeping a reading") so confirming need not read the file again.
4. `confirm()` uses that reading (or reads the file again the same way) and, when nothing is
   wrong, saves one draft case per debtor and currency under the rules of
   `portal.cases.services.save_draft`, in batches of Core inserts (debtors, cases, invoices
   and one `case_created` event per case, then one `cases_imported` event). It flushes; the
   route commits once, so all the drafts are created, or none. `discard()` then removes the
   stored bytes and the kept reading.

A stored upload has no `Document` row, so the documents garbage collector removes one that was
abandoned once it is older than a token's life.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import sqlite3
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from functools import cache, lru_cache
from itertools import islice
from operator import attrgetter
from pathlib import Path
from typing import BinaryIO

from email_validator import EmailNotValidError, validate_email
from flask import current_app, has_request_context, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Connection, Table, func, insert, select
from werkzeug.datastructures import FileStorage

from portal import audit, places
from portal.cases.services import CaseData, DebtorData, InvoiceData, invoice_problems
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
    CHECKLIST_ITEMS,
    Case,
    CaseStatus,
    CorrespondenceEntry,
    Debtor,
    DebtorKind,
    Event,
    ImportMapping,
    Invoice,
    User,
    utcnow,
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


_LIMITED_TEXTS = attrgetter(*_LIMITS)  # an InvoiceRow's texts that have a length limit
_SHORTEST_LIMIT = min(_LIMITS.values())


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
        discard(pending)
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
    """Remove the stored file, and any reading kept of it (after confirming, or when the
    person cancels)."""
    _forget_readings(pending)
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

_LINE_COLUMNS = (
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
)
_INSERT_LINE = (
    f"INSERT INTO lines ({', '.join(_LINE_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _LINE_COLUMNS)})"
)


class _Scratch:
    """One upload's lines in a temporary SQLite file: grouping by debtor without holding the
    file in memory."""

    def __init__(self, pending: PendingUpload, path: str, *, built: bool = False) -> None:
        self.pending = pending
        self.path = path
        if built:  # a reading kept from an earlier step: only read from it
            self.db = sqlite3.connect(f"{Path(path).as_uri()}?mode=ro", uri=True)
            try:
                self.db.execute("SELECT case_key FROM cases LIMIT 1").fetchall()  # or error
            except sqlite3.Error:
                self.db.close()
                raise
        else:
            self.db = sqlite3.connect(path)
            self.db.executescript(_SCHEMA)
        self.db.row_factory = sqlite3.Row
        self.problems = 0
        self.batch: list[tuple] = []
        self.columns = {name: self._column(name) for name in FIELD_LABELS}

    def close(self) -> None:
        self.db.close()

    def _column(self, name: str) -> str:
        if self.pending.mapping and name in self.pending.mapping:
            return self.pending.mapping[name]
        return FIELD_LABELS[name]

    def column(self, name: str) -> str:
        """The file's header for one of our fields, or its label when the reader chose it."""
        return self.columns[name]

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
        """Index the lines, refuse an invoice number listed twice for one debtor, then list
        the cases in the order of their first row."""
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
        self.db.executescript(_CASE_TABLE)


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
# One row per case to be created, with what the preview shows of it and its debtor's details.
# With one MIN() in the query, SQLite takes the bare columns (currency, the debtor's details)
# from the row that has the minimum: the case's first row
# (https://sqlite.org/lang_select.html#bareagg).
_CASE_TABLE = """
CREATE TABLE cases AS
SELECT case_key, MIN(row) AS first_row, currency, debtor_name, debtor_kind, account_number,
       contact_person, address, country,
       SUM(CASE WHEN invoice = 1 THEN 1 ELSE 0 END) AS invoices,
       SUM(CASE WHEN invoice = 1 THEN 0 ELSE 1 END) AS credits,
       SUM(CASE WHEN invoice = 1 THEN amount - paid ELSE 0 END) AS owed,
       SUM(CASE WHEN invoice = 1 THEN 0 ELSE -amount END) AS credited
FROM lines GROUP BY case_key;
CREATE UNIQUE INDEX cases_key ON cases (case_key);
CREATE INDEX cases_first_row ON cases (first_row);
"""


def _short(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _case_key(item: InvoiceRow, currency: str) -> str:
    who = item.account_number or item.debtor_name
    return (
        currency + "\x1f" + ("#" if item.account_number else "") + " ".join(who.split()).casefold()
    )


def _line_values(item: InvoiceRow, scratch: _Scratch) -> tuple | None:
    """The row as stored (in `_LINE_COLUMNS` order), or None after recording why it cannot be
    imported."""
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
    address = item.address or ""
    if item.city:
        address = f"{address}\n{item.city}" if address else item.city
    # A text left empty is stored as "", not NULL: binding None is slow in sqlite3.
    return (
        item.row_number,
        _case_key(item, currency),
        currency,
        item.debtor_name.strip(),
        item.debtor_kind or "",
        item.account_number or "",
        item.contact_person or "",
        item.email or "",
        item.phone or "",
        address,
        item.country or "",
        1 if invoice else 0,
        item.invoice_number,
        item.invoice_number.strip().casefold(),
        item.transaction_type or "",
        item.issue_date.isoformat() if item.issue_date else "",
        item.due_date.isoformat() if item.due_date else "",
        amount,
        paid,
        item.notes or "",
    )


def _credit_value(item: InvoiceRow) -> Decimal:
    """What a credit or payment line still takes off the balance (its open part, if given)."""
    return item.open_balance if item.open_balance is not None else item.amount


def _minor(item: InvoiceRow, name: str, value: Decimal, scratch: _Scratch) -> int | None:
    if not value:
        return 0
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
    texts = _LIMITED_TEXTS(item)
    # Most lines have no text near a limit: the longest of them says so at once.
    if max(map(len, filter(None, texts)), default=0) > _SHORTEST_LIMIT:
        for text, (name, limit) in zip(texts, _LIMITS.items(), strict=True):
            if text and len(text) > limit:
                scratch.problem(
                    item.row_number,
                    scratch.column(name),
                    f"{FIELD_LABELS[name]} is longer than {limit} characters.",
                )
    email = item.email
    if not email:
        return
    check = _first_bad_email_once if len(email) <= _LIMITS["email"] else _first_bad_email
    bad = check(email)
    if bad is not None:
        scratch.problem(
            item.row_number,
            scratch.column("email"),
            f"“{_short(bad, 80)}” is not an e-mail address.",
        )


def _first_bad_email(text: str) -> str | None:
    """The first of a cell's addresses that is not written like an e-mail address, if any."""
    for address in _emails(text):
        try:
            validate_email(address, check_deliverability=False)
        except EmailNotValidError:
            return address
    return None


# A debtor's e-mail cell recurs on each of their lines: checked once.
_first_bad_email_once = lru_cache(maxsize=4096)(_first_bad_email)


_EMAIL_SPLIT = re.compile(r"[;,\s]+")
_PHONE_SPLIT = re.compile(r"[;,/]+")


def _emails(text: str | None) -> list[str]:
    return [part for part in _EMAIL_SPLIT.split(text or "") if part]


def _phones(text: str | None) -> list[str]:
    return [part.strip() for part in _PHONE_SPLIT.split(text or "") if part.strip()]


# --- keeping a reading between preview and confirm -------------------------------------------
#
# Reading a large file is most of an import's work, and confirming follows a preview of the
# same upload. A preview without problems therefore keeps its scratch database in a private
# folder, named by a keyed hash of everything the reading depends on (the upload's key, its
# format, mapping, date order and currency, the person and business, and the day, which decides
# what is "in the future"); confirming uses it when it is there and reads the file again when
# it is not (another server, or another day). `discard()` removes it with the upload; readings
# older than an upload's life are swept whenever a new one is kept.

_READING_VERSION = "2"  # change when the scratch schema or the reading's rules change


def _readings_folder() -> Path:
    """The private folder of kept readings; OSError when it is not ours alone."""
    folder = current_app.config.get("IMPORT_SCRATCH_DIR") or os.path.join(
        tempfile.gettempdir(), f"portal-import-readings-{os.getuid()}"
    )
    path = Path(folder)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    status = path.lstat()
    if path.is_symlink() or status.st_uid != os.getuid() or status.st_mode & 0o077:
        raise OSError(f"{path} is not a private folder: readings are not kept there")
    return path


def _keyed(text: str) -> str:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()[:40]


def _reading_prefix(pending: PendingUpload) -> str:
    return "r" + _keyed("upload\x1f" + pending.key)


def _reading_path(pending: PendingUpload, today: date) -> Path:
    choices = json.dumps(
        [
            _READING_VERSION,
            pending.key,
            pending.fmt,
            pending.mapping,
            pending.date_order,
            pending.currency,
            pending.user_id,
            pending.business_id,
            today.isoformat(),
        ],
        sort_keys=True,
    )
    name = f"{_reading_prefix(pending)}-{_keyed(choices)}.sqlite"
    return _readings_folder() / name


def _forget_readings(pending: PendingUpload) -> None:
    """Remove every kept reading of an upload."""
    try:
        folder = _readings_folder()
        for path in folder.glob(_reading_prefix(pending) + "-*"):
            path.unlink(missing_ok=True)
    except OSError:
        log.exception("could not remove the kept readings of import %s", pending.key)


def _sweep_readings(folder: Path) -> None:
    """Remove readings older than an upload's life (abandoned previews)."""
    oldest = time.time() - PENDING_MAX_AGE.total_seconds()
    try:
        for entry in os.scandir(folder):
            if entry.stat().st_mtime < oldest:
                os.unlink(entry.path)
    except OSError:
        log.warning("could not sweep old import readings in %s", folder)


@contextmanager
def _read(pending: PendingUpload, today: date, *, keep_if_ok: bool = False, consume=False):
    """The whole file read into a scratch database, with the case-level checks done.

    Uses the reading an earlier step kept when there is one (and removes it afterwards with
    `consume`: a kept reading serves one confirm). With `keep_if_ok`, a fresh reading without
    problems is kept for the next step.
    """
    try:
        kept: Path | None = _reading_path(pending, today)
    except OSError as exc:
        log.warning("import readings cannot be kept: %s", exc)
        kept = None
    if kept is not None and kept.exists():
        try:
            scratch = _Scratch(pending, str(kept), built=True)
        except sqlite3.Error:
            log.warning("kept reading of import %s unreadable; reading the file again", pending.key)
        else:
            try:
                yield scratch
            finally:
                scratch.close()
                if consume:
                    kept.unlink(missing_ok=True)
            return
    folder = kept.parent if kept is not None else None
    fd, path = tempfile.mkstemp(prefix="building-", suffix=".sqlite", dir=folder)
    os.close(fd)
    scratch = _Scratch(pending, path)
    keep = False
    try:
        with _open(pending) as stream:
            _fill(scratch, stream, today)
        scratch.finish()
        _check_cases(scratch)
        scratch.db.commit()
        yield scratch
        keep = keep_if_ok and scratch.problems == 0
    finally:
        scratch.close()
        try:
            if keep and kept is not None:
                os.replace(path, kept)
                _sweep_readings(kept.parent)
            else:
                os.unlink(path)
        except OSError:
            log.warning("could not keep or remove scratch file %s", path)


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


def _check_cases(scratch: _Scratch) -> None:
    """A case needs at least one invoice, and something still owed after its credits."""
    query = "SELECT * FROM cases WHERE invoices = 0 OR owed - credited <= 0 ORDER BY first_row"
    for case in scratch.db.execute(query).fetchall():
        name = case["debtor_name"]
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


def _summarise(scratch: _Scratch) -> Preview:
    pending, sql = scratch.pending, scratch.db
    preview = Preview(filename=pending.filename, format_label=pending.format_label)
    cases = sql.execute(
        "SELECT * FROM cases ORDER BY first_row LIMIT ?", (PREVIEW_CASES,)
    ).fetchall()
    preview.cases = [
        CaseSummary(
            debtor_name=case["debtor_name"],
            currency=case["currency"],
            invoices=case["invoices"],
            credits=case["credits"],
            outstanding_minor=case["owed"] - case["credited"],
            first_row=case["first_row"],
        )
        for case in cases
    ]
    preview.case_count = sql.execute("SELECT COUNT(*) FROM cases").fetchone()[0]
    counts = sql.execute("SELECT SUM(invoices), SUM(credits) FROM cases").fetchone()
    preview.invoice_count, preview.credit_count = counts[0] or 0, counts[1] or 0
    totals = "SELECT currency, SUM(owed - credited) FROM cases GROUP BY currency ORDER BY currency"
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

    `today` is the person's local date: an issue date after it is refused. A reading without
    problems is kept for confirming.
    """
    with _read(pending, today, keep_if_ok=True) as scratch:
        return _summarise(scratch)


# --- confirming ------------------------------------------------------------------------------


def confirm(pending: PendingUpload, user: User, today: date) -> int:
    """Create one draft case per debtor (and currency) from the upload; return how many.

    Uses the preview's reading (or reads the file again); any problem raises `ImportRefused`
    before anything is written, and a rule refused while saving raises it too (the route
    rolls back: all or nothing). The drafts are written in batches with Core inserts, under
    the same rules as a draft saved through the case form (`cases.services.save_draft`).
    """
    with _read(pending, today, consume=True) as scratch:
        summary = _summarise(scratch)
        if not summary.ok:
            raise ImportRefused(
                "Nothing was imported: correct the file and upload it again.", summary
            )
        writer = _DraftWriter(pending, user, today)
        for case, lines in _cases_with_lines(scratch):
            try:
                writer.add(case, lines)
            except DomainError as error:
                row, name = case["first_row"], case["debtor_name"]
                summary.problems = [Problem(row, None, f"{name}: {error.message}")]
                summary.problem_count = 1
                raise ImportRefused("Nothing was imported.", summary) from error
        writer.flush()
        created = writer.created
    audit.record(
        "cases_imported",
        summary=f"{created} draft case{'' if created == 1 else 's'} from “{pending.filename}”",
        after={"filename": pending.filename, "format": pending.fmt, "cases": created},
        actor=user,
    )
    return created


_CASE_LINES = """
SELECT lines.row, lines.invoice, lines.number, lines.kind, lines.issue_date, lines.due_date,
       lines.amount, lines.paid, lines.notes, lines.email, lines.phone
FROM cases JOIN lines ON lines.case_key = cases.case_key
ORDER BY cases.first_row, lines.row
"""


def _cases_with_lines(scratch: _Scratch) -> Iterator[tuple[sqlite3.Row, list[sqlite3.Row]]]:
    """Each case (with its first line's details) and its lines in row order, the cases in the
    order of their first row (streamed)."""
    lines = scratch.db.execute(_CASE_LINES)
    for case in scratch.db.execute("SELECT * FROM cases ORDER BY first_row"):
        yield case, list(islice(lines, case["invoices"] + case["credits"]))


@dataclass(slots=True)
class _Draft:
    """One checked case waiting in a batch, held as the rows it will be written as.

    Only a few objects per case stay alive until the batch is written (the invoice rows hold
    plain values only), which keeps a large import from filling the oldest generation of
    Python's garbage collector and making it sweep the whole process.
    """

    account_number: str
    debtor_name: str
    debtor: dict  # the debtors row, when the business has no such debtor yet
    currency: str
    notes: str
    invoices: tuple[dict, ...]  # invoices rows, without the case's id


CASES_PER_BATCH = 500


class _DraftWriter:
    """Writes draft cases, their debtors, invoices and `case_created` events in batches.

    The rules are those of `cases.services.save_draft` (currency, invoice rows, the debtor
    reused by account number or else by name within the business); a batch is written with
    one INSERT per table (RETURNING the new ids, in order).
    """

    def __init__(self, pending: PendingUpload, user: User, today: date) -> None:
        self.pending = pending
        self.user = user
        self.today = today
        self.country = user.organisation.country
        self.now = utcnow()
        self.ip_address = request.remote_addr if has_request_context() else None
        self.batch: list[_Draft] = []
        self.accounts: set[str] = set()  # of debtors this batch may create
        self.names: set[str] = set()
        self.created = 0

    def add(self, case: sqlite3.Row, lines: list[sqlite3.Row]) -> None:
        data = _case_data(case, lines, self.pending, self.country)
        _check_draft(data, self.today)
        draft = _draft(data, case, self)
        name_key = draft.debtor_name.casefold()
        if (draft.account_number and draft.account_number in self.accounts) or (
            name_key in self.names
        ):
            # It may be the same debtor as one this batch creates: write the batch first, so
            # the lookup finds that debtor in the database as saving one by one would.
            self.flush()
        self.batch.append(draft)
        if draft.account_number:
            self.accounts.add(draft.account_number)
        self.names.add(name_key)
        if len(self.batch) >= CASES_PER_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.batch:
            _write_drafts(self, self.batch)
            self.created += len(self.batch)
        self.batch = []
        self.accounts = set()
        self.names = set()


def _check_draft(data: CaseData, today: date) -> None:
    """What `save_draft` refuses in a new draft, in its words."""
    if not is_currency(data.currency):
        raise DomainError(f"“{data.currency}” is not a currency code we know (e.g. KES).")
    if not data.invoices:
        raise DomainError("Add at least one invoice.")
    problems = invoice_problems(data.invoices, today)
    if problems:
        raise DomainError(problems[0][2])


def _draft(data: CaseData, case: sqlite3.Row, writer: _DraftWriter) -> _Draft:
    """A checked case as the rows it will be written as (the ids are filled in when written)."""
    debtor = data.debtor
    assert debtor is not None
    return _Draft(
        account_number=case["account_number"].strip(),
        debtor_name=case["debtor_name"].strip(),
        debtor={
            "business_id": writer.user.organisation_id,
            "kind": debtor.kind,
            "name": debtor.name.strip(),
            "registration_number": debtor.registration_number.strip(),
            "account_number": debtor.account_number.strip(),
            "contact_person": debtor.contact_person.strip(),
            "emails": list(debtor.emails),
            "phones": list(debtor.phones),
            "address": debtor.address.strip(),
            "country": debtor.country,
            "timezone": debtor.timezone,
            "created_at": writer.now,
        },
        currency=data.currency,
        notes=data.notes.strip(),
        invoices=tuple(
            {
                "number": invoice.number.strip(),
                "issue_date": invoice.issue_date,
                "due_date": invoice.due_date,
                "amount_minor": invoice.amount_minor,
                "paid_minor": invoice.paid_minor,
            }
            for invoice in data.invoices
        ),
    )


def _write_drafts(writer: _DraftWriter, drafts: list[_Draft]) -> None:
    """One batch: find the debtors the business already has, insert the new ones, then the
    cases, their invoices and a `case_created` event for each."""
    user, now = writer.user, writer.now
    existing = _existing_debtors(user, drafts)
    found = [_found(existing, draft) for draft in drafts]
    conn = db.session.connection()
    new_rows = [draft.debtor for draft, debtor in zip(drafts, found, strict=True) if not debtor]
    new_ids = iter(_insert_returning_ids(conn, Debtor.__table__, new_rows) if new_rows else ())
    debtor_ids = [debtor[0] if debtor else next(new_ids) for debtor in found]
    checklist = dict.fromkeys(CHECKLIST_ITEMS, False)
    case_rows = [
        {
            "business_id": user.organisation_id,
            "debtor_id": debtor_id,
            "status": CaseStatus.DRAFT,
            "currency": draft.currency,
            "contract_reference": "",
            "notes": draft.notes,
            "checklist": checklist,
            "created_by_id": user.id,
            "created_at": now,
            "updated_at": now,
        }
        for draft, debtor_id in zip(drafts, debtor_ids, strict=True)
    ]
    case_ids = _insert_returning_ids(conn, Case.__table__, case_rows)
    invoice_rows = []
    for draft, case_id in zip(drafts, case_ids, strict=True):
        for invoice in draft.invoices:
            invoice["case_id"] = case_id
            invoice_rows.append(invoice)
    conn.execute(insert(Invoice.__table__), invoice_rows)
    conn.execute(
        insert(Event.__table__),
        [
            {
                "occurred_at": now,
                "actor_id": user.id,
                "organisation_id": user.organisation_id,
                "case_id": case_id,
                "kind": "case_created",
                "summary": f"Draft created for debtor #{debtor_id}",  # as a draft saved by hand
                "before": None,
                "after": {"debtor_id": debtor_id},
                "internal": False,
                "ip_address": writer.ip_address,
            }
            for case_id, debtor_id in zip(case_ids, debtor_ids, strict=True)
        ],
    )


def _insert_returning_ids(conn: Connection, table: Table, rows: list[dict]) -> list[int]:
    """Insert rows (one multi-row INSERT per batch of parameters) and return their new ids in
    the order of `rows`.

    SQLAlchemy orders RETURNING rows by parameter on PostgreSQL in batches, but on SQLite only
    one row per statement. SQLite gives each row of a multi-row INSERT a rowid above every one
    before it (https://sqlite.org/autoinc.html), and nothing else writes in between (one writer
    per database), so there the ids sorted are the ids in the rows' order.
    """
    if conn.dialect.name == "sqlite":
        ids = sorted(conn.execute(insert(table).returning(table.c.id), rows).scalars())
    else:
        stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        ids = list(conn.execute(stmt, rows).scalars())
    if len(ids) != len(rows):
        raise RuntimeError(f"{table.name}: {len(rows)} rows inserted, {len(ids)} ids returned")
    return ids


@dataclass
class _Existing:
    by_account: dict[str, tuple[int, str]]
    by_name: dict[str, tuple[int, str]]


def _found(existing: _Existing, draft: _Draft) -> tuple[int, str] | None:
    """(id, name) of the business's debtor for a draft: by account number, else by name."""
    if draft.account_number:
        return existing.by_account.get(draft.account_number)
    return existing.by_name.get(draft.debtor_name.lower())


def _existing_debtors(user: User, drafts: list[_Draft]) -> _Existing:
    """The business's debtors with the account numbers of a batch, or else their names (the
    first one of each, by id), compared as saving one draft at a time compares them."""
    existing = _Existing({}, {})
    accounts = {draft.account_number for draft in drafts if draft.account_number}
    names = {draft.debtor_name.lower() for draft in drafts if not draft.account_number}
    if accounts:
        stmt = (
            owned(Debtor, user)
            .with_only_columns(Debtor.account_number, Debtor.id, Debtor.name)
            .where(Debtor.account_number.in_(accounts))
            .order_by(Debtor.id)
        )
        for account, ident, name in db.session.execute(stmt):
            existing.by_account.setdefault(account, (ident, name))
    if names:
        lowered = func.lower(Debtor.name)
        stmt = (
            owned(Debtor, user)
            .with_only_columns(lowered, Debtor.id, Debtor.name)
            .where(lowered.in_(names))
            .order_by(Debtor.id)
        )
        for key, ident, name in db.session.execute(stmt):
            existing.by_name.setdefault(key, (ident, name))
    return existing


def _case_data(
    case: sqlite3.Row, lines: list[sqlite3.Row], pending: PendingUpload, country: str
) -> CaseData:
    currency = case["currency"]
    if case["credits"]:
        invoices = [line for line in lines if line["invoice"]]
        credits = [line for line in lines if not line["invoice"]]
        applied = _apply_credits(invoices, sum(-line["amount"] for line in credits))
    else:  # most cases: invoices only
        invoices, credits, applied = lines, [], {}
    return CaseData(
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
        debtor=_debtor_data(case, lines, country),
    )


def _apply_credits(invoices: list[sqlite3.Row], credit: int) -> dict[int, int]:
    """Take credits and unapplied payments off the oldest invoices first: row -> amount."""
    applied: dict[int, int] = {}
    if credit <= 0:
        return applied
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
    if applied:
        by_row = {line["row"]: line["number"] for line in invoices}
        taken = ", ".join(
            f"{by_row[row]} {format_money(amount, currency)}" for row, amount in applied.items()
        )
        parts.append(f"Credits taken off as paid on the oldest invoices: {taken}.")
    return _short("\n".join(parts), MAX_NOTES_CHARS)


def _debtor_data(case: sqlite3.Row, lines: list[sqlite3.Row], country: str) -> DebtorData:
    """The debtor a new draft would get (used when the business has no such debtor yet): the
    details on the case's first line, and the e-mails and phones of all its lines."""
    country = case["country"] or country
    return DebtorData(
        kind=DebtorKind(case["debtor_kind"]) if case["debtor_kind"] else DebtorKind.COMPANY,
        name=case["debtor_name"],
        country=country,
        timezone=_zone(country),
        account_number=case["account_number"],
        contact_person=case["contact_person"],
        emails=_distinct(lines, "email", _emails),
        phones=_distinct(lines, "phone", _phones),
        address=case["address"],
    )


@lru_cache(maxsize=256)
def _zone(country: str) -> str:
    return places.default_zone(country)


def _distinct(lines: list[sqlite3.Row], column: str, split) -> list[str]:
    found: list[str] = []
    texts = {line[column]: None for line in lines}  # a text repeated adds nothing
    for text in texts:
        for value in split(text) if text else ():
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
