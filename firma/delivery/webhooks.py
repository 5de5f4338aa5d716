"""Webhooks to the ERP: one Delivery per audit event, POSTed as signed JSON, retried with backoff for a day.

The body is stored on the row when the event happens, so every attempt and every replay sends the same
bytes (the ERP can dedupe on `id`); the signature covers a fresh timestamp + that raw body
(`firma.webhook_signing`, verification snippet in docs/webhooks.md).
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from firma.delivery import deliveries, webhook_signing
from firma.extensions import db
from firma.models import Channel, Delivery, DeliveryStatus, Envelope, Event, EventType, Integration, User, utcnow
from firma.org import deactivation
from firma.platform import jobs, outbox
from firma.platform.outbound import UnsafeUrl, post_json

EVENTS = (
    EventType.ENVELOPE_SENT, EventType.SIGNER_VIEWED, EventType.SIGNER_SIGNED, EventType.SIGNER_DECLINED,
    EventType.ENVELOPE_COMPLETED, EventType.ENVELOPE_CANCELLED, EventType.ENVELOPE_EXPIRED,
    EventType.CONTRACT_ACTIVATED, EventType.ENVELOPE_REVIEW_REQUIRED, EventType.ENVELOPE_REVIEW_DECIDED,
)
RETRY_FOR = timedelta(days=1)
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)


def payload(event: Event) -> dict:
    """The JSON the ERP receives for an event: ids it knows (contract number) and the envelope's state."""
    envelope: Envelope = db.session.get(Envelope, event.envelope_id)
    signer = event.signer
    data = {
        "envelope": {
            "id": envelope.id, "public_code": envelope.public_code, "kind": envelope.kind, "status": envelope.status,
            "title": envelope.title,
            "contract_number": envelope.contract.number if envelope.contract is not None else None,
            "service_order_number": envelope.service_order.number if envelope.service_order is not None else None,
            "final_sha256": envelope.final_sha256, "review_state": envelope.review_state,
        },
        "details": event.data or {},
    }
    if signer is not None:
        data["signer"] = {"id": signer.id, "role": signer.role, "name": signer.name, "status": signer.status}
    return {"id": f"evt_{event.id}", "type": event.type,
            "created_at": event.created_at.isoformat(timespec="seconds").replace("+00:00", "Z"), "data": data}


