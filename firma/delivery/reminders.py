"""Reminders on the integration's cadence until the link is used or expires, and expiry of old envelopes.

Both run from one periodic job; `now` can be passed in (tests use a fake clock). A reminder's dedupe key
carries its number, so a sweep that runs twice, or on two workers, queues each reminder once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from firma.delivery import deliveries
from firma.envelopes import lifecycle
from firma.extensions import db
from firma.models import Envelope, Signer, utcnow
from firma.org import deactivation
from firma.platform import jobs, outbox

REMINDABLE = ("pending", "sent", "viewed")


@dataclass(frozen=True)
class SweepResult:
    """How many envelopes a reminder sweep expired and how many reminders it queued."""

    reminders: int
    expired: int


def sweep(now: datetime | None = None) -> SweepResult:
    """Expire envelopes past their lifetime, then queue the reminders that are due (none for a deactivated
    organization: they come due again after its reactivation); commits."""
    now = now or utcnow()
    expired = 0
    for envelope in list(db.session.scalars(select(Envelope).where(Envelope.status == "pending",
                                                                   Envelope.expires_at <= now))):
        expired += lifecycle.expire(envelope, now=now)
    reminders = 0
    candidates = list(db.session.scalars(
        select(Signer).join(Envelope).where(Envelope.status == "pending", Envelope.expires_at > now,
                                            Signer.status.in_(REMINDABLE),
                                            Signer.channel.in_(deliveries.MESSAGE_CHANNELS),
                                            Signer.last_sent_at.is_not(None),
                                            Envelope.organization_id.not_in(deactivation.inactive_ids()))))
    for signer in candidates:
        if is_due(signer, now):
            reminders += queue_reminder(signer, now)
    outbox.commit()
    return SweepResult(reminders=reminders, expired=expired)


def is_due(signer: Signer, now: datetime) -> bool:
    """A reminder is due every `reminder_every_days` after the last message, up to `reminder_max`."""
    integration = signer.envelope.integration
    if integration.reminder_every_days <= 0 or (signer.reminders_sent or 0) >= integration.reminder_max:
        return False
    return signer.last_sent_at + timedelta(days=integration.reminder_every_days) <= now


def queue_reminder(signer: Signer, now: datetime) -> bool:
    """Queue the signer's next reminder, once per reminder number; False if it already was."""
    number = (signer.reminders_sent or 0) + 1
    key = f"reminder:{signer.id}:{number}"
    return deliveries.queue_message(signer, signer.channel, "reminder", key, now=now) is not None


@jobs.job("reminders.sweep", every_minutes=15)
def sweep_job(now_iso: str | None = None) -> dict:
    """The periodic job: run the reminder sweep (at `now_iso` in tests)."""
    result = sweep(datetime.fromisoformat(now_iso) if now_iso else None)
    return {"reminders": result.reminders, "expired": result.expired}
