"""Finalisation, exactly once: manifest, the evidence originals and evidence.json added to the original, then sealed.

A conditional UPDATE claims the envelope, so two racing last signatures (or two workers) cannot both
seal it; a claim older than STALE is taken over (a worker died mid-seal), so nothing stays stuck: a periodic
sweep re-requests every fully signed envelope that is not sealed, failed a while ago, or whose claim went stale.
"""
from dataclasses import replace
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, exists, or_, select, update

from firma.config import ConfigError, seal_passphrase
from firma.evidence import attachments, audit, manifest, manifest_pdf, wording
from firma.extensions import db
from firma.identity import policy
from firma.models import Envelope, EventType, FinaliseState, ReviewState, Signer, SignerStatus, utcnow
from firma.platform import jobs, metrics, outbox, storage
from firma.platform.tokens import sha256_hex
from firma.sealing import assemble, ltv, revocation, seal, trust

STALE = timedelta(minutes=10)
RETRY_DELAY = timedelta(seconds=60)  # the job's first retry delay; the sweep retries a failure no sooner
SWEEP_BATCH = 50


def request(envelope_id: int, now: datetime | None = None) -> None:
    """Ask the queue to finalise an envelope once everyone has signed (called after the commit)."""
    jobs.dispatch("envelope.finalise", envelope_id, *([now.isoformat()] if now else []))


@jobs.job("envelope.finalise", retries=5, retry_delay=int(RETRY_DELAY.total_seconds()))
def finalise_job(envelope_id: int, now_iso: str | None = None) -> bool:
    """Seal an envelope; a failure stays visible (finalise_state=failed) and Huey retries it with backoff."""
    done = finalise(envelope_id, datetime.fromisoformat(now_iso) if now_iso else None)
    envelope = db.session.get(Envelope, envelope_id)
    if not done and envelope is not None and envelope.finalise_state == "failed":
        raise jobs.JobFailed(f"finalisation of envelope {envelope_id} failed: {envelope.finalise_error}")
    return done


def sealer(app=None, *, timestamping: bool = False) -> seal.Sealer:
    """This process's sealer for the app's PKCS#12 (ConfigError, naming the file, if it cannot be loaded).

    `timestamping` asks for the configured TSA even at level B-B (the LTA refresh adds document timestamps).
    """
    app = app or current_app
    cfg = app.config
    try:
        policy = seal.SealPolicy.parse(cfg.get("SEAL_POLICY"))
        tsa_roots = revocation.load_certificates(cfg.get("TSA_ROOTS"))
        roots = revocation.load_certificates(cfg.get("TRUST_ROOTS"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"FIRMA_SEAL_POLICY, FIRMA_TRUST_ROOTS or FIRMA_TSA_ROOTS cannot be read ({exc}).") from None
    level = cfg.get("SEAL_LEVEL") or "B-B"
    try:
        loaded = seal.get_sealer(cfg["SEAL_P12"], seal_passphrase(app), cfg["TSA_URL"] if level != "B-B" or timestamping else None,
                                 lta=level == "B-LTA", trust_roots=(*roots, *tsa_roots), policy=policy)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"The seal certificate {cfg['SEAL_P12']} cannot be loaded ({exc}). Run `firma init`, "
                          "or set FIRMA_SEAL_P12 and FIRMA_SEAL_PASSPHRASE.") from None
    try:  # keep it: the verifier must still accept it after the next rotation
        trust.record(loaded.chain, app)
    except (OSError, storage.StorageError) as exc:
        app.logger.warning("cannot keep the seal certificate in the storage's %s/ (%s): after a rotation, documents "
                           "sealed with it verify only through FIRMA_TRUST_ROOTS", trust.FOLDER, exc)
    return loaded


def _stale_claim(now: datetime):
    """SQL condition: a running finalisation whose worker has had longer than FINALISE_STALE_SECONDS (it died)."""
    stale = timedelta(seconds=current_app.config.get("FINALISE_STALE_SECONDS", STALE.total_seconds()))
    return and_(Envelope.finalise_state == FinaliseState.RUNNING, Envelope.finalise_started_at < now - stale)


def claim(envelope_id: int, now: datetime | None = None) -> bool:
    """Take the envelope's finalisation with a conditional UPDATE; False if another has it."""
    return _claim_at(envelope_id, now) is not None


def _claim_at(envelope_id: int, now: datetime | None = None) -> datetime | None:
    """The claim's time if this call took the finalisation (it tells this claim from a later takeover), else None."""
    now = now or utcnow()
    result = db.session.execute(
        update(Envelope)
        .where(Envelope.id == envelope_id, Envelope.status == "pending",
               or_(Envelope.finalise_state.in_((FinaliseState.NONE, FinaliseState.FAILED)), _stale_claim(now)))
        .values(finalise_state=FinaliseState.RUNNING, finalise_started_at=now)
    )
    db.session.commit()
    return now if result.rowcount == 1 else None


def _still_ours(envelope_id: int, claimed_at: datetime) -> bool:
    """Whether this claim still holds (a worker too slow for the STALE limit may have been overtaken): the row is
    locked and marked completed in one conditional UPDATE, so only one of two sealing workers records its seal."""
    result = db.session.execute(
        update(Envelope).where(Envelope.id == envelope_id, Envelope.status == "pending",
                               Envelope.finalise_state == FinaliseState.RUNNING,
                               Envelope.finalise_started_at == claimed_at)
        .values(status="completed").execution_options(synchronize_session=False))
    return result.rowcount == 1


