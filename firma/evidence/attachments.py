"""The originals embedded in the final PDF: every current evidence file and every recorded text, by name.

Generic over evidence kinds: a stored file (photos, the selfie burst, signature images) is attached as it was
written; a text kept in an item's data (the consent texts) is attached as UTF-8 plain text. evidence.json lists
each with its SHA-256, so the PDF alone proves what was collected.
"""
from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass, field
from typing import Any

from firma.models import Envelope, Evidence, EvidenceKind, Signer
from firma.platform import storage

EVIDENCE_JSON = "evidence.json"
RELATIONSHIP = "Supplement"  # PDF 2.0 /AFRelationship: the files support the signed content


@dataclass(frozen=True)
class Attachment:
    """One file embedded in the final PDF: its name (/F and /UF), MIME type and bytes."""

    name: str
    mime: str
    kind: str
    signer_order: int | None
    description: str
    content: bytes = field(repr=False)

    @property
    def sha256(self) -> str:
        """SHA-256 of the bytes as embedded."""
        return hashlib.sha256(self.content).hexdigest()

    def listing(self) -> dict[str, Any]:
        """The attachment as evidence.json lists it (everything but the bytes)."""
        return {"name": self.name, "content_type": self.mime, "kind": self.kind, "signer_order": self.signer_order,
                "description": self.description, "sha256": self.sha256, "size": len(self.content)}


def evidence_file(evidence_json: bytes) -> Attachment:
    """evidence.json as an attachment (it lists every other attachment with its SHA-256)."""
    return Attachment(name=EVIDENCE_JSON, mime="application/json", kind="evidence_json", signer_order=None,
                      description="Evidências em JSON (lista os demais anexos com seus SHA-256)", content=evidence_json)


def of_envelope(envelope: Envelope) -> list[Attachment]:
    """Every signer's current (not superseded) evidence files and texts."""
    return [item for signer in envelope.signers for item in of_signer(signer)]


def of_signer(signer: Signer) -> list[Attachment]:
    """One signer's attachments, named `signatario-<order>-<kind>.<ext>` (a counter keeps names unique)."""
    found: list[Attachment] = []
    for row in sorted((r for r in signer.evidence if not r.superseded), key=lambda r: r.id or 0):
        label = EvidenceKind.choices().get(row.kind, str(row.kind))
        if row.path:
            found.append(_named(found, signer, row, storage.read(row.path), row.content_type, label))
        text = (row.data or {}).get("text")
        if isinstance(text, str) and text:
            found.append(_named(found, signer, row, text.encode("utf-8"), "text/plain", f"{label} (texto)"))
    return found


def _named(found: list[Attachment], signer: Signer, row: Evidence, content: bytes, mime: str | None,
           label: str) -> Attachment:
    mime = mime or "application/octet-stream"
    ext = (mimetypes.guess_extension(mime) or ".bin").lstrip(".")
    ext = {"jpe": "jpg", "jpeg": "jpg"}.get(ext, ext)
    stem = f"signatario-{signer.order}-{str(row.kind).replace('_', '-')}"
    name, taken, n = f"{stem}.{ext}", {a.name for a in found}, 1
    while name in taken:
        n += 1
        name = f"{stem}-{n}.{ext}"
    return Attachment(name=name, mime=mime, kind=str(row.kind), signer_order=signer.order,
                      description=f"{label} — signatário {signer.order}", content=content)
