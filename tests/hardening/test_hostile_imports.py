"""Hostile strings in every column of a bulk handover file, and files that lie or explode.

Text columns keep what was written (after the import reader's documented normalisation: NUL
removed, surrounding whitespace, BOM and zero-width space trimmed at the cell's edges); value
columns (amounts, dates, currency, country, type, e-mail, phone) refuse it beside the row and
column in the preview. Never a 500, never markup unescaped.
"""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.imports.readers import MAX_ZIP_RATIO, ImportFormatError, read_table
from portal.models import Case
from tests.hardening.corpus import HOSTILE, normalised
from tests.hardening.test_hostile_input import assert_safe_page, assert_shown
from tests.imports.helpers import (
    PLAIN_COLUMNS,
    case_count,
    confirm,
    map_columns,
    step_after_upload,
    token_of,
    upload,
)

CORPUS = pytest.mark.parametrize("value", list(HOSTILE.values()), ids=list(HOSTILE))
HEADERS = list(PLAIN_COLUMNS.values())
GOOD = {
    "account_number": "C-1",
    "debtor_name": "Kamau Hardware",
    "debtor_type": "company",
    "contact_person": "Peter Kamau",
    "email": "accounts@kamau.example",
    "phone": "+254 722 000 111",
    "address": "Moi Avenue 12",
    "city": "Nairobi",
    "country": "KE",
    "invoice_number": "1031",
    "issue_date": "2026-08-20",
    "due_date": "2026-09-19",
    "amount": "45000.00",
    "paid": "0",
    "currency": "KES",
    "notes": "",
}
TEXT_COLUMNS = ("account_number", "debtor_name", "contact_person", "address", "city", "notes")
VALUE_COLUMNS = (
    "debtor_type",
    "email",
    "phone",
    "country",
    "issue_date",
    "due_date",
    "amount",
    "paid",
    "currency",
)


def _csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADERS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _to_preview(client, content: bytes, filename: str = "accounts.csv"):
    location = step_after_upload(client, content, filename)
    if "/columns" in location:
        response = map_columns(client, location, PLAIN_COLUMNS)
        assert_safe_page(response)
        assert response.status_code == 302, response.status_code
        location = response.headers["Location"]
    return token_of(location), client.get(location)


@CORPUS
def test_hostile_text_in_every_text_column_is_imported_exactly(client, auth, world, value):
    auth.login(world.business_admin)
    row = GOOD | dict.fromkeys(TEXT_COLUMNS, value)
    row["account_number"] = value[:64]
    row["invoice_number"] = value[:64]
    token, preview = _to_preview(client, _csv([row]))
    html = assert_safe_page(preview)
    assert preview.status_code == 200
    assert_shown(html, value[:64].replace("\x00", ""))
    response = confirm(client, token)
    assert_safe_page(response)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    case = db.session.scalars(select(Case)).one()
    expected = normalised(value)
    assert case.debtor.name == expected
    assert case.debtor.contact_person == expected
    assert case.debtor.address == f"{expected}\n{expected}"  # address and city, as documented
    assert case.debtor.account_number == normalised(value[:64])
    assert case.invoices[0].number == normalised(value[:64])
    html = assert_safe_page(client.get(f"/cases/{case.id}"))
    assert_shown(html, value)
    pdf = client.get(f"/cases/{case.id}/case-file.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


@CORPUS
def test_hostile_text_in_a_value_column_is_a_problem_beside_it(client, auth, world, value):
    auth.login(world.business_admin)
    rows = [
        GOOD | {column: value, "invoice_number": f"V{i}"} for i, column in enumerate(VALUE_COLUMNS)
    ]
    token, preview = _to_preview(client, _csv(rows))
    assert_safe_page(preview)
    response = confirm(client, token)
    assert_safe_page(response)
    assert case_count() == 0 or response.status_code == 302


@CORPUS
def test_hostile_column_headers_are_harmless(client, auth, world, value):
    auth.login(world.business_admin)
    content = _csv([GOOD]).replace(b"notes", value.encode("utf-8"), 1)
    location = step_after_upload(client, content)
    assert_safe_page(client.get(location))


def test_invalid_utf8_in_an_import_is_read_not_a_500(client, auth, world):
    auth.login(world.business_admin)
    content = _csv([GOOD]).replace(b"Kamau Hardware", b"Kamau \xff\xfe\xc3( Hardware \xed\xa0\x80")
    token, preview = _to_preview(client, content)
    assert_safe_page(preview)
    assert preview.status_code == 200
    response = confirm(client, token)
    assert_safe_page(response)
    name = db.session.scalars(select(Case)).one().debtor.name
    # Documented in portal.imports.readers: a file that is not UTF-8 is read as Windows-1252.
    assert name == b"Kamau \xff\xfe\xc3( Hardware \xed\xa0\x80".decode("cp1252")


def test_a_file_of_random_bytes_is_refused_beside_the_field(client, auth, world):
    auth.login(world.business_admin)
    response = upload(client, bytes(range(256)) * 64, "accounts.csv")
    html = assert_safe_page(response)
    assert response.status_code == 422
    assert "accounts.csv" in html and case_count() == 0


# --- uploads that lie or explode ----------------------------------------------------------


def _bomb(declared: int = 200 * 1024 * 1024) -> bytes:
    """A small .xlsx whose worksheet part unpacks to `declared` bytes of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            chunk = b"\x00" * (1024 * 1024)
            for _ in range(declared // len(chunk)):
                part.write(chunk)
    return out.getvalue()


def test_an_xlsx_zip_bomb_is_refused_beside_the_field_without_unpacking_it(
    client, auth, world, monkeypatch
):
    bomb = _bomb()
    assert len(bomb) < 1024 * 1024
    import openpyxl

    def never(*args, **kwargs):
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    with pytest.raises(ImportFormatError, match="unpack"):
        next(read_table(io.BytesIO(bomb), "bomb.xlsx"))
    auth.login(world.business_admin)
    response = upload(client, bomb, "accounts.xlsx")
    html = assert_safe_page(response)
    assert response.status_code == 422
    assert "unpack" in html and case_count() == 0


def test_an_ordinary_workbook_is_not_mistaken_for_a_bomb():
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for n in range(2000):
        sheet.append([GOOD[h] if h != "invoice_number" else str(n) for h in HEADERS])
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    with zipfile.ZipFile(out) as archive:
        part = archive.getinfo("xl/worksheets/sheet1.xml")
    assert part.file_size < MAX_ZIP_RATIO * part.compress_size
    out.seek(0)
    assert len(list(read_table(out, "accounts.xlsx"))) == 2001


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"%PDF-1.4\n%%EOF\n", "accounts.csv"),
        (b"GIF89a/*\x00\x00*/=1;alert(1)//", "accounts.csv"),
        (b"<!doctype html><script>alert(1)</script>", "accounts.csv"),
        (b"", "accounts.csv"),
        (b"PK\x03\x04 not really a zip", "accounts.xlsx"),
        (b"debtor,amount\nx,1\n", "../../etc/passwd"),
        (b"debtor,amount\nx,1\n", "accounts.exe"),
    ],
    ids=[
        "pdf_named_csv",
        "gif_js_polyglot",
        "html_page",
        "empty",
        "broken_xlsx",
        "traversal",
        "exe",
    ],
)
def test_imports_that_lie_about_their_type_are_refused_with_a_clear_message(
    client, auth, world, content, name
):
    auth.login(world.business_admin)
    response = upload(client, content, name)
    html = assert_safe_page(response)
    assert response.status_code == 422
    assert 'id="file-error"' in html or "error" in html
    assert case_count() == 0
