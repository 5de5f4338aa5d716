"""Messages to signers (links, reminders, the signed copy) as `Delivery` rows sent by the job queue.

A row is created inside the caller's transaction (its dedupe key stops doubles) and the send job is queued
after the commit. The job claims the row with a conditional UPDATE (queued/retry -> sending) before it
touches the network and records the outcome afterwards, so a job that runs twice, or a worker that restarts
mid-job, never sends the same message twice; a row left in "sending" by a dead worker is sent again with a
fresh link (which replaces the one the interrupted message may have carried, so one link stays live) and the
interruption noted on the row (webhooks, which the ERP dedupes, are retried with the same body: webhooks.py).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import flag_modified

from firma.delivery import email, messages, whatsapp
from firma.envelopes import links
from firma.evidence import audit
from firma.extensions import db
from firma.models import Channel, Contract, Delivery, Envelope, Event, EventType, Signer, User, utcnow
from firma.org import deactivation
from firma.platform import jobs, metrics, outbox, storage
from firma.platform.errors import Refusal

MESSAGE_CHANNELS = (Channel.EMAIL, Channel.WHATSAPP)
IN_FLIGHT = ("queued", "retry", "sending")
# Delays after the 1st, 2nd... failed attempt of a message; after the last one the delivery fails.
MESSAGE_BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1),
                   timedelta(hours=3))
# A claim older than this belongs to a worker that died mid-send.
STALE = timedelta(minutes=10)
# The sweep leaves fresh rows to the task that was queued for them.
GRACE = timedelta(seconds=60)
LOG_KEEP = 50

_providers: dict[tuple, whatsapp.WhatsAppProvider] = {}


# --- queueing (inside the caller's transaction) ------------------------------------------------------------

def send_links(envelope: Envelope, *, by: User | None = None) -> list[Delivery]:
    """Queue the signing-link message of every signer who still has to act and is reached by a message."""
    queued = []
    for signer in envelope.signers:
        if signer.is_done or signer.channel not in MESSAGE_CHANNELS:
            continue
        delivery = queue_message(signer, signer.channel, "link", f"link:{signer.id}:{signer.channel}")
        if delivery is not None:
            queued.append(delivery)
    if queued:
        audit.record(envelope, EventType.ENVELOPE_SENT, by=by.email if by else None,
                     signers=[{"signer_id": d.signer_id, "channel": d.channel} for d in queued])
    return queued


def send_link(signer: Signer, *, channel: str | None = None, purpose: str = "link") -> Delivery:
    """Queue one signer's link again (resend: a fresh link, the old one dies); returns the delivery on its way."""
    envelope = signer.envelope
    if envelope.status != "pending" or signer.is_done:
        raise Refusal("Este signatário não tem assinatura pendente; não há link para enviar.")
    channel = channel or signer.channel
    if channel not in MESSAGE_CHANNELS:
        raise Refusal("Envio disponível apenas por e-mail ou WhatsApp.")
    if (channel == "email" and not signer.email) or (channel == "whatsapp" and not signer.phone):
        raise Refusal("O signatário não tem " + ("e-mail" if channel == "email" else "celular") +
                            " cadastrado para este canal.")
    in_flight = db.session.scalar(select(Delivery).where(
        Delivery.signer_id == signer.id, Delivery.channel == channel, Delivery.status.in_(IN_FLIGHT),
        Delivery.purpose.in_(("link", "resend", "reminder"))))
    if in_flight is not None:
        return in_flight
    count = db.session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.signer_id == signer.id, Delivery.purpose == purpose)) or 0
    key = f"{purpose}:{signer.id}:{channel}" if purpose == "link" else f"{purpose}:{signer.id}:{count + 1}"
    return queue_message(signer, channel, purpose, key) or _by_key(key)


def send_signed_copies(envelope: Envelope) -> list[Delivery]:
    """Queue the sealed PDF by e-mail to every signer who has an e-mail address (once per signer)."""
    return [d for s in envelope.signers if s.email
            if (d := queue_message(s, "email", "completed", f"completed:{s.id}")) is not None]


