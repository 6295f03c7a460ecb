"""The documents service: staging, attaching, tokens, listing and collecting garbage."""

from __future__ import annotations

import hashlib
import os
import re
import time
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from portal.documents import services
from portal.documents.services import DuplicateDocument, StagedFile
from portal.documents.storage import LocalFolderStorage
from portal.errors import DomainError
from portal.extensions import db
from portal.models import Document, Event, Side
from tests import factories
from tests.documents.helpers import (
    PNG,
    correspondence,
    docx,
    draft_case,
    file_storage,
    pdf,
    stored_files,
    worked_case,
)

KEY = re.compile(r"[A-Za-z0-9_-]{32}")


def _doc_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Document))


def _age(key: str, days: float) -> None:
    path = services.storage().path_for(key)
    then = time.time() - days * 86400
    os.utime(path, (then, then))


def test_storage_is_built_once_per_app_from_its_config(app):
    store = services.storage()
    assert isinstance(store, LocalFolderStorage)
    assert str(store.root) == app.config["DOCUMENT_ROOT"]
    assert services.storage() is store


def test_stored_under_a_random_key_not_the_uploaded_name(world):
    case = draft_case(world)
    doc = services.upload(case, file_storage(pdf(), "invoice-1031.pdf"), world.business_member)
    assert KEY.fullmatch(doc.storage_key)
    assert doc.filename == "invoice-1031.pdf"
    path = services.storage().path_for(doc.storage_key)
    assert path.read_bytes() == pdf()
    assert "invoice" not in str(path)
    assert not any("invoice" in str(p) for p in stored_files())


def test_a_path_in_the_uploaded_name_is_only_shown_never_used(world):
    case = draft_case(world)
    doc = services.upload(case, file_storage(pdf(), "../../etc/contract.pdf"), world.business_admin)
    assert doc.filename == "contract.pdf"
    assert KEY.fullmatch(doc.storage_key)


def test_size_and_sha256_are_recorded(world):
    case = draft_case(world)
    content = pdf(7)
    doc = services.upload(
        case,
        file_storage(content, "letter.pdf"),
        world.business_member,
        description="  Demand letter  ",
    )
    assert doc.size_bytes == len(content)
    assert doc.sha256 == hashlib.sha256(content).hexdigest()
    assert (doc.kind, doc.content_type) == ("pdf", "application/pdf")
    assert doc.description == "Demand letter"
    assert doc.side == Side.BUSINESS
    assert doc.uploaded_by_id == world.business_member.id
    assert doc.uploaded_at is not None


def test_the_type_is_decided_by_content_for_office_files_too(world):
    case = draft_case(world)
    doc = services.upload(case, file_storage(docx(), "contract.docx"), world.business_member)
    assert doc.kind == "docx"
    assert doc.content_type.endswith("wordprocessingml.document")


def test_the_same_file_twice_on_one_case_is_noticed(world):
    case = draft_case(world)
    first = services.upload(case, file_storage(pdf(), "invoice-1031.pdf"), world.business_member)
    before = stored_files()
    with pytest.raises(DuplicateDocument) as refused:
        services.upload(case, file_storage(pdf(), "scan.pdf"), world.business_admin)
    assert refused.value.existing == first
    message = refused.value.message
    assert message.startswith("“scan.pdf” is already on the case as “invoice-1031.pdf”, added ")
    assert re.search(r"added \d{1,2} \w{3} \d{4}\.$", message)
    assert _doc_count() == 1
    assert stored_files() == before  # the second copy's bytes are not kept


def test_the_same_file_on_two_cases_is_two_documents(world):
    one, two = draft_case(world), draft_case(world)
    services.upload(one, file_storage(pdf(), "a.pdf"), world.business_member)
    services.upload(two, file_storage(pdf(), "a.pdf"), world.business_member)
    assert _doc_count() == 2


def test_content_not_matching_the_name_is_refused_with_a_reason(world):
    case = draft_case(world)
    before = stored_files()
    with pytest.raises(DomainError) as refused:
        services.upload(case, file_storage(pdf(), "x.png"), world.business_member)
    assert refused.value.message == "“x.png” is not a PNG image: its content is a PDF."
    with pytest.raises(DomainError, match=r"“photo\.exe” is not a type we accept"):
        services.stage(file_storage(b"MZ\x90\x00", "photo.exe"), world.business_member)
    assert stored_files() == before
    assert _doc_count() == 0


