"""Where uploaded document bytes live.

The database (written elsewhere) keeps a document's metadata and its storage *key*; this module
only stores and returns bytes. Keys are random and generated here: the name a user gave a file is
never part of a path.

`LocalFolderStorage` keeps files under a root folder with a two-level fan-out::

    <root>/ab/cd/abcd...   (the key; 32 characters of [A-Za-z0-9_-])

An object-storage backend can be added later behind the same `Storage` protocol; pick it with
`storage_from_config`.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

CHUNK_BYTES = 64 * 1024
KEY_BYTES = 24  # secrets.token_urlsafe(24) -> 32 characters
KEY_LENGTH = 32
_KEY_PATTERN = re.compile(rf"[A-Za-z0-9_-]{{{KEY_LENGTH}}}")
_TEMP_PREFIX = ".upload-"  # a dot can never be in a key, so temp files never look like documents


class StorageError(Exception):
    """Base class for the storage errors below."""


class FileTooLarge(StorageError):
    """The stream held more than `max_bytes`; nothing was stored."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"file is larger than the limit of {max_bytes} bytes")
        self.max_bytes = max_bytes


class InvalidKey(StorageError, ValueError):
    """A key that this storage could never have generated (and so might point anywhere)."""


class DocumentNotFound(StorageError, FileNotFoundError):
    """No document is stored under this (well-formed) key."""


@dataclass(frozen=True)
class StoredFile:
    """What `Storage.put` stored: its key, its size in bytes and its SHA-256 (lower-case hex)."""

    key: str
    size: int
    sha256: str


@runtime_checkable
class Storage(Protocol):
    """Stores document bytes under random keys."""

    def put(self, stream: BinaryIO, *, max_bytes: int) -> StoredFile:
        """Store the stream's bytes; raise `FileTooLarge` past `max_bytes`, storing nothing."""
        ...

    def open(self, key: str) -> BinaryIO:
        """Open a stored document for reading; raise `DocumentNotFound` if there is none."""
        ...

    def delete(self, key: str) -> None:
        """Remove a stored document; a key with nothing stored under it is not an error."""
        ...

    def exists(self, key: str) -> bool:
        """Whether a document is stored under the key."""
        ...


def validate_key(key: object) -> str:
    """Return the key if it is one this module could have generated, else raise `InvalidKey`.

    Only exactly 32 characters of ``[A-Za-z0-9_-]`` pass, so a key can never hold a path
    separator, ``..``, a drive letter or a NUL byte.
    """
    if not isinstance(key, str) or not _KEY_PATTERN.fullmatch(key):
        raise InvalidKey(f"not a document key: {key!r}")
    return key


def new_key() -> str:
    """A fresh random key (192 bits from `secrets`)."""
    return secrets.token_urlsafe(KEY_BYTES)


class LocalFolderStorage:
    """`Storage` on the local file system, under one root folder (e.g. instance/documents).

    Uploads are streamed to a temporary file in the root folder (same file system, so the final
    `os.replace` is atomic) and only moved to ``<root>/ab/cd/<key>`` once complete and within the
    size limit.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path_for(self, key: str) -> Path:
        """The file path of a key (after validating it)."""
        key = validate_key(key)
        return self.root / key[0:2] / key[2:4] / key

    def put(self, stream: BinaryIO, *, max_bytes: int) -> StoredFile:
        """Stream to a temp file in chunks, hashing as it goes; then move it into place."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=".tmp", dir=self.root)
        try:
            with os.fdopen(fd, "wb") as out:
                size, digest = _copy_limited(stream, out, max_bytes)
                out.flush()
                os.fsync(out.fileno())
            key = self._unused_key()
            target = self.path_for(key)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        return StoredFile(key=key, size=size, sha256=digest)

    def open(self, key: str) -> BinaryIO:
        """Open the stored file for binary reading."""
        path = self.path_for(key)
        try:
            return path.open("rb")
        except FileNotFoundError as exc:
            raise DocumentNotFound(f"no document stored under {key}") from exc

    def delete(self, key: str) -> None:
        """Remove the stored file, if there is one. Empty fan-out folders are left in place."""
        self.path_for(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        """Whether a file is stored under the key."""
        return self.path_for(key).is_file()

    def list_keys(self) -> Iterator[tuple[str, datetime]]:
        """Every stored key with its file's modification time (UTC), in no particular order.

        Optional (not part of `Storage`): the garbage collector needs it. Only files at their
        proper ``<root>/ab/cd/<key>`` place count; temp files and strays are skipped.
        """
        if not self.root.is_dir():
            return
        for path in self.root.glob("??/??/*"):
            key = path.name
            if not _KEY_PATTERN.fullmatch(key) or path.parent.parent.name != key[0:2]:
                continue
            if path.parent.name != key[2:4]:
                continue
            try:
                stat = path.stat()
            except FileNotFoundError:  # deleted meanwhile
                continue
            if path.is_file():
                yield key, datetime.fromtimestamp(stat.st_mtime, UTC)

    def delete_temp_files(self, *, before: datetime) -> int:
        """Remove temp files of interrupted uploads last touched before `before`; return count.

        Optional, like `list_keys`. A temp file of an upload in progress is younger than that.
        """
        removed = 0
        if not self.root.is_dir():
            return removed
        for path in self.root.glob(f"{_TEMP_PREFIX}*.tmp"):
            try:
                if datetime.fromtimestamp(path.stat().st_mtime, UTC) < before:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed

    def _unused_key(self) -> str:
        key = new_key()
        while self.path_for(key).exists():  # 192 random bits: practically never loops
            key = new_key()
        return key


def _copy_limited(stream: BinaryIO, out: BinaryIO, max_bytes: int) -> tuple[int, str]:
    """Copy in chunks; return (size, sha256 hex). Raise `FileTooLarge` once past `max_bytes`."""
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise FileTooLarge(max_bytes)
        digest.update(chunk)
        out.write(chunk)
    return size, digest.hexdigest()


def storage_from_config(config: Mapping[str, object]) -> Storage:
    """Build the storage named by ``config['DOCUMENT_STORAGE']`` (default ``'local'``).

    ``'local'`` needs ``config['DOCUMENT_ROOT']``. Any other name raises `ValueError` naming it.
    """
    backend = config.get("DOCUMENT_STORAGE") or "local"
    if backend == "local":
        root = config.get("DOCUMENT_ROOT")
        if not root:
            raise ValueError("DOCUMENT_ROOT must be set for DOCUMENT_STORAGE='local'")
        return LocalFolderStorage(str(root))
    raise ValueError(f"unknown DOCUMENT_STORAGE backend {backend!r}; known: 'local'")
