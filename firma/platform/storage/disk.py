"""Local-disk storage: one folder, write-once by hard link (atomic, and it fails if the name is taken)."""
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from firma.platform.storage.base import NOT_STORED, StorageError, StorageUnavailable, StoredFile, check_name


class DiskBackend:
    """Files under one folder of this host (the default; one host only)."""

    def __init__(self, folder: str | os.PathLike) -> None:
        self.root = Path(folder)
        self.url = self.root.resolve().as_uri()

    def _resolve(self, relpath: str) -> Path:
        base = self.root.resolve()
        path = (base / check_name(relpath)).resolve()
        if base not in path.parents:
            raise StorageError(f"path escapes storage: {relpath}")
        return path

    def write_once(self, relpath: str, data: bytes) -> None:
        """Write to a temporary name, then hard-link it to the final one; an identical existing file is fine."""
        path = self._resolve(relpath)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{secrets.token_hex(4)}.part")
            tmp.write_bytes(data)
        except OSError as exc:
            raise StorageUnavailable(f"cannot write {relpath} to the storage folder: {exc.strerror or exc}") from exc
        try:
            path.hardlink_to(tmp)
        except FileExistsError:
            if path.read_bytes() != data:
                raise StorageError(f"refusing to overwrite {relpath}") from None
        finally:
            tmp.unlink(missing_ok=True)

    def read(self, relpath: str) -> bytes:
        """The file's bytes (StorageError if it is missing)."""
        try:
            return self._resolve(relpath).read_bytes()
        except OSError as exc:
            raise StorageError(f"cannot read {relpath}: {exc.strerror or exc}") from exc

    def open(self, relpath: str) -> StoredFile:
        """The file opened for reading."""
        try:
            stream = self._resolve(relpath).open("rb")
        except OSError as exc:
            raise StorageError(f"cannot read {relpath}: {exc.strerror or exc}") from exc
        stat = os.fstat(stream.fileno())
        return StoredFile(stream, stat.st_size, f"{stat.st_ino:x}-{stat.st_size:x}-{stat.st_mtime_ns:x}")

    def exists(self, relpath: str) -> bool:
        """Whether a file is stored under this name."""
        return self._resolve(relpath).is_file()

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every stored name (under `prefix`, a folder), caches, probes and half-written `.part` files left out."""
        root = self.root.resolve()
        folder = self._resolve(prefix.rstrip("/")) if prefix else root
        if not folder.is_dir():
            return
        for path in sorted(folder.rglob("*")):
            name = path.relative_to(root).as_posix()
            if path.is_file() and name.split("/")[0] not in NOT_STORED and not path.name.endswith(".part"):
                yield name

    def probe(self) -> None:
        """Write, read back and remove a small file under `.probe/`."""
        try:
            folder = self.root / ".probe"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{secrets.token_hex(8)}.txt"
            data = secrets.token_bytes(16)
            try:
                path.write_bytes(data)
                if path.read_bytes() != data:
                    raise StorageError("storage read back different bytes")
            finally:
                path.unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"storage folder not usable: {exc}") from exc
