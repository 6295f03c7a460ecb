"""Tests for portal.documents.checks: the upload allow-list and safe display names."""

from __future__ import annotations

import io
import random
import zipfile
from email.message import EmailMessage

import openpyxl
import pytest
from fpdf import FPDF
from PIL import Image

from portal.documents import checks
from portal.documents.checks import (
    ACCEPTED_SUMMARY,
    ALLOWED_KINDS,
    HEAD_BYTES,
    Checked,
    UploadRejected,
    check_upload,
    safe_display_name,
)

# --- fixture files, built here -------------------------------------------------------------


def make_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Invoice 2024-017: 1,250.00 due")
    return bytes(pdf.output())


def make_image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


def make_zip(members: dict[str, bytes], *, level: int = 6) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


CONTENT_TYPES = b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/"/>'


def make_docx(extra: dict[str, bytes] | None = None) -> bytes:
    members = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": b"<Relationships/>",
        "word/document.xml": b"<w:document><w:body><w:p>Dear customer</w:p></w:body></w:document>",
    }
    return make_zip(members | (extra or {}))


def make_xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["Invoice", "Amount"])
    workbook.active.append(["2024-017", 1250])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def make_eml() -> bytes:
    message = EmailMessage()
    message["From"] = "Shop Owner <owner@example.com>"
    message["To"] = "debtor@example.net"
    message["Subject"] = "Reminder: invoice 2024-017"
    message["Date"] = "Mon, 04 Mar 2024 09:00:00 +0000"
    message["Message-ID"] = "<123@example.com>"
    message.set_content("Dear customer,\nplease pay invoice 2024-017.\n")
    return bytes(message)


def check(name: str, data: bytes) -> Checked:
    """Call check_upload the way the upload route will."""
    return check_upload(name, data[:HEAD_BYTES], open_zip=lambda: io.BytesIO(data))


def rejection(name: str, data: bytes) -> UploadRejected:
    with pytest.raises(UploadRejected) as caught:
        check(name, data)
    return caught.value


PDF = make_pdf()
PNG = make_image("PNG")
JPEG = make_image("JPEG")
DOCX = make_docx()
XLSX = make_xlsx()
EML = make_eml()
TEXT = "Müller GmbH owes 1.250,00 € since 2024-01-31.\r\n".encode()

# --- accepted kinds ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("invoice.pdf", PDF, "pdf"),
        ("photo.png", PNG, "png"),
        ("photo.jpg", JPEG, "jpeg"),
        ("photo.jpeg", JPEG, "jpeg"),
        ("note.txt", TEXT, "text"),
        ("note.text", TEXT, "text"),
        ("ledger.csv", b"date,amount\n2024-01-31,1250.00\n", "text"),
        ("reminder.eml", EML, "eml"),
        ("letter.docx", DOCX, "docx"),
        ("ledger.xlsx", XLSX, "xlsx"),
    ],
)
def test_each_accepted_kind_is_recognised_with_its_mime(name: str, data: bytes, kind: str) -> None:
    assert check(name, data) == Checked(kind=kind, mime=ALLOWED_KINDS[kind], safe_name=name)


def test_extension_is_case_insensitive() -> None:
    assert check("SCAN.PDF", PDF).kind == "pdf"


def test_checked_name_is_the_safe_display_name() -> None:
    assert check("C:\\Users\\anna\\Desktop\\invoice.pdf", PDF).safe_name == "invoice.pdf"


# --- extension and content must agree ------------------------------------------------------


def test_png_named_pdf_is_rejected_with_reason() -> None:
    error = rejection("invoice.pdf", PNG)
    assert error.message == "“invoice.pdf” is not a PDF: its content is a PNG image."
    assert error.code == "mismatch"


def test_pdf_named_png_is_rejected_with_reason() -> None:
    assert rejection("photo.png", PDF).message == (
        "“photo.png” is not a PNG image: its content is a PDF."
    )


def test_unknown_extension_is_rejected_naming_accepted_types() -> None:
    error = rejection("x.exe", b"MZ\x90\x00" + b"\x00" * 100)
    assert error.message == f"“x.exe” is not a type we accept. {ACCEPTED_SUMMARY}"
    assert error.code == "unknown_type"


def test_missing_extension_is_rejected_naming_accepted_types() -> None:
    error = rejection("scan", PDF)
    assert error.code == "no_extension"
    assert ACCEPTED_SUMMARY in error.message


def test_bidi_trick_cannot_fake_an_extension() -> None:
    # Displays as "invoiceexe.pdf" in a bidi-aware UI; the real extension is .exe.
    assert rejection("invoice\u202efdp.exe", PDF).code == "unknown_type"


def test_empty_file_is_rejected() -> None:
    assert rejection("invoice.pdf", b"").message == "“invoice.pdf” is empty."


def test_program_named_pdf_is_rejected_naming_what_it_is() -> None:
    program = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(range(256)) * 4
    assert "a Windows program" in rejection("invoice.pdf", program).message


def test_iphone_heic_photo_named_jpg_is_explained() -> None:
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    assert "HEIC" in rejection("photo.jpg", heic).message