def body_of(delivery: Delivery) -> bytes:
    """The exact JSON bytes a webhook delivery sends, so a replay signs the same body."""
    return json.dumps(delivery.payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def queue_for_event(event: Event) -> Delivery | None:
    """Create (once) the webhook delivery of an event when its integration has a webhook URL."""
    envelope = db.session.get(Envelope, event.envelope_id)
    integration = envelope.integration
    key = f"webhook:{event.id}"
    if not integration.webhook_url or db.session.scalar(select(Delivery.id).where(Delivery.dedupe_key == key)):
        return None
    row = Delivery(dedupe_key=key, channel=Channel.WEBHOOK, purpose=event.type, envelope_id=envelope.id,
                   signer_id=event.signer_id, integration_id=integration.id, event_id=event.id,
                   target=integration.webhook_url, payload=payload(event), status=DeliveryStatus.QUEUED,
                   next_attempt_at=utcnow(), log=[])
    db.session.add(row)
    db.session.flush()
    jobs.enqueue("webhook.send", row.id)
    return row


def on_event(event_id: int) -> None:
    """After-commit handler: queue the webhook of a committed audit event (one SELECT when there is no webhook)."""
    if not db.session.scalar(select(Integration.webhook_url).join(Envelope, Envelope.integration_id == Integration.id)
                             .join(Event, Event.envelope_id == Envelope.id).where(Event.id == event_id)):
        return
    event = db.session.get(Event, event_id)
    if event is not None and queue_for_event(event) is not None:
        outbox.commit()


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min... doubling up to an hour between attempts."""
    return min(FIRST_DELAY * (2 ** max(attempts - 1, 0)), MAX_DELAY)


@jobs.job("webhook.send", retries=2, retry_delay=30)
def send_job(delivery_id: int, now_iso: str | None = None) -> str:
    """POST one webhook delivery; a no-op when another run has claimed it."""
    now = datetime.fromisoformat(now_iso) if now_iso else utcnow()
    if deactivation.holds(Delivery, delivery_id):  # stays queued; a sweep posts it once the provider is active
        return "paused"
    row = deliveries.claim(delivery_id, now)
    if row is None:
        return "skipped"
    db.session.commit()
    integration = row.envelope.integration
    url = integration.webhook_url or row.target
    if not integration.webhook_secret:
        deliveries.record(row, "failed", now=now, error="A integração não tem segredo de webhook configurado.")
        outbox.commit()
        return row.status
    row.target = url
    body = body_of(row)
    headers = {**webhook_signing.signature_headers(integration.webhook_secret, body, now=now.timestamp()),
               "X-Firma-Event": row.purpose, "X-Firma-Delivery": str(row.id)}
    try:
        outcome = post_json(url, body, headers)
    except UnsafeUrl as exc:
        deliveries.record(row, "failed", now=now, error=str(exc))
        outbox.commit()
        return row.status
    if outcome.ok:
        deliveries.record(row, "sent", now=now, http_status=outcome.status, excerpt=outcome.body_excerpt,
                          ms=outcome.elapsed_ms)
    else:
        delay = max(backoff(row.attempts), timedelta(seconds=outcome.retry_after or 0))
        # As docs/webhooks.md promises: no answer, 408, 429 and 5xx are retried for a day; other 4xx are final.
        give_up = not outcome.retryable or now + delay > window_start(row) + RETRY_FOR
        error = outcome.error or f"O servidor respondeu HTTP {outcome.status}."
        if give_up and outcome.retryable:
            error = f"Desistimos após {row.attempts} tentativas em 24 h. Último erro: {error}"
        deliveries.record(row, "failed" if give_up else "retry", now=now, error=error, http_status=outcome.status,
                          excerpt=outcome.body_excerpt, retry_in=delay, ms=outcome.elapsed_ms)
    outbox.commit()
    if row.status == "retry" and not current_app.config.get("QUEUE_IMMEDIATE"):
        jobs.dispatch("webhook.send", row.id, delay=(row.next_attempt_at - now).total_seconds())
    return row.status


def replay(row: Delivery, *, by: User | None = None, now: datetime | None = None) -> Delivery:
    """Send a webhook again with the same body (admin "reenviar"); queued after the caller's commit."""
    if row.channel != "webhook":
        raise ValueError("Só webhooks podem ser reenviados por aqui.")
    if row.status in ("queued", "sending"):
        return row
    now = now or utcnow()
    row.status, row.next_attempt_at = "queued", now
    row.log = [*(row.log or []), {"at": now.isoformat(timespec="seconds"), "status": "replay",
                                  "by": by.email if by else None}]
    db.session.flush()
    jobs.enqueue("webhook.send", row.id)
    return row


def window_start(row: Delivery) -> datetime:
    """When the current day of retries began: the creation, or the last replay."""
    replays = [entry["at"] for entry in row.log or [] if entry.get("status") == "replay"]
    return datetime.fromisoformat(replays[-1]) if replays else row.created_at


def missing_events(since: datetime) -> list[Event]:
    """Webhook-worthy events since `since` that have no delivery yet (the process died before queuing it)."""
    return list(db.session.scalars(
        select(Event).join(Envelope, Envelope.id == Event.envelope_id)
        .join(Integration, Integration.id == Envelope.integration_id)
        .outerjoin(Delivery, Delivery.event_id == Event.id)
        .where(Event.type.in_(EVENTS), Event.created_at >= since, Delivery.id.is_(None),
               Integration.webhook_url.is_not(None), Integration.webhook_url != "")
        .order_by(Event.id)))


def retry_interrupted(now: datetime) -> list[int]:
    """Put webhooks a dead worker left in "sending" back to retry: the ERP dedupes a repeat by its `id`.

    A POST times out after seconds, so a row still "sending" after deliveries.STALE belongs to no live worker.
    Unlike a message to a person, sending a webhook twice is harmless (docs/webhooks.md, "idempotência").
    """
    stale = list(db.session.scalars(select(Delivery).where(
        Delivery.channel == Channel.WEBHOOK, Delivery.status == DeliveryStatus.SENDING,
        Delivery.updated_at < now - deliveries.STALE).order_by(Delivery.id)))
    for row in stale:
        error = "Envio interrompido (o processo parou durante o envio); nova tentativa com o mesmo corpo."
        if now > window_start(row) + RETRY_FOR:
            deliveries.record(row, "failed", now=now, error=f"Desistimos após {row.attempts} tentativas. {error}")
        else:
            deliveries.record(row, "retry", now=now, error=error, retry_in=timedelta(0))
    return [row.id for row in stale if row.status == "retry"]


@jobs.job("webhook.sweep", every_minutes=1)
def sweep(now_iso: str | None = None) -> dict:
    """Queue webhooks for events that lost theirs, re-queue due retries and sends a dead worker interrupted."""
    now = datetime.fromisoformat(now_iso) if now_iso else utcnow()
    created = [row for event in missing_events(now - RETRY_FOR)
               if (row := queue_for_event(event)) is not None]
    interrupted = retry_interrupted(now)
    ids = [*interrupted, *(i for i in deliveries.due(now, (Channel.WEBHOOK,)) if i not in interrupted)]
    outbox.commit()
    for delivery_id in ids:
        jobs.dispatch("webhook.send", delivery_id, now.isoformat())
    return {"created": len(created), "requeued": len(ids), "interrupted": len(interrupted)}