def queue_message(signer: Signer, channel: str, purpose: str, key: str, *,
                  now: datetime | None = None) -> Delivery | None:
    """Create the delivery unless its dedupe key exists, and queue its send after the commit.

    `now` (a sweep's clock, faked in tests) is handed to the send job so the link's time agrees with it.
    """
    if _by_key(key) is not None:
        return None
    target = signer.email if channel == "email" else signer.phone
    delivery = Delivery(dedupe_key=key, channel=channel, purpose=purpose, envelope_id=signer.envelope_id,
                        signer_id=signer.id, integration_id=signer.envelope.integration_id, target=target or "",
                        status="queued", next_attempt_at=now or utcnow(), log=[])
    db.session.add(delivery)
    db.session.flush()
    jobs.enqueue("delivery.send", delivery.id, *([now.isoformat()] if now else []))
    return delivery


def _by_key(key: str) -> Delivery | None:
    return db.session.scalar(select(Delivery).where(Delivery.dedupe_key == key))


# --- claiming and recording (shared with webhooks) ------------------------------------------------------

def claim(delivery_id: int, now: datetime | None = None, *, active_only: bool = False) -> Delivery | None:
    """Atomically move a delivery from queued/retry to sending and count the attempt; None if not ours.

    With `active_only`, a delivery of a deactivated organization is not claimed either (it stays queued).
    """
    now = now or utcnow()
    claimable = [Delivery.id == delivery_id, Delivery.status.in_(("queued", "retry"))]
    if active_only:
        claimable.append(Delivery.organization_id.not_in(deactivation.inactive_ids()))
    result = db.session.execute(
        update(Delivery).where(*claimable)
        .values(status="sending", attempts=Delivery.attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        return None
    return _reload(delivery_id, composing=True)  # one SELECT, fresh even if cached


def record(delivery: Delivery, status: str, *, now: datetime, error: str | None = None,
           provider_id: str | None = None, http_status: int | None = None, excerpt: str | None = None,
           retry_in: timedelta | None = None, ms: int | None = None) -> None:
    """Store one attempt's outcome on the row and in its log; `retry` needs `retry_in`."""
    delivery.status = status
    metrics.DELIVERIES.labels(str(delivery.channel), status).inc()
    delivery.last_error = error
    delivery.response_status = http_status
    delivery.response_excerpt = excerpt
    if provider_id:
        delivery.provider_id = provider_id
    if status == "sent":
        delivery.sent_at = now
    delivery.next_attempt_at = now + retry_in if status == "retry" and retry_in is not None else None
    entry = {"at": now.isoformat(timespec="seconds"), "attempt": delivery.attempts, "status": status,
             "http_status": http_status, "error": error, "excerpt": (excerpt or "")[:300] or None, "ms": ms}
    delivery.log = [*(delivery.log or [])[-(LOG_KEEP - 1):], entry]
    delivery.updated_at = now
    flag_modified(delivery, "updated_at")  # same value as the claim: keep it rather than the column's onupdate


def message_backoff(attempts: int) -> timedelta | None:
    """Delay before the next try of a message after `attempts` failures; None when it is time to give up."""
    return MESSAGE_BACKOFF[attempts - 1] if 0 < attempts <= len(MESSAGE_BACKOFF) else None


# --- the send job ------------------------------------------------------------------------------------------

@jobs.job("delivery.send", retries=2, retry_delay=30)
def send_job(delivery_id: int, now_iso: str | None = None) -> str:
    """Send one queued message; returns the delivery's status (a no-op when another run has it)."""
    now = datetime.fromisoformat(now_iso) if now_iso else utcnow()
    delivery = claim(delivery_id, now, active_only=True)
    if delivery is None:  # stays queued while the provider is deactivated; a sweep sends it once it is active
        return "skipped" if deactivation.is_active(_organization_of(delivery_id)) else "paused"
    signer, envelope = delivery.signer, delivery.envelope
    if delivery.purpose != "completed" and (envelope.status != "pending" or signer.is_done):
        record(delivery, "skipped", now=now, error="A assinatura não está mais pendente; nada foi enviado.")
        outbox.commit()
        return delivery.status
    url = None
    if delivery.purpose != "completed":
        # The token is committed with the claim, before the send: a message that left always has a live link.
        url = links.signing_url(links.issue(signer, now=now))
    try:  # composed before the commit, while everything it reads is loaded: the send itself reads no row
        transmit = _compose(delivery, signer, envelope, url)
    except Exception as exc:  # noqa: BLE001  (any failure must end up on the row, not in a lost traceback)
        current_app.logger.exception("delivery %s failed", delivery_id)
        transmit = _failure(exc)
    db.session.commit()
    try:
        status, fields = transmit()
    except Exception as exc:  # noqa: BLE001
        current_app.logger.exception("delivery %s failed", delivery_id)
        status, fields = _failure(exc)()
    delivery = _reload(delivery_id)
    _finish(delivery, delivery.signer, status, now=now, **fields)
    status, next_attempt_at = delivery.status, delivery.next_attempt_at  # read before the commit expires them
    outbox.commit()
    if status == "retry" and not current_app.config.get("QUEUE_IMMEDIATE"):
        jobs.dispatch("delivery.send", delivery_id, delay=(next_attempt_at - now).total_seconds())
    return status


def _organization_of(delivery_id: int) -> int | None:
    return db.session.scalar(select(Delivery.organization_id).where(Delivery.id == delivery_id))


def _reload(delivery_id: int, *, composing: bool = False) -> Delivery:
    """The delivery with its signer and envelope, fresh, in one SELECT; `composing` adds what a message reads."""
    options = [joinedload(Delivery.signer), joinedload(Delivery.envelope)]
    if composing:
        envelope = joinedload(Delivery.envelope)
        options += [envelope.joinedload(Envelope.integration), envelope.joinedload(Envelope.branch),
                    envelope.joinedload(Envelope.contract).joinedload(Contract.customer)]
    return db.session.get(Delivery, delivery_id, populate_existing=True, options=options)


def _failure(exc: Exception):
    return lambda: ("retry", {"error": f"Erro inesperado: {type(exc).__name__}: {exc}"[:500]})


def _finish(delivery: Delivery, signer: Signer, status: str, *, now: datetime, retry_after: float | None = None,
            **fields) -> None:
    retry_in = None
    if status == "retry":
        retry_in = message_backoff(delivery.attempts)
        if retry_in is None:
            status = "failed"
            fields["error"] = f"Desistimos após {delivery.attempts} tentativas. Último erro: {fields.get('error')}"
        elif retry_after:
            retry_in = max(retry_in, timedelta(seconds=retry_after))
    record(delivery, status, now=now, retry_in=retry_in, **fields)
    if status == "sent" and delivery.purpose != "completed":
        if signer.status == "pending":
            signer.status = "sent"
        if delivery.purpose == "reminder":
            signer.reminders_sent = (signer.reminders_sent or 0) + 1
        audit.record(delivery.envelope, EventType.SIGNER_LINK_SENT, signer=signer, channel=delivery.channel,
                     purpose=delivery.purpose, delivery_id=delivery.id, provider_id=delivery.provider_id)


def _compose(delivery: Delivery, signer: Signer, envelope: Envelope, url: str | None):
    """The message, built now, and the function that sends it and returns (status, fields for the row)."""
    if delivery.purpose == "completed":
        message = messages.completed_message(signer, public_url=current_app.config["PUBLIC_URL"])
        pdf = storage.read(envelope.final_path)
        return _by_email(email.build(delivery.target, message, branch=envelope.branch,
                                     attachment=(f"{envelope.public_code}.pdf", pdf)))
    message = messages.link_message(signer, url, purpose=delivery.purpose,
                                    public_url=current_app.config["PUBLIC_URL"])
    if delivery.channel == "email":
        return _by_email(email.build(delivery.target, message, branch=envelope.branch))
    return _by_whatsapp(envelope.integration, delivery.target, message, url)


def _by_email(mail):
    def transmit() -> tuple[str, dict]:
        result = email.deliver(mail)
        return result.status, {"error": result.error, "provider_id": result.message_id}
    return transmit


def _by_whatsapp(integration, target: str, message: messages.Message, url: str):
    try:
        provider = provider_for(integration.whatsapp_provider, integration.whatsapp_settings or {})
        wa = whatsapp.WhatsAppMessage(to=target, template=message.whatsapp_template,
                                      parameters=message.whatsapp_parameters, text=message.whatsapp_text,
                                      link_url=url)
    except (Refusal, ValueError) as exc:
        error = str(exc)  # `exc` itself is gone once the except block ends
        return lambda: ("failed", {"error": error})

    def transmit() -> tuple[str, dict]:
        result = provider.send(wa)
        return result.status, {"error": result.error, "provider_id": result.provider_id,
                               "http_status": result.http_status, "retry_after": result.retry_after}
    return transmit


def provider_for(kind: str, settings: dict) -> whatsapp.WhatsAppProvider:
    """One provider per configuration per process, so its rate limit holds across sends."""
    key = (kind, tuple(sorted((k, str(v)) for k, v in settings.items())))
    provider = _providers.get(key)
    if provider is None:
        provider = _providers[key] = whatsapp.provider_from_settings(kind, settings)
    return provider


# --- recovery ----------------------------------------------------------------------------------------------

def due(now: datetime, channels: tuple[str, ...]) -> list[int]:
    """Ids of queued or retrying deliveries whose time has come (their queued task may have been lost), leaving
    out those of deactivated organizations."""
    return list(db.session.scalars(select(Delivery.id).where(
        Delivery.channel.in_(channels), Delivery.status.in_(("queued", "retry")),
        Delivery.organization_id.not_in(deactivation.inactive_ids()),
        Delivery.next_attempt_at <= now - GRACE).order_by(Delivery.id)))


def retry_interrupted(now: datetime, channels: tuple[str, ...]) -> list[int]:
    """Put rows a dead worker left in "sending" back to retry; the resend issues a new link (the old one dies), so
    the person may get the message twice but only one working link. Past the last backoff step the row fails."""
    stale = list(db.session.scalars(select(Delivery).where(
        Delivery.channel.in_(channels), Delivery.status == "sending", Delivery.updated_at < now - STALE)
        .order_by(Delivery.id)))
    error = "Envio interrompido (o processo parou durante o envio); reenviado com um novo link."
    for delivery in stale:
        if message_backoff(delivery.attempts) is None:
            record(delivery, "failed", now=now, error=f"Desistimos após {delivery.attempts} tentativas. {error}")
        else:
            record(delivery, "retry", now=now, error=error, retry_in=timedelta(0))
    return [delivery.id for delivery in stale if delivery.status == "retry"]


@jobs.job("delivery.sweep", every_minutes=1)
def sweep(now_iso: str | None = None) -> dict:
    """Re-queue due messages and those a dead worker interrupted; the worker runs it every minute."""
    now = datetime.fromisoformat(now_iso) if now_iso else utcnow()
    interrupted = retry_interrupted(now, MESSAGE_CHANNELS)
    ids = [*interrupted, *(i for i in due(now, MESSAGE_CHANNELS) if i not in interrupted)]
    outbox.commit()
    for delivery_id in ids:
        jobs.dispatch("delivery.send", delivery_id, now.isoformat())
    return {"requeued": len(ids), "interrupted": len(interrupted)}


def on_completed(event_id: int) -> None:
    """After-commit handler of envelope.completed: send every signer the signed copy."""
    event = db.session.get(Event, event_id)
    envelope = db.session.get(Envelope, event.envelope_id)
    if send_signed_copies(envelope):
        outbox.commit()