def test_pdf_signature_must_be_at_offset_zero() -> None:
    error = rejection("invoice.pdf", b"\xef\xbb\xbfjunk\n" + PDF)
    assert error.message == (
        "“invoice.pdf” is not a PDF: its content is a PDF with unexpected data in front of it."
    )


def test_jpeg_signature_must_be_at_offset_zero() -> None:
    assert rejection("photo.jpg", b"\x00" + JPEG).code == "mismatch"


# --- DOCX / XLSX ---------------------------------------------------------------------------


def test_docx_and_xlsx_told_apart_by_content() -> None:
    assert rejection("letter.xlsx", DOCX).message == (
        "“letter.xlsx” is not an Excel workbook: its content is a Word document."
    )
    assert rejection("ledger.docx", XLSX).message == (
        "“ledger.docx” is not a Word document: its content is an Excel workbook."
    )


def test_plain_zip_named_docx_is_rejected() -> None:
    archive = make_zip({"invoice.pdf": PDF})
    assert rejection("letter.docx", archive).message == (
        "“letter.docx” is not a Word document: its content is a ZIP archive."
    )


def test_docx_without_content_types_is_not_a_docx() -> None:
    archive = make_zip({"word/document.xml": b"<w:document/>"})
    assert rejection("letter.docx", archive).code == "mismatch"


def test_file_that_is_both_docx_and_xlsx_is_rejected() -> None:
    both = make_docx({"xl/workbook.xml": b"<workbook/>"})
    assert rejection("letter.docx", both).code == "unsafe_archive"


def test_macro_enabled_document_renamed_docx_is_rejected() -> None:
    error = rejection("letter.docx", make_docx({"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"}))
    assert "macros" in error.message


def test_zip_bomb_xlsx_is_rejected() -> None:
    bomb = make_zip(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "xl/workbook.xml": b"<workbook/>",
            "xl/worksheets/sheet1.xml": b"\0" * (8 * 1024 * 1024),
        },
        level=9,
    )
    assert len(bomb) < 100 * 1024
    error = rejection("ledger.xlsx", bomb)
    assert error.code == "unsafe_archive"
    assert "zip bomb" in error.message


def test_small_very_compressible_member_is_not_a_bomb() -> None:
    # 500 KB of repeated XML compresses far better than 100:1 but is harmless.
    docx = make_docx({"word/styles.xml": b"<w:style/>" * 50_000})
    assert check("letter.docx", docx).kind == "docx"


def test_zip_over_total_uncompressed_limit_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checks, "MAX_ZIP_UNCOMPRESSED", 1000)
    docx = make_docx({"word/media/image1.png": PNG + bytes(range(256)) * 4})
    assert "far too much data" in rejection("letter.docx", docx).message


def test_zip_with_too_many_members_is_rejected() -> None:
    many = make_docx({f"word/media/{i}.xml": b"" for i in range(2_001)})
    assert "too many files" in rejection("letter.docx", many).message


@pytest.mark.parametrize(
    "member", ["../../evil.xml", "word/../../evil.xml", "..\\evil.xml", "word\\..\\..\\x"]
)
def test_zip_member_with_parent_path_is_rejected(member: str) -> None:
    error = rejection("letter.docx", make_docx({member: b"x"}))
    assert error.message == (
        "“letter.docx” cannot be accepted: it contains a file with a path outside the archive."
    )


@pytest.mark.parametrize("member", ["/etc/cron.d/x", "\\windows\\x.xml", "C:/x.xml", "c:x.xml"])
def test_zip_member_with_absolute_path_is_rejected(member: str) -> None:
    assert rejection("letter.docx", make_docx({member: b"x"})).code == "unsafe_archive"


def test_zip_with_duplicate_member_is_rejected() -> None:
    out = io.BytesIO(make_docx())
    with zipfile.ZipFile(out, "a") as archive, pytest.warns(UserWarning, match="Duplicate"):
        archive.writestr("word/document.xml", b"<w:document>other</w:document>")
    assert "same file twice" in rejection("letter.docx", out.getvalue()).message


def test_encrypted_zip_member_is_rejected() -> None:
    # zipfile cannot write encrypted members: set the "encrypted" flag in the central directory.
    entry = b"PK\x01\x02"
    data = bytearray(DOCX)
    position = data.find(entry)
    while position != -1:
        data[position + 8] |= 0x1
        position = data.find(entry, position + 1)
    assert "encrypted" in rejection("letter.docx", bytes(data)).message


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04" + b"\xff" * 200,
        DOCX[: len(DOCX) // 2],
        DOCX[:-10],
        b"PK\x05\x06" + b"\x00" * 18,
    ],
    ids=["garbage", "first-half", "truncated-end", "bare-end-record"],
)
def test_corrupt_zip_is_rejected_not_crashing(data: bytes) -> None:
    error = rejection("letter.docx", data)
    assert error.code in {"damaged", "mismatch"}


