"""Small files and helpers for the documents tests."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from flask import current_app
from werkzeug.datastructures import FileStorage

from portal.extensions import db
from portal.models import (
    Case,
    CaseStatus,
    Channel,
    CloseCode,
    CorrespondenceEntry,
    Direction,
    Side,
    utcnow,
)
from tests import factories

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def pdf(n: int = 0) -> bytes:
    """A small PDF; a different `n` gives different content (and SHA-256)."""
    return PDF + f"% copy {n}\n".encode()


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr("word/document.xml", "<w:document>Dear customer</w:document>")
    return out.getvalue()


def file_storage(content: bytes, filename: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(content), filename=filename)


def files_data(*files: tuple[bytes, str], **fields) -> dict:
    """Form data for the upload route: several files under `files`, plus other fields."""
    return {"files": [(io.BytesIO(content), name) for content, name in files], **fields}


def stored_files() -> set[Path]:
    """Every file under the document root (documents and temp files alike)."""
    root = Path(current_app.config["DOCUMENT_ROOT"])
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def draft_case(world) -> Case:
    case = factories.case(world.business)
    db.session.commit()
    return case


def worked_case(world, status: CaseStatus = CaseStatus.IN_COLLECTION) -> Case:
    """A case the agency has accepted and assigned to `world.caseworker`."""
    case = factories.case(
        world.business, world.agency, status=status, assigned_to_id=world.caseworker.id
    )
    db.session.commit()
    return case


def closed_case(world) -> Case:
    case = factories.case(
        world.business,
        world.agency,
        status=CaseStatus.CLOSED,
        close_code=CloseCode.PAID_IN_FULL,
        assigned_to_id=world.caseworker.id,
    )
    db.session.commit()
    return case


def correspondence(case: Case, user, **fields) -> CorrespondenceEntry:
    entry = CorrespondenceEntry(
        case_id=case.id,
        side=Side.BUSINESS,
        occurred_at=utcnow(),
        channel=Channel.PHONE,
        direction=Direction.OUTBOUND,
        summary=fields.pop("summary", "Called about INV-1"),
        recorded_by_id=user.id,
        recorded_at=utcnow(),
        **fields,
    )
    db.session.add(entry)
    db.session.flush()
    return entry
