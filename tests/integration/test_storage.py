"""The storage interface on both backends: a local directory and S3 (moto's server over HTTP)."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.s3server import moto_server
from workflow.storage import CHUNK
from workflow.storage import LocalStorage
from workflow.storage import S3Storage
from workflow.storage import Storage
from workflow.storage import StorageError
from workflow.storage import storage_from_url


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_server() as server:
        server.client().create_bucket(Bucket="hasil")
        yield server.endpoint


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "storage")
    endpoint = request.getfixturevalue("s3_endpoint")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "test-key")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test-secret")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    return storage_from_url(f"s3://hasil/t-{tmp_path.name}", tmp_path, endpoint_url=endpoint)


class Broken(io.RawIOBase):
    """A stream that fails after ``after`` bytes, like a client hanging up mid-upload."""

    def __init__(self, after: int) -> None:
        self.left = after

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if self.left <= 0:
            raise OSError("connection reset")
        size = min(self.left, CHUNK if n is None or n < 0 else n)
        self.left -= size
        return b"x" * size


def test_put_hashes_while_writing_and_reads_back_in_chunks(storage: Storage) -> None:
    """A 3.5 MB object: size and SHA-256 from the write, content identical, read in chunks."""
    content = os.urandom(3 * CHUNK + CHUNK // 2)
    stored = storage.put("exports/1/a.zip", io.BytesIO(content))
    assert (stored.size, stored.sha256) == (len(content), hashlib.sha256(content).hexdigest())
    chunks = list(storage.chunks("exports/1/a.zip"))
    assert b"".join(chunks) == content
    assert max(len(c) for c in chunks) <= CHUNK
    assert storage.size("exports/1/a.zip") == len(content)


def test_replace_delete_and_missing(storage: Storage) -> None:
    storage.put("k/a", io.BytesIO(b"one"))
    storage.put("k/a", io.BytesIO(b"two"))
    assert b"".join(storage.chunks("k/a")) == b"two"
    storage.delete("k/a")
    storage.delete("k/a")  # already gone: no error
    assert storage.size("k/a") is None
    with pytest.raises(FileNotFoundError):
        b"".join(storage.chunks("k/a"))


def test_failed_upload_leaves_nothing(storage: Storage, tmp_path: Path) -> None:
    """A stream breaking mid-upload (after 9 MB: past the first S3 part) leaves no object and,
    locally, no temporary file."""
    storage.put("k/keep", io.BytesIO(b"old"))
    with pytest.raises((OSError, StorageError)):
        storage.put("k/keep", Broken(9 * CHUNK))
    assert b"".join(storage.chunks("k/keep")) == b"old"
    with pytest.raises((OSError, StorageError)):
        storage.put("k/new", Broken(2 * CHUNK))
    assert storage.size("k/new") is None
    if isinstance(storage, LocalStorage):
        assert sorted(p.name for p in (storage.root / "k").iterdir()) == ["keep"]


@pytest.mark.parametrize("key", ["", "/etc/passwd", "../x", "a/../../x", "a//b", "a\\b", " a"])
def test_unsafe_keys_are_refused(storage: Storage, key: str) -> None:
    with pytest.raises(StorageError):
        storage.put(key, io.BytesIO(b"x"))


def test_local_files_are_owner_only(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "s")
    storage.put("a/b.zip", io.BytesIO(b"x"))
    assert (tmp_path / "s" / "a" / "b.zip").stat().st_mode & 0o077 == 0
    assert (tmp_path / "s" / "a").stat().st_mode & 0o077 == 0
    assert storage.signed_url("a/b.zip", 60, "b.zip") is None


def test_s3_signed_url_downloads(s3_endpoint: str, tmp_path: Path) -> None:
    from urllib.request import urlopen

    storage = storage_from_url("s3://hasil/signed", tmp_path, endpoint_url=s3_endpoint)
    assert isinstance(storage, S3Storage)
    storage.put("x.zip", io.BytesIO(b"zip-bytes"))
    url = storage.signed_url("x.zip", 60, "x.zip")
    assert url is not None and url.startswith(s3_endpoint)
    with urlopen(url) as response:  # noqa: S310 - the test's own server
        assert response.read() == b"zip-bytes"


def test_storage_url_is_checked(tmp_path: Path) -> None:
    assert isinstance(storage_from_url("", tmp_path), LocalStorage)
    assert storage_from_url(f"file://{tmp_path}/d", tmp_path).root == tmp_path / "d"
    with pytest.raises(StorageError):
        storage_from_url("ftp://x", tmp_path)
