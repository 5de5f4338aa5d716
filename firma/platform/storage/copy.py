"""Copy every stored file to another storage (disk → S3 migration): idempotent, checksums verified."""
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from firma.platform.storage.base import Backend, StorageError


@dataclass
class CopyReport:
    """What a copy did: files copied, already present (identical), and names that differ at the target."""

    copied: int = 0
    skipped: int = 0
    conflicts: list[str] = field(default_factory=list)


def _target_sha256(target: Backend, name: str) -> str | None:
    """The target's SHA-256 of a name, None if it has no such file."""
    if not target.exists(name):
        return None
    recorded = getattr(target, "sha256", None)
    known = recorded(name) if recorded else None
    return known or hashlib.sha256(target.read(name)).hexdigest()


def copy_all(source: Backend, target: Backend, progress: Callable[[str, str], None] = lambda name, what: None,
             ) -> CopyReport:
    """Copy each file of `source` missing at `target`, verify it by reading it back, skip identical ones."""
    report = CopyReport()
    for name in source.keys():
        data = source.read(name)
        digest = hashlib.sha256(data).hexdigest()
        existing = _target_sha256(target, name)
        if existing == digest:
            report.skipped += 1
            progress(name, "skipped")
            continue
        if existing is not None:
            report.conflicts.append(name)
            progress(name, "conflict")
            continue
        target.write_once(name, data)
        if hashlib.sha256(target.read(name)).hexdigest() != digest:
            raise StorageError(f"{name}: the copy at {target.url} reads back different bytes")
        report.copied += 1
        progress(name, "copied")
    return report
