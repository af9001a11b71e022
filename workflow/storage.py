"""Where files the product keeps outside the database go: one interface, two real backends.

``Storage`` stores an object under a key from a stream, hashing it (SHA-256) and counting its
size while writing, never reading the whole file into memory; it hands an object back as a
stream of chunks, deletes it, and may offer a short-lived signed URL. An object appears whole
or not at all: the local backend writes a temporary file and renames it, the S3 backend's
multipart upload is completed only at the end (and aborted on failure).

* ``LocalStorage``: a directory (``instance/storage`` by default), owner-only.
* ``S3Storage``: S3-compatible object storage through boto3 (bucket and key prefix from
  ``STORAGE_URL=s3://bucket/prefix``, endpoint from ``STORAGE_S3_ENDPOINT_URL``, credentials
  and region from boto3's usual environment variables).

Used by bulk-export results (``reports.export``) and evidence files (``workflow.evidence``).
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from pathlib import PurePosixPath
from typing import Any
from typing import BinaryIO
from typing import Protocol
from urllib.parse import urlsplit

CHUNK = 1024 * 1024
"""Bytes read or written at a time: memory stays flat whatever the object's size."""


class StorageError(RuntimeError):
    """The storage refused or failed an operation (nothing half-written is left behind)."""


@dataclass(frozen=True, slots=True)
class Stored:
    """An object as written: its key, size in bytes and SHA-256 (hex) of its content."""

    key: str
    size: int
    sha256: str


class Storage(Protocol):
    """What every backend offers. Keys are relative POSIX paths (``exports/3/17.zip``)."""

    def put(self, key: str, stream: BinaryIO) -> Stored:
        """Store everything ``stream`` yields under ``key`` (replacing it), hashing it."""

    def chunks(self, key: str) -> Iterator[bytes]:
        """Yield the object's content a chunk at a time.

        :raises FileNotFoundError: no such object.
        """

    def size(self, key: str) -> int | None:
        """Return the object's size, or ``None`` when there is no such object."""

    def delete(self, key: str) -> None:
        """Delete the object (no error when it is already gone)."""

    def signed_url(self, key: str, seconds: int, filename: str) -> str | None:
        """Return a URL that downloads the object for ``seconds``, or ``None`` (not offered)."""


def check_key(key: str) -> str:
    """Return ``key`` if it is a safe relative path, else raise ``StorageError``."""
    path = PurePosixPath(key)
    if (not key or key != key.strip() or "\\" in key or path.is_absolute()
            or any(part in ("", ".", "..") for part in key.split("/"))):
        raise StorageError(f"unsafe storage key {key!r}")
    return key


class _Hashing:
    """A read-only, non-seekable view of a stream that hashes and counts what is read (so an
    uploader reads it once, in order)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        # Fill the request (fewer bytes only at the end): S3's uploader takes a short read of a
        # non-seekable stream for its end and would store a truncated object.
        want = CHUNK if n is None or n < 0 else n
        parts, got = [], 0
        while got < want:
            part = self._stream.read(want - got)
            if not part:
                break
            parts.append(part)
            got += len(part)
        data = b"".join(parts)
        self.digest.update(data)
        self.size += len(data)
        return data


class LocalStorage:
    """Objects as files under one directory (owner-only: results carry personal data)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def put(self, key: str, stream: BinaryIO) -> Stored:
        path = self._path(key)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
        hashing = _Hashing(stream)
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                while data := hashing.read(CHUNK):
                    handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        return Stored(key, hashing.size, hashing.digest.hexdigest())

    def chunks(self, key: str) -> Iterator[bytes]:
        handle = self._path(key).open("rb")  # FileNotFoundError before the first chunk

        def read() -> Iterator[bytes]:
            with handle:
                while data := handle.read(CHUNK):
                    yield data

        return read()

    def size(self, key: str) -> int | None:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def signed_url(self, key: str, seconds: int, filename: str) -> str | None:
        return None  # downloads go through the app


class S3Storage:
    """Objects in an S3-compatible bucket (AWS S3, MinIO, Ceph …) under a key prefix."""

    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None,
                 client: Any = None) -> None:
        import boto3  # here: only deployments that use S3 load it

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client or boto3.client("s3", endpoint_url=endpoint_url or None)

    def _key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, stream: BinaryIO) -> Stored:
        from boto3.s3.transfer import TransferConfig

        hashing = _Hashing(stream)
        # A non-seekable source is read once, in order, one part at a time; a failed multipart
        # upload is aborted, so no partial object is ever visible.
        config = TransferConfig(multipart_chunksize=8 * CHUNK, max_concurrency=1,
                                use_threads=False)
        try:
            self.client.upload_fileobj(hashing, self.bucket, self._key(key), Config=config)
        except Exception as exc:
            raise StorageError(f"S3 upload of {key!r} failed: {exc}") from exc
        return Stored(key, hashing.size, hashing.digest.hexdigest())

    def chunks(self, key: str) -> Iterator[bytes]:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
        except self.client.exceptions.NoSuchKey as exc:
            raise FileNotFoundError(key) from exc

        def read() -> Iterator[bytes]:
            try:
                yield from body.iter_chunks(CHUNK)
            finally:
                body.close()

        return read()

    def size(self, key: str) -> int | None:
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return int(head["ContentLength"])

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def signed_url(self, key: str, seconds: int, filename: str) -> str | None:
        url: str = self.client.generate_presigned_url(
            "get_object", ExpiresIn=seconds,
            Params={"Bucket": self.bucket, "Key": self._key(key),
                    "ResponseContentDisposition": f'attachment; filename="{filename}"'})
        return url


def storage_from_url(url: str, default_root: str | os.PathLike[str], *,
                     endpoint_url: str | None = None) -> Storage:
    """Return the backend ``url`` names: empty → ``default_root``; ``file:///dir``; or
    ``s3://bucket/prefix`` (with ``endpoint_url`` for a non-AWS server)."""
    if not url:
        return LocalStorage(default_root)
    parts = urlsplit(url)
    if parts.scheme == "file":
        return LocalStorage(parts.path)
    if parts.scheme == "s3" and parts.netloc:
        return S3Storage(parts.netloc, parts.path, endpoint_url=endpoint_url)
    raise StorageError(f"STORAGE_URL must be file:///… or s3://bucket/prefix, not {url!r}")
