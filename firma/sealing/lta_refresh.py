"""LTA upkeep: before the last timestamp's certificate expires, add fresh validation data and a new document timestamp.

The refreshed PDF is the old one plus an incremental update, stored write-once under a new name; the envelope
points at it and lists the earlier files in `final_versions`, so every copy handed out still verifies. A
conditional UPDATE on the old hash makes two racing refreshes harmless (one wins, the other is dropped).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import select, update

from firma.evidence import audit
from firma.extensions import db
from firma.models import Envelope, EventType, utcnow
from firma.platform import jobs, outbox, storage
from firma.platform.tokens import sha256_hex
from firma.sealing import finalise, ltv

BATCH = 50


@dataclass
class Outcome:
    """What one refresh run did, with a line per envelope for the CLI."""

    refreshed: int = 0
    failed: int = 0
    lines: list[str] = field(default_factory=list)


def due(now: datetime, margin: timedelta, limit: int = BATCH) -> list[int]:
    """Completed envelopes whose last timestamp certificate expires within `margin`."""
    return list(db.session.scalars(
        select(Envelope.id).where(Envelope.status == "completed", Envelope.final_path.is_not(None),
                                  Envelope.lta_expires_at.is_not(None), Envelope.lta_expires_at <= now + margin)
        .order_by(Envelope.lta_expires_at).limit(limit)))


def scan_unknown(limit: int = 500) -> int:
    """Fill lta_expires_at for completed envelopes sealed before it was recorded (reads each final PDF once)."""
    envelopes = db.session.scalars(select(Envelope).where(
        Envelope.status == "completed", Envelope.final_path.is_not(None), Envelope.lta_expires_at.is_(None),
        Envelope.final_versions.is_(None)).limit(limit)).all()
    for envelope in envelopes:
        envelope.lta_expires_at = ltv.last_timestamp_expiry(storage.read(envelope.final_path))
        envelope.final_versions = envelope.final_versions or []  # scanned: not read again
    db.session.commit()
    return len(envelopes)


def refresh(envelope_id: int) -> bool:
    """Re-timestamp one envelope's final PDF; True if this call stored a new version."""
    envelope = db.session.get(Envelope, envelope_id)
    old_sha, old_path = envelope.final_sha256, envelope.final_path
    sealer = finalise.sealer(timestamping=True)
    pdf = storage.read(old_path)
    refreshed = sealer.add_document_timestamp(pdf)
    digest = sha256_hex(refreshed)
    path = storage.write_once(f"envelopes/{envelope.public_code}/final-{digest[:16]}.pdf", refreshed)
    versions = [*(envelope.final_versions or []), {"sha256": old_sha, "path": old_path}]
    result = db.session.execute(
        update(Envelope).where(Envelope.id == envelope_id, Envelope.final_sha256 == old_sha)
        .values(final_path=path, final_sha256=digest, final_versions=versions,
                lta_expires_at=ltv.last_timestamp_expiry(refreshed)))
    if result.rowcount != 1:
        db.session.rollback()
        return False
    db.session.refresh(envelope)
    audit.record(envelope, EventType.ENVELOPE_LTA_REFRESHED, final_sha256=digest, previous_sha256=old_sha)
    outbox.commit()
    return True


def refresh_due(margin_days: int | None = None, now: datetime | None = None) -> Outcome:
    """Refresh every envelope due; failures are logged and counted, never stop the others."""
    outcome = Outcome()
    now = now or utcnow()
    days = current_app.config["LTA_REFRESH_MARGIN_DAYS"] if margin_days is None else margin_days
    if not current_app.config.get("TSA_URL"):
        outcome.lines.append("FIRMA_TSA_URL não configurado: não há como adicionar carimbos do tempo.")
        return outcome
    scan_unknown()
    for envelope_id in due(now, timedelta(days=days)):
        code = db.session.get(Envelope, envelope_id).public_code
        try:
            if refresh(envelope_id):
                outcome.refreshed += 1
                outcome.lines.append(f"{code}: novo carimbo do tempo adicionado")
        except Exception as exc:  # a TSA or CRL outage, a bad file: try again on the next run
            db.session.rollback()
            outcome.failed += 1
            outcome.lines.append(f"{code}: falhou ({type(exc).__name__}: {exc})"[:500])
            current_app.logger.exception("LTA refresh of envelope %s failed", envelope_id)
    return outcome


@jobs.job("envelope.lta_refresh_sweep", every_minutes=60)
def sweep(now_iso: str | None = None) -> int:
    """Hourly: re-timestamp the sealed PDFs whose last timestamp certificate expires within the margin."""
    now = datetime.fromisoformat(now_iso).astimezone(timezone.utc) if now_iso else None
    return refresh_due(now=now).refreshed