def test_mutilated_zips_only_ever_raise_upload_rejected() -> None:
    rng = random.Random(20240304)
    codes = set()
    for _ in range(300):
        data = bytearray(DOCX)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data) - 200, len(data))] = rng.randrange(256)
        try:
            check("letter.docx", bytes(data))
        except UploadRejected as error:  # anything else fails the test
            codes.add(error.code)
    assert "damaged" in codes


def test_docx_cannot_be_accepted_without_looking_inside() -> None:
    with pytest.raises(UploadRejected) as caught:
        check_upload("letter.docx", DOCX[:HEAD_BYTES])
    assert caught.value.code == "not_checked"


def test_open_zip_stream_is_left_open_at_its_position() -> None:
    stream = io.BytesIO(DOCX)
    stream.seek(7)
    assert check_upload("letter.docx", DOCX, open_zip=lambda: stream).kind == "docx"
    assert not stream.closed
    assert stream.tell() == 7


# --- polyglots -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [("photo.png", PNG), ("invoice.pdf", PDF), ("photo.jpg", JPEG), ("note.txt", TEXT * 400)],
    ids=["png", "pdf", "jpeg", "text"],
)
def test_file_with_appended_zip_is_rejected_as_polyglot(name: str, data: bytes) -> None:
    error = rejection(name, data + make_zip({"payload.html": b"<script>alert(1)</script>"}))
    assert error.code == "polyglot"


def test_pdf_starting_with_zip_is_not_a_pdf() -> None:
    assert rejection("invoice.pdf", make_zip({"a.pdf": PDF})).code == "mismatch"


# --- text and e-mail -----------------------------------------------------------------------


def test_eml_recognised_by_headers() -> None:
    assert check("reminder.eml", EML).mime == "message/rfc822"


def test_eml_with_received_headers_first_is_recognised() -> None:
    received = b"Received: from mx.example.com by mail.example.net; Mon, 4 Mar 2024\r\n" + EML
    assert check("reminder.eml", received).kind == "eml"


def test_eml_with_mbox_from_line_is_recognised() -> None:
    assert check("reminder.eml", b"From owner@example.com Mon Mar  4 09:00:00 2024\n" + EML)


def test_eml_saved_as_txt_is_accepted_as_text() -> None:
    assert check("reminder.txt", EML) == Checked("text", "text/plain", "reminder.txt")


def test_plain_text_named_eml_is_rejected() -> None:
    assert rejection("reminder.eml", TEXT).message == (
        "“reminder.eml” is not an e-mail: its content is plain text."
    )


def test_text_mentioning_pdf_is_still_text() -> None:
    assert check("note.txt", b"Attached: scan.pdf (%PDF-1.7, 2 pages)\n").kind == "text"


def test_text_with_one_header_line_is_not_an_email() -> None:
    assert rejection("note.eml", b"Subject: unpaid\n\nPlease pay.\n").code == "mismatch"


def test_binary_named_txt_is_rejected() -> None:
    noise = random.Random(7).randbytes(4096)
    error = rejection("note.txt", noise)
    assert error.message == "“note.txt” is not plain text: its content is data we do not recognise."


def test_text_with_nul_bytes_is_rejected() -> None:
    utf16 = "Invoice 2024-017".encode("utf-16")
    assert rejection("note.txt", utf16).code == "mismatch"


def test_text_with_many_control_characters_is_rejected() -> None:
    assert rejection("note.txt", b"abc\x01\x02\x03def\x1b" * 50).code == "mismatch"


def test_windows_1252_text_is_accepted() -> None:
    assert check("note.txt", "Müller owes 1.250 € – «overdue»".encode("cp1252")).kind == "text"


def test_utf8_character_cut_at_end_of_head_is_still_text() -> None:
    data = ("a" * (HEAD_BYTES - 1) + "€ and more").encode()
    assert data[:HEAD_BYTES].endswith(b"a\xe2")
    assert check("note.txt", data).kind == "text"


# --- display names -------------------------------------------------------------------------


def test_display_name_strips_path_and_bidi_controls() -> None:
    assert safe_display_name("../../etc/\u202einvoice\u2066.pdf") == "invoice.pdf"
    assert safe_display_name("C:\\Users\\anna\\scan\u200f.pdf") == "scan.pdf"


def test_display_name_removes_nul_and_control_chars() -> None:
    assert safe_display_name("in\x00voi\r\nce\x7f\x85.pdf") == "invoice.pdf"


def test_display_name_trims_trailing_dots_and_spaces() -> None:
    assert safe_display_name("  invoice.pdf . . ") == "invoice.pdf"


def test_long_display_name_is_cut_keeping_extension() -> None:
    name = safe_display_name("a" * 500 + ".pdf")
    assert len(name) == 200
    assert name.endswith("aaa.pdf")


def test_long_display_name_without_extension_is_cut() -> None:
    assert safe_display_name("b" * 500) == "b" * 200


def test_display_name_keeps_ordinary_unicode() -> None:
    assert safe_display_name("Rechnung Müller – März.pdf") == "Rechnung Müller – März.pdf"


@pytest.mark.parametrize("raw", ["", "..", ".", "/", "dir/", " . ", "\u202e\x00"])
def test_empty_display_name_becomes_document(raw: str) -> None:
    assert safe_display_name(raw) == "document"
