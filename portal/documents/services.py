"""Documents on a case: stage an upload, attach it, list, open, and collect abandoned files.

An upload is handled in two steps so a form can keep a file across a refused submit:

1. `stage()` checks the file's type by its content, streams it into storage under a random key
   within the size limit, and returns a `StagedFile`. Nothing is written to the database.
   `staged_token()` signs it for a hidden form field; `staged_from_token()` reads it back.
2. `attach()` creates the `Document` row on a case (and its audit event). Services flush, never
   commit: the route commits once.

A stored file with no `Document` row is garbage; `collect_garbage()` removes those older than a
given age (run by ``flask --app portal documents-gc``).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import BinaryIO
from zoneinfo import ZoneInfo

from flask import current_app, g, has_request_context
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import FileStorage

from portal import audit
from portal.documents.checks import HEAD_BYTES, UploadRejected, check_upload
from portal.documents.storage import (
    FileTooLarge,
    InvalidKey,
    Storage,
    StorageError,
    storage_from_config,
    validate_key,
)
from portal.errors import DomainError
from portal.extensions import db
from portal.models import (
    Case,
    CaseStatus,
    CorrespondenceEntry,
    Document,
    Role,
    Side,
    User,
    utcnow,
)
from portal.tenancy import owned

log = logging.getLogger(__name__)

STAGED_SALT = "staged-upload"
STAGED_MAX_AGE = timedelta(days=1)
# A stored file is only garbage once no valid token can still point at it (with a margin for a
# request that read its token just before it expired).
GARBAGE_MIN_AGE = STAGED_MAX_AGE + timedelta(hours=1)
_EXTENSION_KEY = "portal.documents.storage"


@dataclass(frozen=True)
class StagedFile:
    """An upload that passed the checks and is stored, but not yet on a case."""

    key: str
    filename: str
    size: int
    sha256: str
    kind: str
    content_type: str


class DuplicateDocument(DomainError):
    """The same content (SHA-256) is already on the case, as `existing`."""

    def __init__(self, message: str, existing: Document, field: str | None = None):
        super().__init__(message, field)
        self.existing = existing


# --- storage -------------------------------------------------------------------------------


def storage() -> Storage:
    """The app's document storage, built from its config once and kept in `app.extensions`."""
    app = current_app._get_current_object()
    store = app.extensions.get(_EXTENSION_KEY)
    if store is None:
        store = app.extensions[_EXTENSION_KEY] = storage_from_config(app.config)
    return store


def max_file_bytes() -> int:
    return int(current_app.config.get("MAX_FILE_BYTES") or 15 * 1024 * 1024)


def megabytes(n: int) -> str:
    """A byte limit as people say it: 15 MB, 1.5 MB."""
    value = n / (1024 * 1024)
    return f"{value:.0f} MB" if value == int(value) else f"{value:.1f} MB"


# --- staging -------------------------------------------------------------------------------


def stage(upload: FileStorage, user: User) -> StagedFile:
    """Check an uploaded file and store its bytes; raise `DomainError` naming the file if refused.

    The type is decided by the content (`check_upload`), the size limit is enforced while
    streaming into storage, so an oversize or refused file leaves nothing stored.
    """
    if upload is None or not (upload.filename or "").strip():
        raise DomainError("Choose a file to upload.", field="files")
    stream = _seekable(upload.stream)
    try:
        head = stream.read(HEAD_BYTES)
        stream.seek(0)
        try:
            checked = check_upload(upload.filename, head, open_zip=lambda: stream)
        except UploadRejected as exc:
            raise DomainError(exc.message, field="files") from exc
        limit = max_file_bytes()
        try:
            stored = storage().put(stream, max_bytes=limit)
        except FileTooLarge as exc:
            raise DomainError(
                f"“{checked.safe_name}” is larger than {megabytes(limit)}.", field="files"
            ) from exc
    finally:
        if stream is not upload.stream:
            stream.close()
    if stored.size == 0:  # the head said otherwise; a stream that changed under us
        storage().delete(stored.key)
        raise DomainError(f"“{checked.safe_name}” is empty.", field="files")
    written_in_this_request(stored.key)
    log.info("staged %s (%d bytes) for user %s", stored.key, stored.size, user.id)
    return StagedFile(
        key=stored.key,
        filename=checked.safe_name,
        size=stored.size,
        sha256=stored.sha256,
        kind=checked.kind,
        content_type=checked.mime,
    )


def _seekable(stream: BinaryIO) -> BinaryIO:
    """The stream itself when it can seek (Werkzeug's usually can), else a spooled copy."""
    try:
        if stream.seekable():
            stream.seek(0)
            return stream
    except (AttributeError, OSError):
        pass
    limit = max_file_bytes()
    copy = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)  # noqa: SIM115 (returned)
    copied = 0
    while chunk := stream.read(64 * 1024):
        copied += len(chunk)
        copy.write(chunk)
        if copied > limit:  # keep one byte over, so storage.put refuses it
            break
    copy.seek(0)
    return copy


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=STAGED_SALT)