def test_a_file_with_a_zip_hidden_inside_is_refused(world):
    with pytest.raises(DomainError, match="ZIP archive hidden inside it"):
        services.stage(file_storage(PNG + docx(), "photo.png"), world.business_member)


def test_oversize_file_is_refused_and_nothing_is_stored(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_FILE_BYTES", 15 * 1024 * 1024)
    case = draft_case(world)
    before = stored_files()
    big = pdf() + b"0" * (15 * 1024 * 1024)
    with pytest.raises(DomainError) as refused:
        services.upload(case, file_storage(big, "big.pdf"), world.business_member)
    assert refused.value.message == "“big.pdf” is larger than 15 MB."
    assert stored_files() == before
    assert _doc_count() == 0


def test_a_file_exactly_at_the_limit_is_kept(app, world, monkeypatch):
    content = pdf() + b"0" * 100
    monkeypatch.setitem(app.config, "MAX_FILE_BYTES", len(content))
    staged = services.stage(file_storage(content, "edge.pdf"), world.business_member)
    assert staged.size == len(content)


def test_an_empty_file_or_a_missing_name_is_refused(world):
    with pytest.raises(DomainError, match=r"“empty\.pdf” is empty\."):
        services.stage(file_storage(b"", "empty.pdf"), world.business_member)
    with pytest.raises(DomainError, match="Choose a file"):
        services.stage(file_storage(pdf(), ""), world.business_member)


def test_staged_token_is_bound_to_the_user_and_tamper_proof(world):
    staged = services.stage(file_storage(pdf(), "invoice.pdf"), world.business_member)
    token = services.staged_token(staged, world.business_member)
    assert services.staged_from_token(token, world.business_member) == staged
    assert services.staged_from_token(token, world.business_admin) is None
    assert (
        services.staged_from_token(
            token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), world.business_member
        )
        is None
    )
    assert services.staged_from_token("", world.business_member) is None
    assert services.staged_from_token("not-a-token", world.business_member) is None
    forged = StagedFile(**{**staged.__dict__, "key": "A" * 32})
    assert (
        services.staged_from_token(
            services.staged_token(forged, world.business_member), world.business_member
        )
        is None
    )  # nothing stored there


def test_staged_token_expires_after_a_day(world, monkeypatch):
    staged = services.stage(file_storage(pdf(), "invoice.pdf"), world.business_member)
    now = int(time.time())
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: now - 86400 - 60)
    token = services.staged_token(staged, world.business_member)
    monkeypatch.undo()
    assert services.staged_from_token(token, world.business_member) is None


def test_staged_token_is_none_once_its_file_is_gone_or_on_a_case(world):
    gone = services.stage(file_storage(pdf(1), "a.pdf"), world.business_member)
    token = services.staged_token(gone, world.business_member)
    services.storage().delete(gone.key)
    assert services.staged_from_token(token, world.business_member) is None

    used = services.stage(file_storage(pdf(2), "b.pdf"), world.business_member)
    token = services.staged_token(used, world.business_member)
    services.attach(draft_case(world), used, world.business_member)
    assert services.staged_from_token(token, world.business_member) is None
    with pytest.raises(DomainError, match="already been added"):
        services.attach(draft_case(world), used, world.business_member)


def test_attach_records_who_and_an_audit_event(world):
    case = worked_case(world)
    staged = services.stage(file_storage(pdf(), "proof.pdf"), world.caseworker)
    doc = services.attach(case, staged, world.caseworker)
    assert doc.side == Side.AGENCY
    event = db.session.scalars(select(Event).where(Event.kind == "document_added")).one()
    assert event.case_id == case.id
    assert event.actor_id == world.caseworker.id
    assert event.after["sha256"] == doc.sha256
    assert "proof.pdf" in event.summary


def test_a_document_can_belong_to_a_contact_of_the_same_case_only(world):
    case, other = draft_case(world), draft_case(world)
    entry = correspondence(case, world.business_member)
    foreign = correspondence(other, world.business_member)
    staged = services.stage(file_storage(pdf(), "letter.pdf"), world.business_member)
    with pytest.raises(DomainError, match="another case"):
        services.attach(case, staged, world.business_member, correspondence=foreign)
    doc = services.attach(case, staged, world.business_member, correspondence=entry)
    assert doc.correspondence == entry
    assert entry.documents == [doc]


