"""Read accounting exports (CSV or XLSX) into normalised invoice rows for the bulk handover.

A pure module: the standard library, openpyxl and Babel only; no Flask, no database.

Layouts (see ``FORMATS``):

- ``plain``: one row per invoice; ``mapping`` maps our field names to the file's column
  headers (``suggest_mapping`` proposes one, and ``parse`` uses it when it finds every
  required field);
- ``quickbooks_online``: the "A/R Aging Detail" export;
- ``quickbooks_desktop``: the "Open Invoices" report export;
- ``xero``: the "Aged Receivables Detail" export.

``parse`` streams: it yields an ``InvoiceRow`` for each good line and one ``RowProblem`` per
faulty column of a bad line (a bad line is never also yielded as a row). Lines that are not
invoices (credit memos, payments, journal entries) are yielded as rows with
``transaction_type`` set, usually with a negative amount; they are not checked for amount
sign, paid or invoice number. The caller decides what to do with them: a negative
non-invoice line reduces the debtor's balance.

Text cells are kept exactly as written (surrounding whitespace and NUL bytes removed): a cell
that starts with ``=``, ``+``, ``-`` or ``@`` stays literal text here; whoever exports it to a
spreadsheet later must guard it.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
import shutil
import tempfile
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from itertools import islice
from types import MappingProxyType
from typing import BinaryIO

import openpyxl
from babel import Locale
from babel.numbers import list_currencies

__all__ = [
    "FIELD_LABELS",
    "FORMATS",
    "MAPPABLE_FIELDS",
    "REQUIRED_FIELDS",
    "ImportFormatError",
    "InvoiceRow",
    "RowProblem",
    "detect_format",
    "header_of",
    "parse",
    "read_table",
    "suggest_mapping",
]

FORMATS: Mapping[str, str] = MappingProxyType(
    {
        "plain": "Spreadsheet or CSV, one row per invoice (you choose the columns)",
        "quickbooks_online": "QuickBooks Online: A/R Aging Detail",
        "quickbooks_desktop": "QuickBooks Desktop: Open Invoices",
        "xero": "Xero: Aged Receivables Detail",
    }
)

FIELD_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "debtor_name": "Debtor name",
        "debtor_kind": "Debtor type",
        "account_number": "Account number",
        "contact_person": "Contact person",
        "email": "E-mail",
        "phone": "Phone",
        "address": "Address",
        "city": "City",
        "country": "Country",
        "invoice_number": "Invoice number",
        "issue_date": "Issue date",
        "due_date": "Due date",
        "amount": "Amount",
        "paid": "Paid",
        "open_balance": "Open balance",
        "currency": "Currency",
        "notes": "Notes",
        "transaction_type": "Transaction type",
    }
)
MAPPABLE_FIELDS: tuple[str, ...] = tuple(FIELD_LABELS)
REQUIRED_FIELDS: tuple[str, ...] = ("debtor_name", "invoice_number", "amount", "due_date")

_SNIFF_BYTES = 64 * 1024
_HEADER_SCAN_ROWS = 50
_SPOOL_BYTES = 16 * 1024 * 1024
_XLSX_MAGIC = b"PK\x03\x04"
_FALLBACK_ERRORS = "portal-imports-cp1252-fallback"


class ImportFormatError(ValueError):
    """The upload cannot be read at all; the message is written for the shop owner."""


@dataclass(frozen=True, kw_only=True)
class InvoiceRow:
    """One normalised line of an upload: an invoice, or a credit memo or payment line."""

    row_number: int
    debtor_name: str
    debtor_kind: str | None = None
    account_number: str | None = None
    contact_person: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    city: str | None = None
    country: str | None = None
    invoice_number: str
    issue_date: date | None = None
    due_date: date | None = None
    amount: Decimal
    paid: Decimal = Decimal(0)
    open_balance: Decimal | None = None
    currency: str | None = None
    notes: str | None = None
    transaction_type: str | None = None


@dataclass(frozen=True)
class RowProblem:
    """Why one line was not accepted; ``column`` is the source column header, if any."""

    row_number: int
    column: str | None
    message: str


# --------------------------------------------------------------------------- reading tables


def read_table(stream: BinaryIO, filename: str) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(row_number, cells)`` from a CSV or XLSX upload, one row at a time.

    The kind is decided by content (an XLSX file is a zip archive), not by the name.
    CSV: UTF-8 with or without BOM (a later byte that is not UTF-8 is read as Windows-1252),
    Windows-1252 when the first 64 KiB are not UTF-8, UTF-16 with BOM; the delimiter is
    sniffed among comma, semicolon and tab (an Excel ``sep=`` first line is honoured).
    XLSX: the active worksheet; dates become ISO strings, numbers plain decimal strings.
    Row numbers are the rows a spreadsheet program shows (1-based, blank rows counted).
    Cells are stripped of surrounding whitespace and NUL bytes.

    Raises ImportFormatError when the upload is empty or not a CSV/XLSX file.
    """
    prefix = _read_prefix(stream)
    at_eof = len(prefix) < _SNIFF_BYTES
    _refuse_non_tables(prefix, filename)
    if prefix.startswith(_XLSX_MAGIC):
        yield from _read_xlsx(stream, prefix, filename)
    else:
        yield from _read_csv(stream, prefix, at_eof, filename)