def staged_token(staged: StagedFile, user: User) -> str:
    """A signed token for a hidden form field; only `user` can redeem it, for one day."""
    return _serializer().dumps({"u": user.id, **asdict(staged)})


def staged_from_token(token: str, user: User) -> StagedFile | None:
    """The staged file behind a token, or None when tampered, expired, another user's, already
    on a case, or its bytes are gone."""
    if not token or not isinstance(token, str):
        return None
    try:
        data = _serializer().loads(token, max_age=int(STAGED_MAX_AGE.total_seconds()))
    except BadSignature:  # SignatureExpired is a BadSignature
        return None
    if not isinstance(data, dict) or data.pop("u", None) != user.id:
        return None
    try:
        staged = StagedFile(**data)
        validate_key(staged.key)
    except (TypeError, InvalidKey):
        return None
    if _key_in_use(staged.key) or not storage().exists(staged.key):
        return None
    return staged


def _key_in_use(key: str) -> bool:
    return db.session.scalar(select(Document.id).where(Document.storage_key == key)) is not None


# --- attaching -----------------------------------------------------------------------------


def attach(
    case: Case,
    staged: StagedFile,
    user: User,
    *,
    correspondence: CorrespondenceEntry | None = None,
    description: str = "",
) -> Document:
    """Put a staged file on a case; refuse the same content twice on one case."""
    if correspondence is not None and correspondence.case_id != case.id:
        raise DomainError("That correspondence entry belongs to another case.")
    existing = find_duplicate(case, staged.sha256)
    if existing is not None:
        same_name = existing.filename == staged.filename
        raise DuplicateDocument(
            f"“{staged.filename}” is already on the case"
            + ("" if same_name else f" as “{existing.filename}”")
            + f", added {_day(existing.uploaded_at, user)}.",
            existing,
            field="files",
        )
    if _key_in_use(staged.key):
        raise DomainError(f"“{staged.filename}” has already been added.", field="files")
    description = (description or "").strip()
    if len(description) > 300:
        raise DomainError("Keep the description under 300 characters.", field="description")
    doc = Document(
        case_id=case.id,
        correspondence_id=correspondence.id if correspondence is not None else None,
        storage_key=staged.key,
        filename=staged.filename,
        kind=staged.kind,
        content_type=staged.content_type,
        size_bytes=staged.size,
        sha256=staged.sha256,
        description=description,
        side=Side.AGENCY if user.is_agency else Side.BUSINESS,
        uploaded_by_id=user.id,
        uploaded_at=utcnow(),
    )
    db.session.add(doc)
    db.session.flush()
    audit.record(
        "document_added",
        case=case,
        summary=f"Added “{doc.filename}” ({human_size(doc.size_bytes)})",
        after={
            "document_id": doc.id,
            "filename": doc.filename,
            "kind": doc.kind,
            "size_bytes": doc.size_bytes,
            "sha256": doc.sha256,
            "correspondence_id": doc.correspondence_id,
        },
        actor=user,
    )
    return doc


def find_duplicate(case: Case, sha256: str) -> Document | None:
    """The document already on the case with this content, if any (an integrity check of the
    case itself, so it looks at every document on it)."""
    stmt = (
        select(Document)
        .where(Document.case_id == case.id, Document.sha256 == sha256)
        .order_by(Document.id)
    )
    return db.session.scalars(stmt).first()


def upload(case: Case, upload: FileStorage, user: User, **kw) -> Document:
    """Stage and attach in one go; a refused attach leaves nothing stored."""
    staged = stage(upload, user)
    try:
        return attach(case, staged, user, **kw)
    except BaseException:
        discard(staged)
        raise


def discard(staged: StagedFile) -> None:
    """Remove a staged file's bytes (when no Document row uses them)."""
    if not _key_in_use(staged.key):
        storage().delete(staged.key)


def _day(moment: datetime, user: User) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(ZoneInfo(user.zone))
    return f"{local.day} {local:%b %Y}"


# --- a failed request leaves no file behind -------------------------------------------------

_WRITTEN = "_portal_documents_written"


def written_in_this_request(key: str) -> None:
    """Note a file stored while handling the current request, so a failure can remove it."""
    if has_request_context():
        g.setdefault(_WRITTEN, []).append(key)


def discard_after_failed_request(error: BaseException | None) -> list[str]:
    """End of a request: when it failed (an exception, so nothing was committed), delete the
    files it stored that no committed `Document` row points at. Returns the deleted keys.

    A request that ends normally keeps its files: a refused form holds staged files in signed
    tokens for the next submit, and the garbage collector removes any left abandoned.
    """
    keys = g.pop(_WRITTEN, [])
    if error is None or not keys:
        return []
    deleted = []
    try:
        db.session.rollback()
        used = set(
            db.session.scalars(select(Document.storage_key).where(Document.storage_key.in_(keys)))
        )
    except Exception:  # the database is what failed: keep the files for the garbage collector
        log.exception("could not check files stored by a failed request")
        return []
    for key in keys:
        if key in used:
            continue
        try:
            storage().delete(key)
        except (StorageError, OSError):
            log.exception("could not delete %s after a failed request", key)
        else:
            deleted.append(key)
    if deleted:
        log.info("removed %d file(s) stored by a failed request", len(deleted))
    return deleted