def test_services_flush_and_leave_the_commit_to_the_route(world):
    case = draft_case(world)
    services.upload(case, file_storage(pdf(), "a.pdf"), world.business_member)
    assert _doc_count() == 1
    db.session.rollback()
    assert _doc_count() == 0


def test_documents_of_shows_only_what_the_user_may_see(world):
    case = worked_case(world)
    services.upload(case, file_storage(pdf(1), "a.pdf"), world.business_member)
    services.upload(case, file_storage(pdf(2), "b.pdf"), world.caseworker)
    db.session.commit()
    names = [d.filename for d in services.documents_of(case, world.business_member)]
    assert names == ["a.pdf", "b.pdf"]
    assert len(services.documents_of(case, world.agency_admin)) == 2
    assert services.documents_of(case, world.other_caseworker) == []
    assert services.documents_of(case, world.other_business_admin) == []
    assert services.documents_of(case, world.other_agency_admin) == []


def test_open_document_returns_the_stored_bytes(world):
    doc = services.upload(draft_case(world), file_storage(pdf(3), "a.pdf"), world.business_admin)
    with services.open_document(doc) as stream:
        assert stream.read() == pdf(3)


def test_abandoned_staged_files_are_collected(world):
    case = draft_case(world)
    abandoned = services.stage(file_storage(pdf(1), "abandoned.pdf"), world.business_member)
    kept = services.upload(case, file_storage(pdf(2), "kept.pdf"), world.business_member)
    db.session.commit()
    recent = services.stage(file_storage(pdf(3), "recent.pdf"), world.business_member)
    _age(abandoned.key, days=3)
    _age(kept.storage_key, days=3)
    store = services.storage()

    assert services.collect_garbage(timedelta(days=2)) == 1

    assert not store.exists(abandoned.key)
    assert store.exists(kept.storage_key)
    assert store.exists(recent.key)


def test_garbage_collection_never_takes_a_file_a_valid_token_may_still_use(world):
    with pytest.raises(ValueError, match="at least"):
        services.collect_garbage(timedelta(hours=1))


def test_interrupted_uploads_leave_temp_files_that_are_collected(app, world):
    root = services.storage().root
    root.mkdir(parents=True, exist_ok=True)
    stale, fresh = root / ".upload-stale.tmp", root / ".upload-fresh.tmp"
    stale.write_bytes(b"half"), fresh.write_bytes(b"half")
    then = time.time() - 3 * 86400
    os.utime(stale, (then, then))
    services.collect_garbage()
    assert not stale.exists()
    assert fresh.exists()
    fresh.unlink()


def test_who_may_upload(world):
    draft, worked = draft_case(world), worked_case(world)
    submitted = factories.case(world.business, world.agency, status="submitted")
    db.session.commit()
    assert services.may_upload(draft, world.business_member)
    assert services.may_upload(submitted, world.business_admin)
    assert services.may_upload(worked, world.business_member)
    assert services.may_upload(worked, world.agency_admin)
    assert services.may_upload(worked, world.caseworker)
    assert not services.may_upload(worked, world.other_caseworker)
    assert not services.may_upload(submitted, world.agency_admin)
    assert not services.may_upload(worked, world.other_business_admin)
    assert not services.may_upload(worked, world.other_agency_admin)


def test_human_sizes():
    assert services.human_size(1) == "1 byte"
    assert services.human_size(900) == "900 bytes"
    assert services.human_size(1536) == "1.5 KB"
    assert services.human_size(15 * 1024 * 1024) == "15.0 MB"
    assert services.human_size(150 * 1024 * 1024) == "150 MB"


def test_the_collect_garbage_command_removes_abandoned_uploads(app, world):
    abandoned = services.stage(file_storage(pdf(4), "abandoned.pdf"), world.business_member)
    db.session.commit()
    _age(abandoned.key, days=3)

    result = app.test_cli_runner().invoke(args=["documents", "collect-garbage"])

    assert result.exit_code == 0, result.output
    assert "Removed 1 abandoned file." in result.output
    assert not services.storage().exists(abandoned.key)
