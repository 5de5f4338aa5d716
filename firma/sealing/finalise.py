"""Finalisation, exactly once: manifest + evidence.json appended to the original, then the PAdES seal.

A conditional UPDATE claims the envelope, so two racing last signatures (or two workers) cannot both
seal it; a claim older than STALE is taken over (a worker died mid-seal), so nothing stays stuck.
"""
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, or_, update

from firma.config import ConfigError, seal_passphrase
from firma.evidence import audit, manifest, manifest_pdf
from firma.extensions import db
from firma.models import Envelope, EventType, utcnow
from firma.platform import jobs, metrics, outbox, storage
from firma.platform.tokens import sha256_hex
from firma.sealing import assemble, seal

STALE = timedelta(minutes=10)



def request(envelope_id: int) -> None:
    """Ask the queue to finalise an envelope once everyone has signed (called after the commit)."""
    jobs.dispatch("envelope.finalise", envelope_id)


@jobs.job("envelope.finalise", retries=5, retry_delay=60)
def finalise_job(envelope_id: int) -> bool:
    """Seal an envelope; a failure stays visible (finalise_state=failed) and Huey retries it with backoff."""
    done = finalise(envelope_id)
    envelope = db.session.get(Envelope, envelope_id)
    if not done and envelope is not None and envelope.finalise_state == "failed":
        raise jobs.JobFailed(f"finalisation of envelope {envelope_id} failed: {envelope.finalise_error}")
    return done


def sealer(app=None) -> seal.Sealer:
    """This process's sealer for the app's PKCS#12 (ConfigError, naming the file, if it cannot be loaded)."""
    app = app or current_app
    cfg = app.config
    try:
        return seal.get_sealer(cfg["SEAL_P12"], seal_passphrase(app), cfg["TSA_URL"])
    except (OSError, ValueError) as exc:
        raise ConfigError(f"The seal certificate {cfg['SEAL_P12']} cannot be loaded ({exc}). Run `firma init`, "
                          "or set FIRMA_SEAL_P12 and FIRMA_SEAL_PASSPHRASE.") from None


def claim(envelope_id: int) -> bool:
    """Take the envelope's finalisation with a conditional UPDATE; False if another has it."""
    now = utcnow()
    result = db.session.execute(
        update(Envelope)
        .where(Envelope.id == envelope_id, Envelope.status == "pending",
               or_(Envelope.finalise_state.in_(("none", "failed")),
                   and_(Envelope.finalise_state == "running", Envelope.finalise_started_at < now - STALE)))
        .values(finalise_state="running", finalise_started_at=now)
    )
    db.session.commit()
    return result.rowcount == 1


def finalise(envelope_id: int) -> bool:
    """Seal a fully signed envelope; True if this call did it, False if not ready or someone else did."""
    envelope = db.session.get(Envelope, envelope_id)
    if envelope is None or not all(s.status == "signed" for s in envelope.signers):
        return False
    if not claim(envelope_id):
        return False
    db.session.refresh(envelope)
    try:
        final = build_final_pdf(envelope)
        digest = sha256_hex(final)
        path = storage.write_once(f"envelopes/{envelope.public_code}/final-{digest[:16]}.pdf", final)
    except Exception as exc:
        db.session.rollback()
        envelope = db.session.get(Envelope, envelope_id)
        envelope.finalise_state, envelope.finalise_error = "failed", f"{type(exc).__name__}: {exc}"[:2000]
        audit.record(envelope, EventType.ENVELOPE_FINALISE_FAILED, error=envelope.finalise_error)
        outbox.commit()
        metrics.FINALISATIONS.labels("failed").inc()
        current_app.logger.exception("finalisation of envelope %s failed", envelope_id)
        return False
    complete(envelope, path, digest)
    outbox.commit()
    metrics.FINALISATIONS.labels("completed").inc()
    return True


def build_final_pdf(envelope: Envelope) -> bytes:
    """Original + manifest + evidence.json, merged and then sealed."""
    cfg = current_app.config
    data = manifest.collect(envelope, public_url=cfg["PUBLIC_URL"])
    manifest_bytes = manifest_pdf.render_manifest(data)
    version = envelope.template_version
    evidence_json = manifest.evidence_json(
        data, variables=envelope.variables or {}, artifacts=manifest.artifacts_of(envelope),
        template_version=({"template_id": version.template_id, "template": version.template.name,
                           "version": version.number, "body_sha256": sha256_hex(version.body.encode())}
                          if version else None),
    )
    merged = assemble.assemble(storage.read(envelope.original_path), manifest_bytes,
                               {"evidence.json": evidence_json}, title=envelope.title)
    with metrics.SEAL_SECONDS.time():
        return sealer().seal(merged, reason=f"Documento assinado eletronicamente — {envelope.public_code}",
                             location=envelope.branch.city or "Brasil")


def complete(envelope: Envelope, path: str, digest: str) -> None:
    """Record the sealed PDF, mark the envelope completed and activate its contract."""
    now = utcnow()
    envelope.final_path, envelope.final_sha256 = path, digest
    envelope.status, envelope.completed_at = "completed", now
    envelope.finalise_state, envelope.finalise_error = "done", None
    audit.record(envelope, EventType.ENVELOPE_COMPLETED, final_sha256=digest)
    contract = envelope.contract
    if envelope.kind == "contract" and contract is not None and contract.activate_on_signature:
        contract.status, contract.activated_at = "active", now
        audit.record(envelope, EventType.CONTRACT_ACTIVATED, contract=contract.number)
    if envelope.kind == "term" and envelope.term is not None:
        envelope.term.signed = True
