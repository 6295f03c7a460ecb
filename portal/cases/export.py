"""Case lists as CSV, for both sides: streamed row by row, so a list of 100,000 cases never sits
in memory, with the money figures summed in SQL.

Amounts are plain decimals in major units (45000.00), dates ISO (YYYY-MM-DD, the viewer's
zone). A text cell that a spreadsheet would read as a formula (it starts with = + - @, a tab or
a carriage return) gets a leading apostrophe; our own numbers stay numbers.
"""

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Response, stream_with_context
from sqlalchemy import Select

from portal.extensions import db
from portal.models import Case, CaseStatus, CloseCode, User
from portal.money import plain_amount

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BATCH = 1000  # rows fetched from the database, and written, at a time


def safe_text(value: str | None) -> str:
    """A text cell a spreadsheet shows as text, never runs as a formula."""
    text = value or ""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def amount(minor: int | None, currency: str) -> str:
    return "" if minor is None else plain_amount(int(minor), currency)


def iso_day(moment: datetime | None, zone: ZoneInfo) -> str:
    return "" if moment is None else moment.astimezone(zone).date().isoformat()


def status_text(status: CaseStatus, close_code: CloseCode | None) -> str:
    if status == CaseStatus.CLOSED and close_code is not None:
        return f"{status.label}: {close_code.label.lower()}"
    return status.label


def balance_now(placement: int | None, charges: int | None, recovered: int | None) -> int | None:
    """The balance left: at placement, plus charges, less what was recovered."""
    if placement is None:
        return None
    return int(placement) + int(charges or 0) - int(recovered or 0)


def stream_csv(header: list[str], rows: Iterable[list[str]]) -> Iterator[str]:
    """The CSV text, a batch of rows at a time (a byte-order mark first, for spreadsheets)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(header)
    for n, row in enumerate(rows, start=1):
        writer.writerow(row)
        if n % BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_response(
    header: list[str], rows: Callable[[], Iterable[list[str]]], today: date, name: str = "cases"
) -> Response:
    """A streamed CSV download named like cases-2026-11-23.csv, never cached."""
    body = stream_with_context(stream_csv(header, rows()))
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-{today:%Y-%m-%d}.csv"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def streamed(stmt: Select) -> Iterator:
    """The statement's rows, fetched in batches (a server-side cursor on PostgreSQL)."""
    return iter(db.session.execute(stmt.execution_options(yield_per=BATCH)))


def viewer_zone(user: User) -> ZoneInfo:
    return ZoneInfo(user.zone)


def case_ids_in(stmt: Select) -> Select:
    """The case ids a listing statement selects, for the money subqueries."""
    return stmt.with_only_columns(Case.id).order_by(None)