# --- reading -------------------------------------------------------------------------------


def documents_of(case: Case, user: User | None = None) -> list[Document]:
    """The documents on a case that the user (default: the current user) may see, oldest first."""
    stmt = (
        owned(Document, user)
        .where(Document.case_id == case.id)
        .options(selectinload(Document.uploaded_by), selectinload(Document.correspondence))
        .order_by(Document.uploaded_at, Document.id)
    )
    return list(db.session.scalars(stmt))


def open_document(doc: Document) -> BinaryIO:
    """The stored bytes of a document; raises `DocumentNotFound` when storage has lost them."""
    return storage().open(doc.storage_key)


def may_upload(case: Case, user: User | None = None) -> bool:
    """Whether the user may add documents to the case (see `check_may_upload`)."""
    try:
        check_may_upload(case, user)
    except DomainError:
        return False
    return True


# Agency users add documents once they have accepted the case and until it is closed.
AGENCY_UPLOAD_STATUSES = frozenset(
    {
        CaseStatus.ACCEPTED,
        CaseStatus.IN_COLLECTION,
        CaseStatus.PAYMENT_PLAN,
        CaseStatus.ON_HOLD,
        CaseStatus.IN_LEGAL,
    }
)


def check_may_upload(case: Case, user: User | None = None) -> None:
    """Raise `DomainError` unless the user may add documents to this case now.

    - A business user (admin or member) of the case's business: while it is not closed.
    - An agency admin of the agency it is placed with, or the caseworker assigned to it: once
      the agency has accepted it (accepted, in collection, payment plan, on hold, in legal),
      not while it is submitted or waiting for information, and not once closed.

    The caller has already found the case through tenancy, so "whose case" is settled; this
    repeats the organisation check so the rule stands on its own.
    """
    user = user or current_user
    if not getattr(user, "is_authenticated", False) or not user.active:
        raise DomainError("Sign in to add documents.")
    if user.is_agency:
        if case.agency_id != user.organisation_id:
            raise DomainError("Only the agency this case is placed with can add documents.")
        if user.role == Role.CASEWORKER and case.assigned_to_id != user.id:
            raise DomainError("Only the caseworker assigned to this case can add documents.")
        if case.status not in AGENCY_UPLOAD_STATUSES:
            raise DomainError(
                "Documents can be added by the agency once it has accepted the case"
                + (" and until it is closed." if case.status == CaseStatus.CLOSED else ".")
            )
        return
    if case.business_id != user.organisation_id:
        raise DomainError("Only the business that owns this case can add documents.")
    if case.status == CaseStatus.CLOSED:
        raise DomainError("This case is closed: no more documents can be added.")


# --- garbage -------------------------------------------------------------------------------


def collect_garbage(older_than: timedelta = GARBAGE_MIN_AGE) -> int:
    """Delete stored files that no Document row points at and that are older than `older_than`.

    `older_than` may not be shorter than a staged token's life (plus a margin), so a form still
    holding a valid token never loses its file. Needs a storage that can list its keys
    (`list_keys`); stale temporary files from interrupted uploads are removed too.
    Returns how many stored files were deleted.
    """
    if older_than < GARBAGE_MIN_AGE:
        raise ValueError(f"older_than must be at least {GARBAGE_MIN_AGE} (a staged file's life)")
    store = storage()
    lister = getattr(store, "list_keys", None)
    if lister is None:
        raise NotImplementedError(f"{type(store).__name__} cannot list its keys")
    cutoff = datetime.now(UTC) - older_than
    deleted = 0
    for batch in _batches((key for key, modified in lister() if modified < cutoff), 500):
        used = set(
            db.session.scalars(select(Document.storage_key).where(Document.storage_key.in_(batch)))
        )
        for key in batch:
            if key not in used:
                try:
                    store.delete(key)
                except StorageError:
                    log.exception("could not delete stored file %s", key)
                    continue
                deleted += 1
    cleaner = getattr(store, "delete_temp_files", None)
    if cleaner is not None:
        cleaner(before=cutoff)
    log.info("documents-gc: deleted %d stored file(s) with no document", deleted)
    return deleted


def _batches(items: Iterable[str], size: int) -> Iterable[list[str]]:
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# --- display -------------------------------------------------------------------------------


def human_size(n: int) -> str:
    """1 234 567 -> '1.2 MB'; 900 -> '900 bytes'."""
    if n < 1024:
        return f"{n} byte" + ("" if n == 1 else "s")
    for unit in ("KB", "MB", "GB"):
        n /= 1024
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if n >= 100 else f"{n:.1f} {unit}"
    raise AssertionError("unreachable")
