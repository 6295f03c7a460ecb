"""What a user may upload: content sniffing against an allow-list, and a safe display name.

`check_upload` decides a file's kind from its *content* (the first bytes, plus a look inside the
archive for DOCX/XLSX), then requires the file name's extension to agree. Rejections carry a
plain-English message meant for the person uploading.

What is caught, beyond "the content is not what the name says":

- PDF, PNG and JPEG must start with their signature at offset 0 (no junk in front).
- When `open_zip` is given, a PDF/PNG/JPEG/text/e-mail file that is *also* a readable ZIP archive
  (e.g. a PNG or PDF with a ZIP appended) is rejected as a polyglot.
- DOCX/XLSX are inspected without extracting anything (`ZipInfo` only): too many members, too
  much uncompressed data, a suspicious compression ratio (zip bomb), absolute or ``..`` member
  names, duplicate or encrypted members, macros (``vbaProject.bin``), a file that is both a Word
  document and an Excel workbook, and any archive `zipfile` cannot read.

Not caught: active content inside an accepted type (PDF JavaScript, external links in Office
files), a malformed appended ZIP that Python cannot read but another tool might, and anything in
a text file beyond `head`. Serve documents with ``X-Content-Type-Options: nosniff`` and
``Content-Disposition: attachment``.
"""

from __future__ import annotations

import codecs
import re
import struct
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.parser import HeaderParser
from typing import BinaryIO, NoReturn

ALLOWED_KINDS = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "text": "text/plain",
    "eml": "message/rfc822",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXTENSION_KINDS = {
    "pdf": "pdf",
    "png": "png",
    "jpg": "jpeg",
    "jpeg": "jpeg",
    "txt": "text",
    "text": "text",
    "csv": "text",
    "eml": "eml",
    "docx": "docx",
    "xlsx": "xlsx",
}
ACCEPTED_SUMMARY = (
    "Accepted: PDF, PNG, JPEG, plain text, e-mail (.eml), Word (.docx), Excel (.xlsx)."
)

HEAD_BYTES = 8 * 1024  # how much of the file to pass as `head`
MAX_NAME_CHARS = 200
MAX_ZIP_MEMBERS = 2_000
MAX_ZIP_UNCOMPRESSED = 100 * 1024 * 1024
MAX_ZIP_RATIO = 100
ZIP_RATIO_FLOOR = 1024 * 1024  # members smaller than this may compress as well as they like

# How a kind (accepted or not) is named in messages: "... is not <this>: its content is <this>."
_PHRASES = {
    "pdf": "a PDF",
    "png": "a PNG image",
    "jpeg": "a JPEG image",
    "text": "plain text",
    "eml": "an e-mail",
    "docx": "a Word document",
    "xlsx": "an Excel workbook",
    "zip": "a ZIP archive",
    "pptx": "a PowerPoint presentation",
    "odf": "an OpenDocument (LibreOffice) file",
    "pdf_late": "a PDF with unexpected data in front of it",
    "exe": "a Windows program",
    "elf": "a program",
    "gif": "a GIF image",
    "tiff": "a TIFF image",
    "bmp": "a BMP image",
    "webp": "a WebP image",
    "heic": "a HEIC photo (the iPhone photo format; export it as JPEG)",
    "video": "a video",
    "ole": "an older Microsoft Office or Outlook file (.doc, .xls, .msg) or a password-protected"
    " Office file",
    "rar": "a RAR archive",
    "7z": "a 7-Zip archive",
    "gzip": "a gzip archive",
    "binary": "data we do not recognise",
}
_SIGNATURE_KINDS = (
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
)
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
_OTHER_SIGNATURES = (
    (b"MZ", "exe"),
    (b"\x7fELF", "elf"),
    (b"GIF8", "gif"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"BM", "bmp"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
    (b"Rar!\x1a\x07", "rar"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"\x1f\x8b", "gzip"),
)
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"}
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    ValueError,  # includes UnicodeDecodeError for bad UTF-8 member names
    struct.error,
    NotImplementedError,
    OverflowError,
)
_TEXT_CONTROLS_ALLOWED = frozenset("\t\n\r\f\v\x1a")
_BIDI_CONTROLS = frozenset(
    chr(c) for c in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
)
_UNSAFE_NAME_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
_HEADER_LINE = re.compile(r"[!-9;-~]+:")
_TRAILING_DOTS_SPACES = re.compile(r"[\s.]+\Z")


@dataclass(frozen=True)
class Checked:
    """An accepted upload: its kind (a key of `ALLOWED_KINDS`), MIME type and display name."""

    kind: str
    mime: str
    safe_name: str


