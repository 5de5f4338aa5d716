"""The admin's front page as a work queue: counts by status, then one section per kind of thing to act on.

A section is one entry of `QUEUE` (a title, the partial that draws its rows, a query); adding a list to the
dashboard is adding one entry. Each query returns at most `limit` rows, the most urgent first.
"""
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from firma.extensions import db
from firma.models import (
    Batch, BatchStatus, Delivery, DeliveryStatus, Envelope, EnvelopeStatus, FinaliseState, ReviewState, Signer,
    SignerStatus,
    utcnow,
)

EXPIRING_WITHIN = timedelta(hours=48)


@dataclass(frozen=True)
class Section:
    """One list of the work queue: `rows(now, limit)` gives its rows, `partial` draws them with their action."""

    key: str
    title: str
    hint: str
    empty: str
    partial: str
    rows: Callable[[datetime, int], list]
    alert: bool = True  # rows here mean something is wrong (the count is shown in red)


@dataclass
class QueueList:
    """A section with the rows shown and whether more exist."""

    section: Section
    rows: list
    more: bool  # there are more rows than shown


@dataclass
class Summary:
    """What the dashboard shows: counts by envelope status, then the work-queue lists in order."""

    counts: dict[EnvelopeStatus, int]
    queue: list[QueueList] = field(default_factory=list)

    def section(self, key: str) -> QueueList:
        """One list by its key (tests and callers that want a single list)."""
        return next(q for q in self.queue if q.section.key == key)


def _deliveries_in_trouble(now: datetime, limit: int) -> list[Delivery]:
    return list(db.session.scalars(
        select(Delivery).where(Delivery.status.in_((DeliveryStatus.RETRY, DeliveryStatus.FAILED)))
        .order_by((Delivery.status == DeliveryStatus.FAILED).desc(), Delivery.updated_at.desc(), Delivery.id.desc())
        .limit(limit)))


def _awaiting_review(now: datetime, limit: int) -> list[Envelope]:
    return list(db.session.scalars(
        select(Envelope).where(Envelope.review_state == ReviewState.REQUIRED)
        .order_by(Envelope.completed_at, Envelope.id).limit(limit)))


def _failed_finalisations(now: datetime, limit: int) -> list[Envelope]:
    return list(db.session.scalars(
        select(Envelope).where(Envelope.finalise_state == FinaliseState.FAILED).order_by(Envelope.id.desc())
        .limit(limit)))


def _links_expiring(now: datetime, limit: int) -> list[Signer]:
    return list(db.session.scalars(
        select(Signer).join(Envelope, Signer.envelope_id == Envelope.id)
        .where(Envelope.status == EnvelopeStatus.PENDING, Signer.token_hash.is_not(None),
               Signer.status.not_in((SignerStatus.SIGNED, SignerStatus.DECLINED)),
               Signer.token_expires_at > now, Signer.token_expires_at <= now + EXPIRING_WITHIN)
        .order_by(Signer.token_expires_at, Signer.id).limit(limit)))


def _batches_running(now: datetime, limit: int) -> list[Batch]:
    return list(db.session.scalars(
        select(Batch).where(Batch.status.in_((BatchStatus.QUEUED, BatchStatus.RUNNING)))
        .order_by(Batch.id.desc()).limit(limit)))


def _waiting_longest(now: datetime, limit: int) -> list[Envelope]:
    return list(db.session.scalars(
        select(Envelope).where(Envelope.status == EnvelopeStatus.PENDING)
        .order_by(Envelope.created_at, Envelope.id).limit(limit)))


QUEUE: list[Section] = [
    Section("deliveries", "Envios com problema", "E-mails, WhatsApp e webhooks em nova tentativa ou que falharam.",
            "Nenhum envio com problema.", "admin/queue/_deliveries.html", _deliveries_in_trouble),
    Section("review", "Aguardando revisão", "Assinaturas concluídas cuja verificação de identidade precisa de uma decisão.",
            "Nenhuma assinatura aguardando revisão da identificação.", "admin/queue/_review.html", _awaiting_review),
    Section("finalisations", "Falhas de finalização", "Documentos assinados por todos cujo PDF final não foi gerado.",
            "Nenhuma falha de finalização.", "admin/queue/_finalisations.html", _failed_finalisations),
    Section("expiring", "Links que vencem em 48 horas", "Signatários que ainda não assinaram e cujo link está para vencer.",
            "Nenhum link vencendo nas próximas 48 horas.", "admin/queue/_expiring.html", _links_expiring),
    Section("batches", "Lotes em andamento", "Operações em lote na fila ou sendo processadas.",
            "Nenhum lote em andamento.", "admin/queue/_batches.html", _batches_running, alert=False),
    Section("waiting", "Aguardando há mais tempo", "Assinaturas pendentes mais antigas.",
            "Nenhuma assinatura pendente.", "admin/queue/_waiting.html", _waiting_longest, alert=False),
]


def summary(limit: int = 10, now: datetime | None = None) -> Summary:
    """The dashboard's figures, with at most `limit` rows per list."""
    now = now or utcnow()
    rows = dict(db.session.execute(select(Envelope.status, func.count()).group_by(Envelope.status)).all())
    counts = {status: rows.get(status, 0) for status in EnvelopeStatus}
    queue = []
    for section in QUEUE:
        found = section.rows(now, limit + 1)
        queue.append(QueueList(section, found[:limit], len(found) > limit))
    return Summary(counts, queue)
