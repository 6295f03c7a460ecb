"""Documents that lie, hide or explode; statements and case files holding every hostile string.

Uploads: content that lies about its type, polyglots, a zip bomb, names with ``../``, empty
files, files over the limit, text that is not UTF-8: each is refused beside the upload with a
clear message and leaves nothing stored, or is stored safely (a random storage key, a cleaned
display name, served as an attachment with ``nosniff`` and a sandboxing policy).
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Case, CorrespondenceEntry, Document, Statement
from tests import factories
from tests.casefile import helpers as casefile_helpers
from tests.documents.helpers import PDF, PNG, docx, files_data, stored_files, worked_case
from tests.hardening.corpus import HOSTILE
from tests.hardening.test_hostile_input import assert_safe_page
from tests.statements import helpers as statement_helpers


def _upload(client, case: Case, content: bytes, name: str):
    response = client.post(
        f"/cases/{case.id}/documents", data=files_data((content, name)), follow_redirects=True
    )
    return response


def _docx_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\x00" * (50 * 1024 * 1024))
    return out.getvalue()


def _zip_appended(content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.html", "<script>alert(1)</script>")
    return content + out.getvalue()


REFUSED = {
    "exe_named_pdf": (b"MZ\x90\x00" + b"\x00" * 200, "invoice.pdf", "not a PDF"),
    "html_named_png": (b"<html><script>alert(1)</script></html>", "photo.png", "not a PNG"),
    "pdf_named_docx": (PDF, "letter.docx", "not a Word document"),
    "gif_js_polyglot": (b"GIF89a/*\x00\x00*/=alert(1);//" + b"\x00" * 64, "pic.png", "GIF"),
    "gif_named_txt": (b"GIF89a=alert(1);" + b"\x00" * 64, "notes.txt", "GIF"),
    "pdf_with_zip": (_zip_appended(PDF), "invoice.pdf", "hidden inside"),
    "png_with_zip": (_zip_appended(PNG), "photo.png", "hidden inside"),
    "pdf_html_polyglot": (
        b"<html><script>alert(1)</script>" + b"\x00" * 8 + PDF,
        "invoice.pdf",
        "not a PDF",
    ),
    "docx_zip_bomb": (_docx_bomb(), "letter.docx", "zip bomb"),
    "empty": (b"", "empty.pdf", "empty"),
    "no_extension": (PDF, "invoice", "no file extension"),
    "script_extension": (b"alert(1)", "evil.js", "not a type we accept"),
    "svg": (b"<svg onload=alert(1)/>", "image.svg", "not a type we accept"),
}


@pytest.mark.parametrize("key", list(REFUSED))
def test_uploads_that_lie_hide_or_explode_are_refused_with_a_clear_message(
    client, auth, world, key
):
    content, name, message = REFUSED[key]
    case = worked_case(world)
    before = stored_files()
    auth.login(world.business_admin)
    response = _upload(client, case, content, name)
    html = assert_safe_page(response)
    assert message in html, html[-3000:]
    assert db.session.scalars(select(Document)).all() == []
    assert stored_files() == before


def test_a_file_over_the_limit_is_refused_and_nothing_is_stored(client, auth, world, app):
    case = worked_case(world)
    app.config["MAX_FILE_BYTES"] = 64 * 1024
    try:
        before = stored_files()
        auth.login(world.business_admin)
        response = _upload(client, case, PDF + b"%" * (128 * 1024), "big.pdf")
        html = assert_safe_page(response)
        assert "larger than" in html
        assert db.session.scalars(select(Document)).all() == [] and stored_files() == before
    finally:
        app.config["MAX_FILE_BYTES"] = 15 * 1024 * 1024


@pytest.mark.parametrize(
    "name",
    [
        "../../../../etc/passwd.pdf",
        "..\\..\\windows\\system32\\evil.pdf",
        "/absolute/path.pdf",
        "\u202efdp.exe.pdf",
        "nul\x00byte.pdf",
        "<img src=x onerror=alert(1)>.pdf",
        "{{7*7}}.pdf",
    ],
)
def test_hostile_file_names_are_stored_safely_under_a_random_key(client, auth, world, name):
    case = worked_case(world)
    auth.login(world.business_admin)
    response = _upload(client, case, PDF, name)
    assert_safe_page(response)
    doc = db.session.scalars(select(Document)).one()
    assert "/" not in doc.filename and "\\" not in doc.filename and "\x00" not in doc.filename
    assert "\u202e" not in doc.filename and doc.filename.endswith(".pdf")
    assert name.split("/")[-1].split("\\")[-1] not in doc.storage_key
    assert all(doc.storage_key not in str(p) or ".." not in str(p) for p in stored_files())
    download = client.get(f"/cases/{case.id}/documents/{doc.id}")
    assert download.status_code == 200
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and "\r" not in disposition
    assert "/" not in disposition.split("filename", 1)[1]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download.headers["Content-Security-Policy"]
    download.close()


def test_text_that_is_not_utf8_is_stored_as_sent_and_served_as_an_attachment(client, auth, world):
    case = worked_case(world)
    content = b"Caf\xe9 receipt \xff\xfe\n<script>alert(1)</script>\n"
    auth.login(world.business_admin)
    assert_safe_page(_upload(client, case, content, "receipt.txt"))
    doc = db.session.scalars(select(Document)).one()
    download = client.get(f"/cases/{case.id}/documents/{doc.id}")
    assert download.data == content
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.mimetype == "text/plain"
    download.close()


def test_a_genuine_word_document_is_still_accepted(client, auth, world):
    case = worked_case(world)
    auth.login(world.business_admin)
    assert_safe_page(_upload(client, case, docx(), "letter.docx"))
    assert db.session.scalars(select(Document.filename)).all() == ["letter.docx"]


# --- statements and the case file render every hostile string -------------------------


def test_statements_render_every_hostile_string_in_pdf_and_csv(client, auth, world):
    agreement = world.agreement
    names = {}
    for n, (key, value) in enumerate(HOSTILE.items()):
        debtor = factories.debtor(world.business, name=value.replace("\x00", ""))
        case = statement_helpers.placed_case(agreement, debtor=debtor)
        statement_helpers.recovery(case, 1000_00 + n, date(2026, 10, 5))
        names[key] = debtor.name
    db.session.commit()
    statement = statement_helpers.issue(
        agreement, date(2026, 10, 1), date(2026, 10, 31), world.agency_admin
    )
    for user in (world.agency_admin, world.business_admin):
        auth.login(user)
        html = assert_safe_page(client.get(f"/statements/{statement.id}"))
        assert "&lt;script&gt;" in html
        pdf = client.get(f"/statements/{statement.id}/pdf")
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
        response = client.get(f"/statements/{statement.id}/csv")
        assert response.status_code == 200
        text = response.get_data(as_text=True).lstrip("\ufeff")
        cells = {cell for row in csv.reader(io.StringIO(text)) for cell in row}
        for key, name in names.items():
            shown = name if key != "csv_formula" else "'" + name
            assert shown in cells or name in cells, key
        # a cell that starts with = must not reach a spreadsheet as a formula
        assert HOSTILE["csv_formula"] not in cells
        auth.logout()
    assert db.session.scalars(select(Statement)).one()


def test_the_case_file_renders_every_hostile_string(client, auth, world):
    case = casefile_helpers.worked_case(world)
    for n, value in enumerate(HOSTILE.values()):
        casefile_helpers.history(case, world.business_admin, value.replace("\x00", ""), n=n)
        casefile_helpers.message(case, world.caseworker, value.replace("\x00", ""))
    db.session.commit()
    assert len(db.session.scalars(select(CorrespondenceEntry)).all()) == len(HOSTILE)
    for user in (world.business_admin, world.agency_admin):
        auth.login(user)
        response = client.get(f"/cases/{case.id}/case-file.pdf")
        assert response.status_code == 200 and response.data.startswith(b"%PDF")
        text = casefile_helpers.pdf_text(response.data)
        assert "DROP TABLE cases" in text and "{{7*7}}" in text
        auth.logout()