def _read_prefix(stream: BinaryIO) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < _SNIFF_BYTES:
        chunk = stream.read(_SNIFF_BYTES - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


_NOT_TABLES = (
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls workbook; save it as .xlsx or CSV and upload that"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "an image"),
    (b"\xff\xd8\xff", "an image"),
    (b"GIF8", "an image"),
)
_CONTROL_BYTES = bytes([*range(9), *range(14, 32)])


def _refuse_non_tables(prefix: bytes, filename: str) -> None:
    if not prefix.strip(b" \t\r\n\x00" + codecs.BOM_UTF8):
        raise ImportFormatError(f'"{filename}" is empty.')
    for magic, what in _NOT_TABLES:
        if prefix.startswith(magic):
            raise ImportFormatError(f'"{filename}" looks like {what}, not a CSV or .xlsx file.')
    if prefix.startswith((_XLSX_MAGIC, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return
    if prefix.lstrip(codecs.BOM_UTF8 + b" \t\r\n")[:9].lower().startswith((b"<!doctype", b"<html")):
        raise ImportFormatError(f'"{filename}" looks like a web page, not a CSV or .xlsx file.')
    control = len(prefix) - len(prefix.translate(None, _CONTROL_BYTES))
    if control > len(prefix) // 10:
        raise ImportFormatError(f'"{filename}" is not a text (CSV) file or an .xlsx workbook.')


def _fallback_to_cp1252(error: UnicodeError) -> tuple[str, int]:
    """Decode a byte sequence that is not UTF-8 as Windows-1252 and carry on."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = bytes(error.object[error.start : error.end])
    return bad.decode("cp1252", errors="replace"), error.end


codecs.register_error(_FALLBACK_ERRORS, _fallback_to_cp1252)


def _choose_encoding(prefix: bytes, at_eof: bool) -> tuple[str, str]:
    """Return (encoding, error handler) for a CSV whose first bytes are ``prefix``."""
    if prefix.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "replace"
    try:
        codecs.getincrementaldecoder("utf-8-sig")().decode(prefix, final=at_eof)
    except UnicodeDecodeError:
        return "cp1252", "replace"
    return "utf-8-sig", _FALLBACK_ERRORS


class _PrefixedReader(io.RawIOBase):
    """Raw reader giving back already-read bytes, then the rest of the stream.

    Closing it does not close the caller's stream.
    """

    def __init__(self, prefix: bytes, stream: BinaryIO) -> None:
        super().__init__()
        self._prefix = memoryview(prefix)
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._prefix:
            size = min(len(buffer), len(self._prefix))
            buffer[:size] = self._prefix[:size]
            self._prefix = self._prefix[size:]
            return size
        data = self._stream.read(len(buffer)) or b""
        buffer[: len(data)] = data
        return len(data)


_SEP_LINE = re.compile(r"\ufeff?sep=(.)\r?\n?")
_DELIMITERS = (",", ";", "\t")


def _sniff_delimiter(sample: str) -> tuple[str, bool]:
    """Return (delimiter, whether the first line is an Excel ``sep=`` line)."""
    first_line = sample.split("\n", 1)[0]
    sep = _SEP_LINE.fullmatch(first_line)
    if sep:
        return sep.group(1), True
    scores = [(_delimiter_score(sample, d), -i, d) for i, d in enumerate(_DELIMITERS)]
    return max(scores)[2], False


def _delimiter_score(sample: str, delimiter: str) -> tuple[int, int]:
    """How many rows share the most common width (>1) when split by ``delimiter``."""
    try:
        widths = Counter(
            len(row)
            for row in islice(csv.reader(io.StringIO(sample), delimiter=delimiter), 500)
            if len(row) > 1
        )
    except csv.Error:
        return (0, 0)
    if not widths:
        return (0, 0)
    width, count = max(widths.items(), key=lambda item: (item[1], item[0]))
    return (count, width)


def _read_csv(
    stream: BinaryIO, prefix: bytes, at_eof: bool, filename: str
) -> Iterator[tuple[int, list[str]]]:
    encoding, errors = _choose_encoding(prefix, at_eof)
    sample = codecs.getincrementaldecoder(encoding)("replace").decode(prefix, final=at_eof)
    if not at_eof and "\n" in sample:
        sample = sample[: sample.rfind("\n") + 1]
    delimiter, sep_line = _sniff_delimiter(sample)
    raw = io.BufferedReader(_PrefixedReader(prefix, stream))
    with io.TextIOWrapper(raw, encoding=encoding, errors=errors, newline="") as text:
        lines = (line.replace("\x00", "") for line in text)
        reader = csv.reader(lines, delimiter=delimiter, skipinitialspace=True)
        row_number = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                message = f'Row {row_number + 1} of "{filename}" cannot be read ({exc}).'
                raise ImportFormatError(message) from exc
            row_number += 1
            if row_number == 1 and sep_line:
                continue
            # `_clean` without its NUL check: the lines were freed of NUL bytes above.
            yield row_number, [cell.strip(_EDGE_CHARS) for cell in cells]


def _read_xlsx(stream: BinaryIO, prefix: bytes, filename: str) -> Iterator[tuple[int, list[str]]]:
    source = _rewound(stream, prefix)
    try:
        _refuse_zip_bomb(source, filename)
        try:
            workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
        except Exception as exc:  # any failure of the workbook reader means "not readable"
            message = f'"{filename}" cannot be opened as an Excel workbook (.xlsx).'
            raise ImportFormatError(message) from exc
        try:
            yield from _sheet_rows(workbook, filename)
        finally:
            workbook.close()
    finally:
        if source is not stream:
            source.close()


# A workbook part may compress this well only while it is small (real sheets compress 5-20x).
MAX_ZIP_RATIO = 100
ZIP_RATIO_FLOOR = 1024 * 1024
MAX_ZIP_MEMBERS = 10_000


def _refuse_zip_bomb(source: BinaryIO, filename: str) -> None:
    """Refuse a workbook whose parts would unpack to far more than they weigh (a "zip bomb").

    Judged from the archive's directory alone, nothing is unpacked; Python's zip reader never
    returns more than a member's declared size, so a lying directory cannot bypass it.
    """
    start = source.tell()
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return  # not a readable archive: openpyxl says so in its own words
    finally:
        source.seek(start)
    refused = f'"{filename}" cannot be opened: it would unpack to far more data than it holds.'
    if len(members) > MAX_ZIP_MEMBERS:
        raise ImportFormatError(refused)
    for member in members:
        ratio_too_high = member.file_size > MAX_ZIP_RATIO * max(member.compress_size, 1)
        if member.file_size > ZIP_RATIO_FLOOR and ratio_too_high:
            raise ImportFormatError(refused)


def _rewound(stream: BinaryIO, prefix: bytes) -> BinaryIO:
    """The stream moved back to where ``prefix`` started, or a seekable copy of it."""
    try:
        if stream.seekable():
            stream.seek(-len(prefix), io.SEEK_CUR)
            return stream
    except (AttributeError, OSError, ValueError):
        pass
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115 - closed by caller
    spool.write(prefix)
    shutil.copyfileobj(stream, spool)
    spool.seek(0)
    return spool  # type: ignore[return-value]


def _sheet_rows(workbook: openpyxl.Workbook, filename: str) -> Iterator[tuple[int, list[str]]]:
    sheets = workbook.worksheets
    if not sheets:
        raise ImportFormatError(f'"{filename}" has no worksheet.')
    sheet = workbook.active if workbook.active in sheets else sheets[0]
    sheet.reset_dimensions()  # trust the cells, not the (often wrong) stored dimensions
    rows = sheet.iter_rows(values_only=True)
    row_number = 0
    while True:
        try:
            values = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # a damaged sheet part: nothing further can be read
            message = f'Row {row_number + 1} of "{filename}" cannot be read.'
            raise ImportFormatError(message) from exc
        row_number += 1
        yield row_number, [_clean(_cell_text(value)) for value in values]


def _cell_text(value: object) -> str:
    """Text of a spreadsheet value: ISO dates, plain decimals without float artefacts."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, datetime):
        if value.time() == time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def _float_text(value: float) -> str:
    if not math.isfinite(value):
        return repr(value)
    if value.is_integer():
        return str(int(value))
    return format(Decimal(repr(value)), "f")


# Every whitespace character (the last one is U+3000), plus BOM and zero-width space.
_EDGE_CHARS = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace()) + "\ufeff\u200b"


def _clean(value: str) -> str:
    """Remove NUL bytes and surrounding whitespace (including a stray BOM)."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    return value.strip(_EDGE_CHARS)


# --------------------------------------------------------------------------- headers


_NON_WORD = re.compile(r"[\W_]+")
_AGE_BUCKET = re.compile(
    r"(current|not (yet )?due|older|overdue|\d+\s*(-|–|to)\s*\d+\b.*"
    r"|\d+\s*(\+|or more|and over).*|.*\bpast due\b.*|<?\s*\d+\s*months?)",
    re.IGNORECASE,
)


def _norm(header: str) -> str:
    """Compare headers by words only: case, spaces, punctuation and BOM ignored."""
    return _NON_WORD.sub(" ", header.casefold()).strip()


def _format_of(cells: list[str]) -> str | None:
    names = {_norm(cell) for cell in cells if cell}
    if {"transaction type", "num", "due date", "open balance"} <= names:
        return "quickbooks_online"
    if {"type", "num", "due date", "open balance"} <= names:
        return "quickbooks_desktop"
    if {"invoice number", "due date", "total"} <= names and any(
        _AGE_BUCKET.fullmatch(name) for name in names
    ):
        return "xero"
    return None


def detect_format(header_rows: list[list[str]]) -> str | None:
    """Name the accounting export whose header is among ``header_rows``; None means plain.

    Recognises QuickBooks Online "A/R Aging Detail", QuickBooks Desktop "Open Invoices" and
    Xero "Aged Receivables Detail", ignoring case, spacing, punctuation, a BOM and extra
    columns. Pass the first rows of the file (title rows may come before the header).
    """
    for cells in header_rows:
        found = _format_of([_clean(str(cell or "")) for cell in cells])
        if found:
            return found
    return None


_SYNONYM_TEXT = {
    "debtor_name": "debtor name|debtor|customer|customer name|customer full name|client|"
    "client name|company|company name|account name|name|full name|bill to|contact|contact name",
    "invoice_number": "invoice number|invoice no|invoice|invoice id|inv no|inv|num|number|no|"
    "document number|doc no|bill number",
    "issue_date": "issue date|invoice date|date|date issued|issued|document date|"
    "transaction date|txn date",
    "due_date": "due date|due|date due|payment due|due on",
    "amount": "amount|total|invoice amount|invoice total|original amount|gross amount|value",
    "paid": "paid|amount paid|paid amount|payments|paid to date|already paid",
    "open_balance": "open balance|balance|outstanding|amount due|balance due|"
    "outstanding amount|open amount|remaining",
    "currency": "currency|currency code|ccy|cur",
    "debtor_kind": "debtor kind|debtor type|kind|customer type|entity type|person or company",
    "account_number": "account number|account no|account|account id|customer number|"
    "customer no|customer id|customer code|debtor number|client number|client id",
    "contact_person": "contact person|contact|attention|attn|contact name",
    "email": "email|e mail|email address|e mail address|mail",
    "phone": "phone|telephone|phone number|tel|mobile|mobile number|cell|contact number",
    "address": "address|postal address|street|street address|billing address|"
    "address line 1|address 1",
    "city": "city|town|town city",
    "country": "country|country code",
    "notes": "notes|note|comments|comment|memo|description|remarks",
    "transaction_type": "transaction type|type|txn type|document type",
}
# Field -> header names it is known by, best first; fields earlier here pick first.
_SYNONYMS = {name: tuple(text.split("|")) for name, text in _SYNONYM_TEXT.items()}


def suggest_mapping(headers: list[str]) -> dict[str, str]:
    """Propose ``{field: header}`` for a plain file from header names and common synonyms.

    Each header is used once; fields missing from the result were not recognised.
    """
    names = [_norm(header) for header in headers]
    used: set[int] = set()
    mapping: dict[str, str] = {}
    for field_name, synonyms in _SYNONYMS.items():
        for synonym in synonyms:
            index = next(
                (i for i, name in enumerate(names) if name == synonym and i not in used), None
            )
            if index is not None:
                mapping[field_name] = headers[index].strip()
                used.add(index)
                break
    return mapping


def _has_headers(cells: list[str], wanted: Iterable[str]) -> bool:
    names = {_norm(cell) for cell in cells if cell}
    return all(_norm(header) in names for header in wanted)


def _looks_like_header(cells: list[str]) -> bool:
    filled = [cell for cell in cells if cell]
    return (
        len(filled) >= 2
        and len({_norm(cell) for cell in filled}) == len(filled)
        and not any(_is_value(cell) for cell in filled)
    )


def _is_value(text: str) -> bool:
    try:
        _parse_amount(text)
    except ValueError:
        try:
            _parse_date(text, "DMY")
        except ValueError:
            return False
    return True


def header_of(stream: BinaryIO, filename: str) -> tuple[str | None, list[str]]:
    """Return (detected format or None for plain, header cells) for the mapping screen.

    Reads at most the first rows of the upload and, when the stream is seekable, puts its
    position back so the same stream can be handed to ``parse``.
    Raises ImportFormatError when the file is unreadable or has no header-like row.
    """
    start = _tell(stream)
    rows = read_table(stream, filename)
    try:
        found_format, cells = _scan_for_header(rows, filename)
    finally:
        rows.close()
        if start is not None:
            stream.seek(start)
    while cells and not cells[-1]:
        cells = cells[:-1]
    return (None if found_format == "plain" else found_format), cells


def _tell(stream: BinaryIO) -> int | None:
    try:
        return stream.tell() if stream.seekable() else None
    except (AttributeError, OSError, ValueError):
        return None


def _scan_for_header(rows: Iterator[tuple[int, list[str]]], filename: str) -> tuple[str, list]:
    fallback: list[str] | None = None
    for _, cells in islice(rows, _HEADER_SCAN_ROWS):
        found = _match_header(cells, None)
        if found:
            return found[0], cells
        if fallback is None and _looks_like_header(cells):
            fallback = cells
    if fallback is None:
        raise ImportFormatError(f'No header row found in the first rows of "{filename}".')
    return "plain", fallback


def _match_header(
    cells: list[str], mapping: Mapping[str, str] | None
) -> tuple[str, dict[str, str] | None] | None:
    """(format, mapping to use) when ``cells`` is the header row, else None."""
    if mapping and _has_headers(cells, mapping.values()):
        return "plain", dict(mapping)
    found_format = _format_of(cells)
    if found_format:
        return found_format, None
    if not mapping:
        guess = suggest_mapping(cells)
        if all(name in guess for name in REQUIRED_FIELDS):
            return "plain", guess
    return None


def _locate_header(
    rows: Iterator[tuple[int, list[str]]], mapping: Mapping[str, str] | None, filename: str
) -> tuple[str, list[str], dict[str, str] | None]:
    """Consume rows up to and including the header row."""
    best: set[str] = set()
    for _, cells in islice(rows, _HEADER_SCAN_ROWS):
        found = _match_header(cells, mapping)
        if found:
            return found[0], cells, found[1]
        guess = set(suggest_mapping(cells)) & set(REQUIRED_FIELDS)
        best = guess if len(guess) > len(best) else best
    if mapping:
        wanted = ", ".join(f'"{header}"' for header in mapping.values())
        raise ImportFormatError(
            f'No row near the top of "{filename}" has all the chosen columns: {wanted}.'
        )
    missing = ", ".join(FIELD_LABELS[name].lower() for name in REQUIRED_FIELDS if name not in best)
    raise ImportFormatError(
        f'The columns of "{filename}" were not recognised (not found: {missing}). '
        "Choose which column holds each field."
    )


# --------------------------------------------------------------------------- layouts


@dataclass(frozen=True)
class _Layout:
    fmt: str
    headers: tuple[str, ...]
    columns: Mapping[str, int]
    notes: tuple[tuple[str, int], ...]
    date_order: str


_FORMAT_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "quickbooks_online": {
        "debtor_name": ("customer full name", "customer", "customer name", "name"),
        "transaction_type": ("transaction type",),
        "invoice_number": ("num", "number", "invoice number"),
        "issue_date": ("date", "transaction date", "invoice date"),
        "due_date": ("due date",),
        "amount": ("amount", "original amount", "open balance"),
        "open_balance": ("open balance",),
        "currency": ("currency",),
    },
    "quickbooks_desktop": {
        "debtor_name": ("name", "customer"),
        "transaction_type": ("type",),
        "invoice_number": ("num",),
        "issue_date": ("date",),
        "due_date": ("due date",),
        "amount": ("amount", "open balance"),
        "open_balance": ("open balance",),
        "currency": ("currency",),
    },
    "xero": {
        "debtor_name": ("contact", "contact name"),
        "invoice_number": ("invoice number",),
        "issue_date": ("invoice date", "date"),
        "due_date": ("due date",),
        "amount": ("total",),
        "open_balance": ("total",),
        "currency": ("currency",),
    },
}
_FORMAT_NOTES: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "quickbooks_online": (("", ("memo description", "memo", "description")),),
    "quickbooks_desktop": (("P.O. #: ", ("p o", "p o no", "po")), ("", ("memo", "description"))),
    "xero": (("Invoice reference: ", ("invoice reference", "reference")),),
}
_DEFAULT_DATE_ORDER = {"quickbooks_online": "MDY", "quickbooks_desktop": "MDY"}


def _find(names: list[str], candidates: Iterable[str]) -> int | None:
    for candidate in candidates:
        if candidate in names:
            return names.index(candidate)
    return None


def _make_layout(
    found_format: str, cells: list[str], mapping: Mapping[str, str] | None, order: str | None
) -> _Layout:
    names = [_norm(cell) for cell in cells]
    if found_format == "plain":
        columns = {key: _find(names, [_norm(header)]) for key, header in (mapping or {}).items()}
        notes = [("", columns.pop("notes", None))]
    else:
        spec = _FORMAT_COLUMNS[found_format]
        columns = {key: _find(names, candidates) for key, candidates in spec.items()}
        notes = [(label, _find(names, cands)) for label, cands in _FORMAT_NOTES[found_format]]
    return _Layout(
        fmt=found_format,
        headers=tuple(cells),
        columns={key: index for key, index in columns.items() if index is not None},
        notes=tuple((label, index) for label, index in notes if index is not None),
        date_order=order or _DEFAULT_DATE_ORDER.get(found_format, "DMY"),
    )


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class _Context:
    default_currency: str | None
    today: date


def parse(
    stream: BinaryIO,
    filename: str,
    mapping: dict[str, str] | None = None,
    default_currency: str | None = None,
    date_order: str | None = None,
    today: date | None = None,
) -> Iterator[InvoiceRow | RowProblem]:
    """Read an upload and return a lazy iterator of InvoiceRow and RowProblem items.

    ``mapping`` maps our field names (``MAPPABLE_FIELDS``) to the file's column headers for
    a plain file; without it a plain file is mapped by ``suggest_mapping`` when every
    required field is found. The header is the first row that has every mapped column or
    is a recognised export header (on the same row, the mapping wins).
    ``default_currency`` fills rows that name none. ``date_order`` ('DMY' or 'MDY')
    settles ambiguous numeric dates (defaults: MDY for QuickBooks, DMY otherwise; a date
    impossible in that order is read in the other). ``today`` (default: the current date)
    decides which issue dates are in the future.

    The header is read at once: ImportFormatError is raised before anything is yielded
    when the file is empty, not CSV/XLSX, has no recognisable header or misses a required
    column. A damaged row later in the file raises ImportFormatError during iteration.
    """
    context = _Context(_checked_currency(default_currency), today or date.today())
    order = _checked_order(date_order)
    _check_mapping_fields(mapping)
    rows = read_table(stream, filename)
    try:
        found_format, cells, used_mapping = _locate_header(rows, mapping, filename)
        if found_format == "plain":
            _check_required_mapped(used_mapping or {})
    except Exception:
        rows.close()
        raise
    layout = _make_layout(found_format, cells, used_mapping, order)
    return _parse_rows(rows, layout, context)


def _checked_currency(code: str | None) -> str | None:
    if code is None:
        return None
    if code.strip().upper() not in _currencies():
        raise ImportFormatError(f'"{code}" is not a currency code we know.')
    return code.strip().upper()


def _checked_order(order: str | None) -> str | None:
    if order is not None and order.upper() not in ("DMY", "MDY"):
        raise ImportFormatError(f'Date order must be "DMY" or "MDY", not "{order}".')
    return order.upper() if order else None


def _check_mapping_fields(mapping: Mapping[str, str] | None) -> None:
    for key, header in (mapping or {}).items():
        if key not in FIELD_LABELS:
            raise ImportFormatError(f'"{key}" is not a field that can be mapped.')
        if not _norm(header or ""):
            raise ImportFormatError(f"{FIELD_LABELS[key]} is mapped to an empty column name.")


def _check_required_mapped(mapping: Mapping[str, str]) -> None:
    missing = [FIELD_LABELS[name] for name in REQUIRED_FIELDS if name not in mapping]
    if missing:
        raise ImportFormatError(
            "Choose the column for: " + ", ".join(missing) + " (these are required)."
        )


def _parse_rows(
    rows: Iterator[tuple[int, list[str]]], layout: _Layout, context: _Context
) -> Iterator[InvoiceRow | RowProblem]:
    headings: list[str] = []
    header_key = _row_key(list(layout.headers))
    try:
        for row_number, cells in rows:
            kind = _classify(cells, layout, header_key)
            if kind == "heading" and layout.fmt != "plain":
                _enter_heading(headings, cells)
            elif kind == "total":
                _leave_heading(headings, next(cell for cell in cells if cell))
            elif kind == "data":
                customer = headings[0] if headings else None
                built = _build(row_number, cells, layout, customer, context)
                if isinstance(built, InvoiceRow):
                    yield built
                else:
                    yield from built
    finally:
        rows.close()


def _row_key(cells: list[str]) -> list[str]:
    key = [_norm(cell) for cell in cells]
    while key and not key[-1]:
        key.pop()
    return key


_TOTAL_ROW = re.compile(r"(grand\s+)?totals?(\s|:|$)", re.IGNORECASE)


def _classify(cells: list[str], layout: _Layout, header_key: list[str]) -> str:
    """'skip', 'heading' (one filled cell), 'total' or 'data'."""
    filled = len(cells) - cells.count("")
    if not filled:
        return "skip"
    first = 0 if cells[0] else next(index for index, cell in enumerate(cells) if cell)
    invoice_index = layout.columns.get("invoice_number")
    invoice_text = _cell(cells, invoice_index)
    if _TOTAL_ROW.match(cells[first]) and (not invoice_text or invoice_index == first):
        return "total"
    if filled == 1:
        return "heading"
    if cells[first] == _cell(layout.headers, first) and _row_key(cells) == header_key:
        return "skip"  # the header repeated (files pasted together)
    if layout.fmt != "plain" and not invoice_text:
        money = [_cell(cells, layout.columns.get(key)) for key in ("amount", "open_balance")]
        if not any(money):
            return "skip"
    return "data"


def _cell(cells: Sequence[str], index: int | None) -> str:
    return cells[index] if index is not None and index < len(cells) else ""


def _enter_heading(headings: list[str], cells: list[str]) -> None:
    """A one-cell row: a customer heading (its column is its level) or an age bucket."""
    level, text = next((i, cell) for i, cell in enumerate(cells) if cell)
    if _AGE_BUCKET.fullmatch(text):
        return
    del headings[level:]
    headings.append(text)


def _leave_heading(headings: list[str], text: str) -> None:
    name = _TOTAL_ROW.sub("", text, count=1).strip()
    name = re.sub(r"^for\s+", "", name, flags=re.IGNORECASE)
    if name in headings:
        del headings[headings.index(name) :]
    elif not name:
        headings.clear()


class _Row:
    """The cells of one data row, read through a layout, collecting problems."""

    __slots__ = ("cells", "layout", "number", "problems", "texts")

    def __init__(self, number: int, cells: list[str], layout: _Layout) -> None:
        self.number = number
        self.cells = cells
        self.layout = layout
        self.problems: list[RowProblem] = []
        width = len(cells)
        # The filled cells of the mapped columns, read once.
        self.texts = {
            key: cells[index]
            for key, index in layout.columns.items()
            if index < width and cells[index]
        }

    def column(self, key: str) -> str | None:
        index = self.layout.columns.get(key)
        return self.layout.headers[index] if index is not None else None

    def problem(self, key: str, message: str) -> None:
        """Record a problem; only the first one per column is kept."""
        column = self.column(key)
        if all(problem.column != column for problem in self.problems):
            self.problems.append(RowProblem(self.number, column, message))

    def has_problem(self, key: str) -> bool:
        column = self.column(key)
        return any(problem.column == column for problem in self.problems)

    def notes(self) -> str | None:
        parts = [
            label + self.cells[index]
            for label, index in self.layout.notes
            if _cell(self.cells, index)
        ]
        return "; ".join(parts) or None


_ZERO = Decimal(0)


@dataclass(slots=True)
class _Money:
    amount: Decimal | None = None
    paid: Decimal = _ZERO
    open_balance: Decimal | None = None
    paid_derived: bool = False
    currency_in_amount: str | None = None


def _build(
    number: int, cells: list[str], layout: _Layout, customer: str | None, context: _Context
) -> InvoiceRow | list[RowProblem]:
    """The line as an InvoiceRow, or the problems that stop it (one per column)."""
    row = _Row(number, cells, layout)
    texts = row.texts
    text = texts.get
    money = _read_money(row)
    kind = text("transaction_type")
    if layout.fmt == "xero" and kind is None and money.amount is not None:
        kind = "Credit Note" if money.amount < 0 else "Invoice"
    invoice_line = _is_invoice_type(kind)
    debtor = text("debtor_name") or customer
    issue = _read_date(row, "issue_date")
    due = _read_date(row, "due_date")
    invoice_row = _invoice_row(
        row_number=number,
        debtor_name=debtor or "",
        debtor_kind=_read_kind(row) if "debtor_kind" in texts else None,
        account_number=text("account_number"),
        contact_person=text("contact_person"),
        email=text("email"),
        phone=text("phone"),
        address=text("address"),
        city=text("city"),
        country=_read_country(row) if "country" in texts else None,
        invoice_number=text("invoice_number") or "",
        issue_date=issue,
        due_date=due,
        amount=money.amount if money.amount is not None else _ZERO,
        paid=money.paid,
        open_balance=money.open_balance,
        currency=_read_currency(row, money.currency_in_amount, context.default_currency),
        notes=row.notes() if layout.notes else None,
        transaction_type=kind,
    )
    _check_required(row, invoice_row, money, invoice_line)
    if invoice_line:
        _check_invoice_money(row, money)
    _check_dates(row, issue, due, context.today)
    return row.problems or invoice_row


def _invoice_row(**fields: object) -> InvoiceRow:
    """An InvoiceRow from every one of its fields, made in one step.

    The same object the class makes (it has no ``__post_init__``). A frozen dataclass's own
    ``__init__`` sets the 19 fields one ``object.__setattr__`` call at a time, about three times
    as slow as filling the instance's dictionary at once, and a file makes one per line.
    """
    row = object.__new__(InvoiceRow)
    row.__dict__.update(fields)
    return row


_INVOICE_TYPES = frozenset(
    {"invoice", "tax invoice", "sales invoice", "statement charge", "charge", "debit note", "inv"}
)


def _is_invoice_type(kind: str | None) -> bool:
    if kind is None:
        return True
    name = _norm(kind)
    return name in _INVOICE_TYPES or ("invoice" in name and "credit" not in name)


def _read_amount(row: _Row, key: str) -> tuple[Decimal | None, str | None]:
    text = row.texts.get(key)
    if text is None:
        return None, None
    try:
        return _parse_amount(text)
    except ValueError:
        row.problem(key, f'{FIELD_LABELS[key]} "{text}" is not an amount we can read.')
        return None, None


def _read_money(row: _Row) -> _Money:
    texts = row.texts  # most files have an amount and no paid or open balance column
    amount, code = _read_amount(row, "amount") if "amount" in texts else (None, None)
    paid, _ = _read_amount(row, "paid") if "paid" in texts else (None, None)
    open_balance, _ = _read_amount(row, "open_balance") if "open_balance" in texts else (None, None)
    money = _Money(amount=amount, open_balance=open_balance, currency_in_amount=code)
    if paid is not None:
        money.paid = paid
        if amount is not None and open_balance is not None and amount - paid != open_balance:
            row.problem(
                "open_balance",
                f"Open balance {open_balance} does not match the amount {amount} "
                f"minus paid {paid}.",
            )
    elif amount is not None and open_balance is not None:
        money.paid = amount - open_balance
        money.paid_derived = True
    return money


def _check_required(row: _Row, invoice_row: InvoiceRow, money: _Money, invoice: bool) -> None:
    if not invoice_row.debtor_name:
        row.problem("debtor_name", "Debtor name is missing.")
    if invoice and not invoice_row.invoice_number:
        row.problem("invoice_number", "Invoice number is missing.")
    if money.amount is None and not row.has_problem("amount"):
        row.problem("amount", "Amount is missing.")
    if invoice and invoice_row.due_date is None and not row.has_problem("due_date"):
        row.problem("due_date", "Due date is missing.")


def _check_invoice_money(row: _Row, money: _Money) -> None:
    amount, paid = money.amount, money.paid
    if amount is None:
        return
    if amount <= 0:
        row.problem("amount", f"Amount must be more than zero for an invoice (found {amount}).")
    elif money.paid_derived and paid < 0:
        row.problem(
            "open_balance", f"Open balance {money.open_balance} is more than the amount {amount}."
        )
    elif money.paid_derived and paid > amount:
        row.problem("open_balance", f"Open balance cannot be below zero ({money.open_balance}).")
    elif paid < 0:
        row.problem("paid", f"Paid cannot be negative (found {paid}).")
    elif paid > amount:
        row.problem("paid", f"Paid {paid} is more than the invoice amount {amount}.")


def _check_dates(row: _Row, issue: date | None, due: date | None, today: date) -> None:
    if issue and due and due < issue:
        row.problem("due_date", f"Due date {due} is before the issue date {issue}.")
    if issue and issue > today:
        row.problem("issue_date", f"Issue date {issue} is in the future.")


def _read_date(row: _Row, key: str) -> date | None:
    text = row.texts.get(key)
    if text is None:
        return None
    parse = _parse_recurring_date if len(text) <= _RECURRING_DATE_CHARS else _parse_date
    try:
        return parse(text, row.layout.date_order)
    except ValueError:
        row.problem(
            key, f'{FIELD_LABELS[key]} "{text}" is not a date we can read (write it as 2026-08-20).'
        )
        return None


_KINDS = {
    "person": "person",
    "individual": "person",
    "private": "person",
    "private person": "person",
    "natural person": "person",
    "consumer": "person",
    "company": "company",
    "business": "company",
    "organisation": "company",
    "organization": "company",
    "corporate": "company",
    "firm": "company",
    "legal entity": "company",
}


def _read_kind(row: _Row) -> str | None:
    text = row.texts.get("debtor_kind")
    if text is None:
        return None
    kind = _KINDS.get(_norm(text))
    if kind is None:
        row.problem("debtor_kind", f'Debtor type "{text}" is not known; use person or company.')
    return kind


def _read_country(row: _Row) -> str | None:
    text = row.texts.get("country")
    if text is None:
        return None
    code = _countries().get(_norm(text))
    if code is None:
        row.problem(
            "country", f'Country "{text}" is not a country we know; use a code such as KE or GB.'
        )
    return code


def _read_currency(row: _Row, in_amount: str | None, default: str | None) -> str | None:
    text = row.texts.get("currency")
    if text is None:
        return in_amount or default
    code = _currency_code(text)
    if code is None:
        row.problem(
            "currency",
            f'Currency "{text}" is not a currency code we know; use one such as KES, USD or EUR.',
        )
    elif in_amount and in_amount != code:
        row.problem("amount", f"The amount is in {in_amount} but the currency column says {code}.")
    return code


# --------------------------------------------------------------------------- reference data


_NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}
)
_COUNTRY_ALIASES = {
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "usa": "US",
    "united states of america": "US",
    "uae": "AE",
}
_CURRENCY_ALIASES: dict[str, str | None] = {
    "KSH": "KES",
    "KSHS": "KES",
    "USH": "UGX",
    "TSH": "TZS",
    "US": "USD",
    "RS": None,
    "R": None,
}


@cache
def _currencies() -> frozenset[str]:
    return frozenset(code.upper() for code in list_currencies())


@cache
def _countries() -> Mapping[str, str]:
    """Normalised code or English name -> ISO 3166 alpha-2 code."""
    table: dict[str, str] = {}
    for code, name in Locale.parse("en").territories.items():
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES:
            table[_norm(code)] = code
            table[_norm(name)] = code
    table.update(_COUNTRY_ALIASES)
    return MappingProxyType(table)


def _currency_code(text: str) -> str | None:
    code = text.strip().upper()
    if code in _currencies():
        return code
    return _CURRENCY_ALIASES.get(code.rstrip("."))


# --------------------------------------------------------------------------- amounts


_PLAIN_AMOUNT = re.compile(r"(-?)([0-9]+(?:\.[0-9]+)?)")
_AMOUNT_PARTS = re.compile(r"([^0-9]*)([0-9][0-9.,]*)([^0-9]*)")
_SEPARATORS = re.compile(r"[\s'’]+")
_DECOR_TOKEN = re.compile(r"[A-Za-z]+\.?|.", re.DOTALL)
_MINUS = frozenset("-−–")
_GROUPED = re.compile(r"[0-9]{1,3}(,[0-9]{3})+|[0-9]{1,2}(,[0-9]{2})*,[0-9]{3}")
_THOUSANDS_ONLY = re.compile(r"[0-9]{1,3},[0-9]{3}")


def _parse_amount(text: str) -> tuple[Decimal, str | None]:
    """Parse "1,204,500.00", "(2,000.00)", "-5", "KES 1 000", "$1,000.00", "12,50" exactly.

    Returns the amount and the ISO currency code written with it, if any.
    Raises ValueError when the text is not an amount.
    """
    if plain := _PLAIN_AMOUNT.fullmatch(text):  # most cells: "1204500.00", "-5"
        sign, number = plain.groups()
        return (-Decimal(number) if sign else Decimal(number)), None
    return _parse_written_amount(text)


def _parse_written_amount(text: str) -> tuple[Decimal, str | None]:
    """`_parse_amount` for an amount written with separators, brackets or currency marks."""
    parts = _AMOUNT_PARTS.fullmatch(_SEPARATORS.sub("", text))
    if not parts:
        raise ValueError(text)
    lead, number, trail = parts.groups()
    negative, code = _read_decor(lead, trail)
    value = _parse_number(number)
    return (-value if negative else value), code


def _read_decor(lead: str, trail: str) -> tuple[bool, str | None]:
    """Signs, brackets and currency marks around a number: (negative, currency code)."""
    if ("(" in lead) != (")" in trail) or ")" in lead or "(" in trail:
        raise ValueError(lead + trail)
    negative = "(" in lead
    codes: set[str] = set()
    for token in _DECOR_TOKEN.findall(lead + " " + trail):
        if token in _MINUS:
            negative = True
        elif token[0].isalpha():
            code = _currency_code(token)
            if code is None and token.upper().rstrip(".") not in _CURRENCY_ALIASES:
                raise ValueError(token)
            codes.update([code] if code else [])
        elif token not in "()+ " and unicodedata.category(token) != "Sc":
            raise ValueError(token)
    if len(codes) > 1:
        raise ValueError(lead + trail)
    return negative, next(iter(codes), None)


def _parse_number(number: str) -> Decimal:
    mark = _decimal_mark(number)
    group = "." if mark == "," or (mark is None and "." in number) else ","
    whole, _, fraction = number.partition(mark) if mark else (number, "", "")
    if any(sep in fraction for sep in ".,"):
        raise ValueError(number)
    if group in whole:
        if not _GROUPED.fullmatch(whole.replace(group, ",")):
            raise ValueError(number)
        whole = whole.replace(group, "")
    try:
        return Decimal(f"{whole}.{fraction}" if fraction else whole)
    except InvalidOperation as exc:
        raise ValueError(number) from exc


def _decimal_mark(number: str) -> str | None:
    """The decimal separator of a number written with ',' and/or '.', or None."""
    commas, dots = number.count(","), number.count(".")
    if commas and dots:
        return "," if number.rfind(",") > number.rfind(".") else "."
    if commas == 1 and not _THOUSANDS_ONLY.fullmatch(number):
        return ","
    if dots == 1:
        return "."
    return None


# --------------------------------------------------------------------------- dates


_ISO_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ].*)?")
_NUMERIC_DATE = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})")
_DAY_FIRST = re.compile(
    r"(\d{1,2})(?:st|nd|rd|th)?[-\s./]*([A-Za-z]+)\.?,?[-\s./]*(\d{4}|\d{2})", re.IGNORECASE
)
_MONTH_FIRST = re.compile(
    r"([A-Za-z]+)\.?[-\s./]*(\d{1,2})(?:st|nd|rd|th)?(?:,\s*|[-\s./]+)(\d{4}|\d{2})",
    re.IGNORECASE,
)
_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, start=1)}
_MONTHS.update({name[:3]: number for name, number in _MONTHS.items()})
_MONTHS["sept"] = 9


def _parse_date(text: str, order: str) -> date:
    """Parse ISO, numeric (order 'DMY' or 'MDY'), "20 Aug 2026" or "Aug 20, 2026".

    A numeric date impossible in ``order`` is read in the other order.
    Raises ValueError when the text is not a date.
    """
    value = text.strip()
    if match := _ISO_DATE.fullmatch(value):
        year, month, day = match.groups()
        return date(int(year), int(month), int(day))
    if match := _NUMERIC_DATE.fullmatch(value):
        first, _, second, year = match.groups()
        return _numeric_date(int(first), int(second), _year(year), order)
    if match := _DAY_FIRST.fullmatch(value):
        day, month, year = match.groups()
        return date(_year(year), _month(month), int(day))
    if match := _MONTH_FIRST.fullmatch(value):
        month, day, year = match.groups()
        return date(_year(year), _month(month), int(day))
    raise ValueError(text)


# An export writes the same few hundred dates on its lines: each is read once (a cell longer
# than a date is ever written is read, but not remembered).
_parse_recurring_date = lru_cache(maxsize=1024)(_parse_date)
_RECURRING_DATE_CHARS = 40


def _numeric_date(first: int, second: int, year: int, order: str) -> date:
    readings = [(first, second), (second, first)]  # (day, month) pairs, DMY first
    if order == "MDY":
        readings.reverse()
    for day, month in readings:
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise ValueError(f"{first}/{second}/{year}")


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        return 2000 + year if year < 70 else 1900 + year
    return year


def _month(name: str) -> int:
    try:
        return _MONTHS[name.casefold()]
    except KeyError:
        raise ValueError(name) from None
