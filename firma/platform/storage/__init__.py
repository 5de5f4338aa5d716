"""Write-once file storage behind one interface: local disk or S3-compatible, chosen by FIRMA_STORAGE_URL.

Files are addressed by relative names stored in the database (`envelopes/<code>/original.pdf`); nothing
outside this package knows where, or on which host, the bytes live.
"""
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO
from urllib.parse import urlsplit

from flask import current_app

from firma.platform.storage.base import Backend, StorageError, StorageUnavailable, StoredFile

__all__ = ["Backend", "StorageError", "StorageUnavailable", "StoredFile", "backend", "for_url", "write_once", "read", "open_file",
           "exists", "keys", "probe", "sha256_of"]

_backends: dict[tuple[str, str | None], Backend] = {}
_lock = threading.Lock()


def for_url(url: str, endpoint_url: str | None = None) -> Backend:
    """The backend for a storage URL (`file:///path` or `s3://bucket/prefix`), one per URL per process."""
    with _lock:
        if (url, endpoint_url) not in _backends:
            _backends[url, endpoint_url] = _build(url, endpoint_url)
        return _backends[url, endpoint_url]


def _build(url: str, endpoint_url: str | None) -> Backend:
    parts = urlsplit(url)
    if parts.scheme == "file" and parts.path:
        from firma.platform.storage.disk import DiskBackend
        return DiskBackend(parts.path)
    if parts.scheme == "s3" and parts.netloc:
        from firma.platform.storage.s3 import S3Backend
        return S3Backend(parts.netloc, parts.path.strip("/"), endpoint_url)
    raise StorageError(f"unsupported storage URL {url!r}: use file:///path or s3://bucket/prefix")


def url_of(config) -> str:
    """The app's storage URL: FIRMA_STORAGE_URL, or the local STORAGE_DIR folder."""
    return config.get("STORAGE_URL") or config["STORAGE_DIR"].resolve().as_uri()


def backend() -> Backend:
    """The current app's storage backend."""
    return for_url(url_of(current_app.config), current_app.config.get("S3_ENDPOINT_URL"))


def write_once(relpath: str, data: bytes) -> str:
    """Store bytes under a new name; an existing different file is never overwritten (evidence is immutable)."""
    backend().write_once(relpath, data)
    return relpath


def read(relpath: str) -> bytes:
    """The bytes of a stored file."""
    return backend().read(relpath)


@contextmanager
def open_file(relpath: str) -> Iterator[StoredFile]:
    """A stored file opened for streaming (its `stream` reads in chunks, `size` is known up front)."""
    stored = backend().open(relpath)
    try:
        yield stored
    finally:
        stored.stream.close()


def exists(relpath: str) -> bool:
    """Whether a file is stored under this name."""
    return backend().exists(relpath)


def keys(prefix: str = "") -> Iterator[str]:
    """Every stored file's name, or those under the folder `prefix` (caches and probes left out)."""
    return backend().keys(prefix)


def probe() -> None:
    """Write, read back and remove a small object: raises StorageError if the storage does not answer."""
    backend().probe()


def sha256_of(stream: BinaryIO, chunk: int = 1 << 20) -> str:
    """The hex SHA-256 of a stream, read in chunks."""
    digest = hashlib.sha256()
    while block := stream.read(chunk):
        digest.update(block)
    return digest.hexdigest()
