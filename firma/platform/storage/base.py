"""What every storage backend offers, and the one error they raise."""
from dataclasses import dataclass
from typing import BinaryIO, Iterator, Protocol

# Names under these top-level folders are local caches or probes, never stored evidence.
NOT_STORED = ("cache", "previews", ".probe")


class StorageError(RuntimeError):
    """A file that cannot be written (a different one exists: write-once) or read, or a storage that does not answer."""


class StorageUnavailable(StorageError):
    """The storage does not answer (connection refused, timeout, a 5xx): the caller may try again later."""


@dataclass
class StoredFile:
    """A stored file opened for reading: a binary stream, its size in bytes and an entity tag."""

    stream: BinaryIO
    size: int
    etag: str


def check_name(relpath: str) -> str:
    """Refuse names that are absolute, empty or climb out of the storage (`..`)."""
    parts = relpath.split("/")
    if not relpath or relpath.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\\" in relpath:
        raise StorageError(f"path escapes storage: {relpath}")
    return relpath


class Backend(Protocol):
    """A write-once store of named files."""

    url: str

    def write_once(self, relpath: str, data: bytes) -> None:
        """Store bytes; an identical existing file is fine, a different one raises StorageError."""

    def read(self, relpath: str) -> bytes:
        """The whole file."""

    def open(self, relpath: str) -> StoredFile:
        """The file as a stream (the caller closes it)."""

    def exists(self, relpath: str) -> bool:
        """Whether the name is taken."""

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every stored name (those under the folder `prefix` when given)."""

    def probe(self) -> None:
        """Write, read back and remove a small object."""