class UploadRejected(Exception):
    """An upload we will not store. `message` is plain English for the person uploading.

    `code` is a short machine-readable reason: ``empty``, ``no_extension``, ``unknown_type``,
    ``mismatch``, ``polyglot``, ``unsafe_archive``, ``damaged`` or ``not_checked``.
    """

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def check_upload(
    filename: str,
    head: bytes,
    *,
    open_zip: Callable[[], BinaryIO] | None = None,
) -> Checked:
    """Accept an upload whose content is an allowed kind and agrees with its extension.

    `head` is the start of the file (`HEAD_BYTES` is plenty). `open_zip` returns a seekable
    binary stream of the *whole* file; it is needed to tell DOCX from XLSX and, when given, is
    also used to reject other kinds that hide a ZIP archive. The stream is not closed and its
    position is restored. Raises `UploadRejected` (and nothing else) for any unacceptable file.
    """
    name = safe_display_name(filename)
    expected = _kind_from_extension(name)
    if not head:
        raise UploadRejected(f"“{name}” is empty.", code="empty")
    found = _sniff(name, head, open_zip)
    if found != expected and not (expected == "text" and found == "eml"):
        raise UploadRejected(
            f"“{name}” is not {_PHRASES[expected]}: its content is {_PHRASES[found]}.",
            code="mismatch",
        )
    if found not in ("docx", "xlsx") and open_zip is not None:
        _reject_hidden_zip(name, open_zip)
    return Checked(kind=expected, mime=ALLOWED_KINDS[expected], safe_name=name)


def safe_display_name(filename: str) -> str:
    """A file name fit for display and Content-Disposition; never used as a path.

    Keeps the last path component (splitting on ``/`` and ``\\``), removes control characters
    (NUL included), bidi overrides and line separators, trims trailing dots and spaces, cuts to
    200 characters keeping the extension, and falls back to ``'document'``.
    """
    name = unicodedata.normalize("NFC", filename or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if not _is_unsafe_name_char(ch))
    name = _TRAILING_DOTS_SPACES.sub("", name).lstrip()
    name = _shorten(name, MAX_NAME_CHARS)
    return name or "document"


def _is_unsafe_name_char(ch: str) -> bool:
    return ch in _BIDI_CONTROLS or unicodedata.category(ch) in _UNSAFE_NAME_CATEGORIES


def _shorten(name: str, limit: int) -> str:
    """Cut `name` to `limit` characters, keeping a (short) extension."""
    if len(name) <= limit:
        return name
    stem, dot, ext = name.rpartition(".")
    if dot and stem and len(ext) < limit // 2:
        stem = stem[: limit - len(ext) - 1]
        return _TRAILING_DOTS_SPACES.sub("", stem) + "." + ext
    return _TRAILING_DOTS_SPACES.sub("", name[:limit])


def _kind_from_extension(name: str) -> str:
    """The kind the extension promises; reject a missing or unaccepted extension."""
    _stem, dot, ext = name.rpartition(".")
    if not dot:
        raise UploadRejected(
            f"“{name}” has no file extension, so we cannot tell what it is. {ACCEPTED_SUMMARY}",
            code="no_extension",
        )
    kind = EXTENSION_KINDS.get(ext.lower())
    if kind is None:
        raise UploadRejected(
            f"“{name}” is not a type we accept. {ACCEPTED_SUMMARY}", code="unknown_type"
        )
    return kind


def _sniff(name: str, head: bytes, open_zip: Callable[[], BinaryIO] | None) -> str:
    """The kind of the content: a key of `_PHRASES` (accepted kinds are keys of ALLOWED_KINDS)."""
    for signature, kind in _SIGNATURE_KINDS:
        if head.startswith(signature):
            return kind
    if head.startswith(_ZIP_SIGNATURES):
        return _zip_kind(name, open_zip)
    text = decode_text(head)
    if text is not None:
        return "eml" if looks_like_email(text) else "text"
    if b"%PDF-" in head[:1024]:
        return "pdf_late"
    return _other_kind(head)


def _other_kind(head: bytes) -> str:
    """Name a few common types we do not accept, for a helpful message."""
    for signature, kind in _OTHER_SIGNATURES:
        if head.startswith(signature):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp":
        return "heic" if head[8:12] in _HEIC_BRANDS else "video"
    return "binary"


def decode_text(head: bytes) -> str | None:
    """`head` as text if it is UTF-8 (or cp1252) with no NUL and at most 1% control characters.

    A multi-byte UTF-8 character cut off at the end of `head` is tolerated.
    """
    if b"\x00" in head:
        return None
    try:
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
    except UnicodeDecodeError:
        try:
            text = head.decode("cp1252")
        except UnicodeDecodeError:
            return None
    controls = sum(
        1 for ch in text if ch not in _TEXT_CONTROLS_ALLOWED and unicodedata.category(ch) == "Cc"
    )
    return None if controls * 100 > len(text) else text


