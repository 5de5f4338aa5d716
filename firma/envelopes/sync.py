"""Sync ("consultar situação"): re-derive an envelope's state and finish what a failure left half done.

For the ERP when our webhook did not reach it, and for staff: expiry that the sweep has not applied yet,
a finalisation that failed or never started, signed copies never queued, webhooks never queued or failed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from firma.delivery import deliveries, webhooks
from firma.envelopes import lifecycle
from firma.evidence import audit
from firma.extensions import db
from firma.models import Delivery, Envelope, EventType, Signer, SignerStatus, utcnow
from firma.platform import outbox
from firma.sealing import finalise


@dataclass
class SyncReport:
    """What sync did (pt-BR sentences), who still has to act, and one summary line for people."""

    actions: list[str] = field(default_factory=list)
    pending: list[Signer] = field(default_factory=list)
    message: str = ""


def sync_envelope(envelope: Envelope, *, now: datetime | None = None) -> SyncReport:
    """Bring one envelope up to date; the caller commits, then finalisation and webhooks run on the queue."""
    now = now or utcnow()
    report = SyncReport()
    _signers_from_events(envelope, report)
    if envelope.status == "pending" and lifecycle.expire(envelope, now=now):
        report.actions.append("Prazo de assinatura vencido: envelope marcado como expirado.")
    if envelope.status == "pending" and envelope.all_signed:
        _refinalise(envelope, now, report)
    if envelope.status == "completed" and envelope.final_path:
        copies = deliveries.send_signed_copies(envelope)
        if copies:
            report.actions.append(f"Via assinada enfileirada para {len(copies)} signatário(s).")
    _webhooks(envelope, report)
    db.session.flush()
    report.pending = [s for s in envelope.signers if not s.is_done and envelope.status == "pending"]
    report.message = _summary(envelope, report)
    return report


def _signers_from_events(envelope: Envelope, report: SyncReport) -> None:
    """A signer whose signature event is recorded but whose row says otherwise is corrected from the log."""
    signed = {e.signer_id for e in audit.events_of(envelope.id) if e.type == EventType.SIGNER_SIGNED}
    for signer in envelope.signers:
        if signer.id in signed and signer.status != SignerStatus.SIGNED:
            signer.status = "signed"
            report.actions.append(f"{signer.name}: situação corrigida para assinado, conforme o registro de eventos.")


def _refinalise(envelope: Envelope, now: datetime, report: SyncReport) -> None:
    state = envelope.finalise_state
    stale = envelope.finalise_started_at is not None and envelope.finalise_started_at < now - finalise.STALE
    if state == "running" and not stale:
        report.actions.append("Finalização em andamento; aguarde alguns instantes.")
        return
    envelope_id = envelope.id
    outbox.after_commit(lambda: finalise.request(envelope_id))
    report.actions.append("Todos assinaram: finalização do documento reiniciada." if state != "none"
                          else "Todos assinaram: finalização do documento solicitada.")


def _webhooks(envelope: Envelope, report: SyncReport) -> None:
    if not envelope.integration.webhook_url:
        return
    queued = [e for e in audit.events_of(envelope.id)
              if e.type in webhooks.EVENTS and webhooks.queue_for_event(e) is not None]
    if queued:
        report.actions.append(f"{len(queued)} webhook(s) que não tinham sido enfileirados foram enviados.")
    failed = db.session.scalars(select(Delivery).where(
        Delivery.envelope_id == envelope.id, Delivery.channel == "webhook", Delivery.status == "failed"))
    replayed = [webhooks.replay(row) for row in failed]
    if replayed:
        report.actions.append(f"{len(replayed)} webhook(s) com falha reenviados.")


def _summary(envelope: Envelope, report: SyncReport) -> str:
    status = {"pending": "pendente", "completed": "concluída", "cancelled": "cancelada", "expired": "expirada",
              "declined": "recusada"}.get(envelope.status, envelope.status)
    head = f"Assinatura {status}."
    if report.pending:
        head += " Aguardando: " + ", ".join(f"{s.name} ({s.role.label})" for s in report.pending) + "."
    return head + (" " + " ".join(report.actions) if report.actions else " Nada a corrigir.")
