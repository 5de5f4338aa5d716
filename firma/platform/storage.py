"""Write-once file storage outside static/, addressed by relative paths stored in the database."""
import secrets
from pathlib import Path

from flask import current_app


class StorageError(RuntimeError):
    """A file that cannot be written (it exists: write-once) or read."""


def root() -> Path:
    """The storage folder of the current app."""
    return Path(current_app.config["STORAGE_DIR"])


def _resolve(relpath: str) -> Path:
    base = root().resolve()
    path = (base / relpath).resolve()
    if base not in path.parents:
        raise StorageError(f"path escapes storage: {relpath}")
    return path


def write_once(relpath: str, data: bytes) -> str:
    """Store bytes under a new name; an existing file is never overwritten (evidence is immutable)."""
    path = _resolve(relpath)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{secrets.token_hex(4)}.part")
    tmp.write_bytes(data)
    try:
        path.hardlink_to(tmp)  # atomic, and fails if the name is taken
    except FileExistsError:
        tmp.unlink()
        if path.read_bytes() != data:
            raise StorageError(f"refusing to overwrite {relpath}") from None
        return relpath
    tmp.unlink()
    return relpath


def read(relpath: str) -> bytes:
    """The bytes of a stored file."""
    return _resolve(relpath).read_bytes()


def path_of(relpath: str) -> Path:
    """The filesystem path of a stored file (for send_file)."""
    return _resolve(relpath)


def exists(relpath: str) -> bool:
    """Whether a file is stored at this path."""
    return _resolve(relpath).exists()


def probe() -> None:
    """Write, read back and remove a small file: raises OSError if the storage folder is not usable."""
    folder = root() / ".probe"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{secrets.token_hex(8)}.txt"
    data = secrets.token_bytes(16)
    try:
        path.write_bytes(data)
        if path.read_bytes() != data:
            raise StorageError("storage read back different bytes")
    finally:
        path.unlink(missing_ok=True)