def stuck(now: datetime, limit: int = SWEEP_BATCH) -> list[int]:
    """Ids of pending, fully signed envelopes not sealed: never started, failed over RETRY_DELAY ago, or stale."""
    unsigned = exists().where(Signer.envelope_id == Envelope.id, Signer.status != SignerStatus.SIGNED)
    return list(db.session.scalars(
        select(Envelope.id)
        .where(Envelope.status == "pending", exists().where(Signer.envelope_id == Envelope.id), ~unsigned,
               or_(Envelope.finalise_state == FinaliseState.NONE,
                   and_(Envelope.finalise_state == FinaliseState.FAILED,
                        Envelope.finalise_started_at < now - RETRY_DELAY),
                   _stale_claim(now)))
        .order_by(Envelope.id).limit(limit)))


@jobs.job("envelope.finalise_sweep", every_minutes=5)
def sweep(now_iso: str | None = None) -> int:
    """Re-request the finalisation of envelopes left unsealed (a lost request, a failure, a dead worker)."""
    now = datetime.fromisoformat(now_iso) if now_iso else utcnow()
    ids = stuck(now)
    db.session.commit()  # end the read transaction before the jobs (inline in tests) run
    for envelope_id in ids:
        request(envelope_id, now if now_iso else None)  # a faked clock travels on; a real one is read by the job
    return len(ids)


def finalise(envelope_id: int, now: datetime | None = None) -> bool:
    """Seal a fully signed envelope; True if this call did it, False if not ready or someone else did."""
    envelope = db.session.get(Envelope, envelope_id)
    if envelope is None or not envelope.all_signed:
        return False
    claimed_at = _claim_at(envelope_id, now)
    if claimed_at is None:
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
    if not _still_ours(envelope_id, claimed_at):
        db.session.rollback()
        current_app.logger.warning("finalisation of envelope %s was taken over by another worker", envelope_id)
        return False
    complete(envelope, path, digest)
    envelope.lta_expires_at = ltv.last_timestamp_expiry(final)  # when `firma lta-refresh` is due
    outbox.commit()
    metrics.FINALISATIONS.labels("completed").inc()
    return True


def build_final_pdf(envelope: Envelope) -> bytes:
    """Original + manifest + attached originals + evidence.json, merged and then sealed."""
    cfg = current_app.config
    seal_key = sealer()
    level = seal_key.level
    tsa_url = seal_key.tsa_url if level != "B-B" else None  # a B-B seal must not name a TSA it does not carry
    data = replace(manifest.collect(envelope, public_url=cfg["PUBLIC_URL"], tsa_url=tsa_url,
                                    seal=wording.seal_info(seal_key.certificate.dump(), tsa_url)), seal_level=level)
    version = envelope.template_version
    evidence_json = manifest.evidence_json(
        data, variables=envelope.variables or {}, artifacts=manifest.artifacts_of(envelope),
        template_version=({"template_id": version.template_id, "template": version.template.name,
                           "version": version.number, "body_sha256": sha256_hex(version.body.encode())}
                          if version else None),
    )
    # evidence.json does not depend on the manifest PDF, so the manifest can print its SHA-256.
    manifest_bytes = manifest_pdf.render_manifest(data, evidence_sha256=sha256_hex(evidence_json))
    merged = assemble.assemble(storage.read(envelope.original_path), manifest_bytes,
                               [*data.attachments, attachments.evidence_file(evidence_json)], title=envelope.title)
    with metrics.SEAL_SECONDS.time():
        return seal_key.seal(merged, reason=f"Documento assinado eletronicamente — {envelope.public_code}",
                             location=envelope.branch.city or "Brasil")


def complete(envelope: Envelope, path: str, digest: str) -> None:
    """Record the sealed PDF, mark the envelope completed and activate its contract (or wait for a review)."""
    now = utcnow()
    envelope.final_path, envelope.final_sha256 = path, digest
    envelope.status, envelope.completed_at = "completed", now
    envelope.finalise_state, envelope.finalise_error = "done", None
    audit.record(envelope, EventType.ENVELOPE_COMPLETED, final_sha256=digest)
    if policy.needs_review(envelope):
        envelope.review_state = ReviewState.REQUIRED
        audit.record(envelope, EventType.ENVELOPE_REVIEW_REQUIRED, policy=envelope.identity_policy, signers=[
            {"id": s.id, "name": s.name, "outcome": policy.outcome(s)} for s in envelope.signers
            if policy.outcome(s) in policy.FAILURES])
        return  # the contract (or term) waits for the reviewer's decision
    activate(envelope, now)


def activate(envelope: Envelope, now: datetime | None = None) -> None:
    """Put into effect what the envelope signed: activate its contract (if so configured), mark its term signed."""
    contract = envelope.contract
    if envelope.kind == "contract" and contract is not None and contract.activate_on_signature:
        contract.status, contract.activated_at = "active", now or utcnow()
        audit.record(envelope, EventType.CONTRACT_ACTIVATED, contract=contract.number)
    if envelope.kind == "term" and envelope.term is not None:
        envelope.term.signed = True
