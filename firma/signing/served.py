"""What the signer saw: the SHA-256 of the exact bytes the server sent them, recorded when it sends them.

The read step serves the document as page images, one request per page (and the original PDF as a download).
Each page image, and each PDF, sent to a signer is one `signer.document_served` audit event, written the first
time; the confirm step takes the document hash from these records, never from the page.
"""
from __future__ import annotations

import hashlib

from sqlalchemy import select

from firma.evidence import audit
from firma.evidence.audit import RequestInfo
from firma.extensions import db
from firma.models import Event, EventType, Signer
from firma.models.vocabulary import ServedFormat
from firma.platform.errors import Refusal

NOTHING_SERVED = "Abra o documento na etapa de leitura antes de assinar."


def page_image_served(signer: Signer, number: int, image: bytes, *, source_sha256: str, width: int,
                      info: RequestInfo) -> bool:
    """Record, once per page and version, the page image (rendered from the PDF `source_sha256`) about to be sent."""
    digest = hashlib.sha256(image).hexdigest()
    return _record(signer, ServedFormat.PAGE_IMAGES, digest, source_sha256, info, page=number, width=width)


def pdf_served(signer: Signer, pdf: bytes, *, info: RequestInfo) -> bool:
    """Record, once per version, the original PDF about to be sent; True if this call recorded it."""
    digest = hashlib.sha256(pdf).hexdigest()
    return _record(signer, ServedFormat.PDF, digest, digest, info)


def _record(signer: Signer, fmt: ServedFormat, digest: str, source_sha256: str, info: RequestInfo, **extra) -> bool:
    if signer.is_done or _already(signer, fmt, digest):  # the common case reads only
        return False
    audit.lock_envelope(signer.envelope_id)  # racing page requests: one writes, the others see it below
    if _already(signer, fmt, digest):
        return False
    audit.record(signer.envelope, EventType.SIGNER_DOCUMENT_SERVED, signer=signer, info=info, format=fmt.value,
                 sha256=digest, source_sha256=source_sha256, **extra)
    return True


def served_events(signer: Signer) -> list[Event]:
    """The signer's `signer.document_served` events, oldest first."""
    return list(db.session.scalars(
        select(Event).where(Event.signer_id == signer.id, Event.type == EventType.SIGNER_DOCUMENT_SERVED)
        .order_by(Event.seq)))


def _already(signer: Signer, fmt: ServedFormat, digest: str) -> bool:
    return any(e.data.get("format") == fmt and e.data.get("sha256") == digest for e in served_events(signer))


def seen_document_sha256(signer: Signer) -> str:
    """The SHA-256 of the PDF whose bytes (or page images) the server sent this signer; Refusal if none or stale."""
    sources = {e.data.get("source_sha256") for e in served_events(signer)}
    if not sources:
        raise Refusal(NOTHING_SERVED)
    if signer.envelope.original_sha256 not in sources:
        raise Refusal("O documento mudou desde que você o abriu. Recarregue a página e leia novamente.")
    return signer.envelope.original_sha256
