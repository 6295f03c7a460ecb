"""Tests for portal.documents.storage: the local folder backend and the config factory."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pytest

from portal.documents.storage import (
    CHUNK_BYTES,
    DocumentNotFound,
    FileTooLarge,
    InvalidKey,
    LocalFolderStorage,
    Storage,
    StoredFile,
    storage_from_config,
)

KEY_RE = re.compile(r"[A-Za-z0-9_-]{32}")


@pytest.fixture
def storage(tmp_path: Path) -> LocalFolderStorage:
    return LocalFolderStorage(tmp_path / "documents")


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


class EndlessStream(io.RawIOBase):
    """Zeros forever, but fails the test instead of hanging if read far past `budget` bytes."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.sizes: list[int] = []

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        assert size is not None and size > 0, "put() must read in bounded chunks"
        self.sizes.append(size)
        self.budget -= size
        assert self.budget >= 0, "put() kept reading long after the limit"
        return b"\0" * size


class FailingStream(io.RawIOBase):
    """Yields some bytes, then fails like a dropped connection."""

    def __init__(self) -> None:
        self.calls = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.calls += 1
        if self.calls > 2:
            raise OSError("client went away")
        return b"x" * 1000


def test_put_records_size_and_sha256(storage: LocalFolderStorage) -> None:
    data = b"invoice 2024-017\n" * 10_000
    stored = storage.put(io.BytesIO(data), max_bytes=len(data) + 1)
    assert stored == StoredFile(
        key=stored.key, size=len(data), sha256=hashlib.sha256(data).hexdigest()
    )


def test_put_then_open_returns_the_same_bytes(storage: LocalFolderStorage) -> None:
    data = bytes(range(256)) * 1000
    stored = storage.put(io.BytesIO(data), max_bytes=10**6)
    with storage.open(stored.key) as f:
        assert f.read() == data


def test_empty_file_is_stored_with_size_zero(storage: LocalFolderStorage) -> None:
    stored = storage.put(io.BytesIO(b""), max_bytes=10)
    assert (stored.size, stored.sha256) == (0, hashlib.sha256(b"").hexdigest())
    assert storage.exists(stored.key)


def test_put_exactly_at_limit_is_accepted(storage: LocalFolderStorage) -> None:
    stored = storage.put(io.BytesIO(b"a" * 100), max_bytes=100)
    assert stored.size == 100


def test_put_over_limit_leaves_no_file(storage: LocalFolderStorage) -> None:
    with pytest.raises(FileTooLarge):
        storage.put(io.BytesIO(b"a" * 101), max_bytes=100)
    assert files_under(storage.root) == []


def test_put_streams_in_chunks_and_stops_soon_after_limit(storage: LocalFolderStorage) -> None:
    limit = 5 * CHUNK_BYTES
    stream = EndlessStream(budget=limit + 2 * CHUNK_BYTES)
    with pytest.raises(FileTooLarge):
        storage.put(stream, max_bytes=limit)
    assert max(stream.sizes) <= CHUNK_BYTES
    assert files_under(storage.root) == []


def test_failed_read_leaves_no_temp_file(storage: LocalFolderStorage) -> None:
    with pytest.raises(OSError, match="client went away"):
        storage.put(FailingStream(), max_bytes=10**6)
    assert files_under(storage.root) == []


def test_keys_are_random_and_fanned_out_two_levels(storage: LocalFolderStorage) -> None:
    first = storage.put(io.BytesIO(b"one"), max_bytes=10)
    second = storage.put(io.BytesIO(b"one"), max_bytes=10)
    assert first.key != second.key
    for stored in (first, second):
        assert KEY_RE.fullmatch(stored.key)
        expected = storage.root / stored.key[:2] / stored.key[2:4] / stored.key
        assert expected.read_bytes() == b"one"
    assert len(files_under(storage.root)) == 2


def test_upload_name_is_never_part_of_the_path(storage: LocalFolderStorage) -> None:
    stream = io.BytesIO(b"%PDF-1.4")
    stream.name = "../../evil.pdf"
    stored = storage.put(stream, max_bytes=100)
    (path,) = files_under(storage.root)
    assert path.name == stored.key
    assert "evil" not in str(path)


@pytest.mark.parametrize(
    "key",
    [
        "../../../../../../etc/passwd",
        "/etc/passwd",
        "ab/cd/" + "a" * 26,
        ".." + "a" * 30,
        "a" * 31 + "\0",
        "a" * 31 + "/",
        "a" * 31 + "\\",
        "a" * 31 + "\n",
        "a" * 31,
        "a" * 33,
        "",
        None,
        b"a" * 32,
    ],
)
def test_key_cannot_escape_root(storage: LocalFolderStorage, key: object) -> None:
    for operation in (storage.open, storage.delete, storage.exists):
        with pytest.raises(InvalidKey):
            operation(key)  # type: ignore[arg-type]


def test_invalid_key_is_also_a_value_error(storage: LocalFolderStorage) -> None:
    with pytest.raises(ValueError):
        storage.exists("../x")


def test_delete_removes_the_file(storage: LocalFolderStorage) -> None:
    stored = storage.put(io.BytesIO(b"x"), max_bytes=10)
    storage.delete(stored.key)
    assert not storage.exists(stored.key)
    assert files_under(storage.root) == []


def test_delete_of_missing_key_is_not_an_error(storage: LocalFolderStorage) -> None:
    key = "A" * 32
    storage.delete(key)
    assert not storage.exists(key)


def test_open_of_missing_key_raises_not_found(storage: LocalFolderStorage) -> None:
    with pytest.raises(DocumentNotFound):
        storage.open("B" * 32)
    with pytest.raises(FileNotFoundError):
        storage.open("B" * 32)


def test_storage_from_config_defaults_to_local_folder(tmp_path: Path) -> None:
    storage = storage_from_config({"DOCUMENT_ROOT": str(tmp_path / "docs")})
    assert isinstance(storage, LocalFolderStorage)
    assert isinstance(storage, Storage)
    assert storage.root == tmp_path / "docs"
    stored = storage.put(io.BytesIO(b"hello"), max_bytes=10)
    assert storage.exists(stored.key)


def test_storage_from_config_explicit_local(tmp_path: Path) -> None:
    config = {"DOCUMENT_STORAGE": "local", "DOCUMENT_ROOT": tmp_path}
    assert isinstance(storage_from_config(config), LocalFolderStorage)


def test_storage_from_config_rejects_unknown_backend_by_name(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'s3'"):
        storage_from_config({"DOCUMENT_STORAGE": "s3", "DOCUMENT_ROOT": str(tmp_path)})


def test_storage_from_config_local_needs_a_root() -> None:
    with pytest.raises(ValueError, match="DOCUMENT_ROOT"):
        storage_from_config({"DOCUMENT_STORAGE": "local"})