def looks_like_email(text: str) -> bool:
    """Whether `text` starts with RFC 822 headers that make it an e-mail message.

    The first line must be a header; the header block must hold Received or Message-ID, or
    From together with To, Subject or Date. A leading mbox ``From `` line is skipped.
    """
    text = text.lstrip("\r\n")
    if text.startswith("From "):
        text = text.partition("\n")[2]
    if not _HEADER_LINE.match(text):
        return False
    headers = {key.lower() for key in HeaderParser().parsestr(text, headersonly=True)}
    if headers & {"received", "message-id"}:
        return True
    return "from" in headers and bool(headers & {"to", "subject", "date"})


@contextmanager
def _rewound(open_stream: Callable[[], BinaryIO]) -> Iterator[BinaryIO]:
    """The stream from `open_stream`, at offset 0; its position is put back afterwards."""
    stream = open_stream()
    start = stream.tell()
    try:
        stream.seek(0)
        yield stream
    finally:
        stream.seek(start)


def _read_zip_members(open_zip: Callable[[], BinaryIO]) -> list[zipfile.ZipInfo]:
    """The archive's central directory; raises one of `_ZIP_ERRORS` if it cannot be read."""
    with _rewound(open_zip) as stream, zipfile.ZipFile(stream) as archive:
        return archive.infolist()


def _zip_kind(name: str, open_zip: Callable[[], BinaryIO] | None) -> str:
    """Check a ZIP for safety (without extracting) and tell DOCX, XLSX and others apart."""
    if open_zip is None:
        raise UploadRejected(f"We could not check the contents of “{name}”.", code="not_checked")
    try:
        members = _read_zip_members(open_zip)
    except _ZIP_ERRORS as exc:
        raise UploadRejected(f"“{name}” is damaged and cannot be opened.", code="damaged") from exc
    _check_zip_safety(name, members)
    return _office_kind(name, {member.filename.lower() for member in members})


def _office_kind(name: str, names: set[str]) -> str:
    """DOCX or XLSX by their main parts; a few other archives named for the message."""
    if any(n.rpartition("/")[2] == "vbaproject.bin" for n in names):
        _unsafe(name, "it contains macros")
    is_ooxml = "[content_types].xml" in names
    is_docx = is_ooxml and "word/document.xml" in names
    is_xlsx = is_ooxml and "xl/workbook.xml" in names
    if is_docx and is_xlsx:
        _unsafe(name, "it claims to be both a Word document and an Excel workbook")
    if is_docx:
        return "docx"
    if is_xlsx:
        return "xlsx"
    if is_ooxml and "ppt/presentation.xml" in names:
        return "pptx"
    if "mimetype" in names and "content.xml" in names:
        return "odf"
    return "zip"


def _check_zip_safety(name: str, members: list[zipfile.ZipInfo]) -> None:
    """Reject archives that are unsafe to unpack, judged from the central directory alone."""
    if len(members) > MAX_ZIP_MEMBERS:
        _unsafe(name, f"it holds too many files ({len(members)})")
    seen: set[str] = set()
    total = 0
    for member in members:
        _check_member(name, member, seen)
        total += member.file_size
    if total > MAX_ZIP_UNCOMPRESSED:
        _unsafe(name, "it would unpack to far too much data")


def _check_member(name: str, member: zipfile.ZipInfo, seen: set[str]) -> None:
    path = member.filename
    parts = re.split(r"[\\/]", path)
    if path.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", path) or ".." in parts:
        _unsafe(name, "it contains a file with a path outside the archive")
    if path in seen:
        _unsafe(name, "it contains the same file twice")
    seen.add(path)
    if member.flag_bits & 0x1:
        _unsafe(name, "it is encrypted")
    too_compressed = member.file_size > MAX_ZIP_RATIO * max(member.compress_size, 1)
    if member.file_size > ZIP_RATIO_FLOOR and too_compressed:
        _unsafe(name, "it is compressed suspiciously well (a possible “zip bomb”)")


def _unsafe(name: str, reason: str) -> NoReturn:
    raise UploadRejected(f"“{name}” cannot be accepted: {reason}.", code="unsafe_archive")


def _reject_hidden_zip(name: str, open_zip: Callable[[], BinaryIO]) -> None:
    """Reject a file that a ZIP reader would also open (e.g. a PNG with a ZIP appended)."""
    try:
        members = _read_zip_members(open_zip)
    except _ZIP_ERRORS:
        return
    if members:
        raise UploadRejected(
            f"“{name}” cannot be accepted: it has a ZIP archive hidden inside it.",
            code="polyglot",
        )
