"""Reminders on the integration's cadence and expiry, driven by a fake clock passed into the sweep."""
from datetime import timedelta

import pytest

from firma.delivery import deliveries, reminders
from firma.envelopes import lifecycle, links
from firma.models import Delivery, Event
from firma.platform.errors import Refusal
from firma.platform.outbox import commit


def reminder_rows(envelope):
    return list(Delivery.query.filter_by(envelope_id=envelope.id, purpose="reminder").order_by(Delivery.id))


def test_reminders_follow_the_cadence_up_to_the_maximum(sent, db):
    signer = sent.signers[0]
    start = signer.last_sent_at
    assert reminders.sweep(start + timedelta(days=1)).reminders == 0
    assert reminders.sweep(start + timedelta(days=2, minutes=1)).reminders == 1
    assert reminders.sweep(start + timedelta(days=2, minutes=2)).reminders == 0  # same reminder is not queued twice
    db.session.refresh(signer)
    assert signer.reminders_sent == 1 and signer.status == "sent"
    assert reminders.sweep(signer.last_sent_at + timedelta(days=2, minutes=1)).reminders == 1
    assert reminders.sweep(signer.last_sent_at + timedelta(days=9)).reminders == 0  # reminder_max reached
    rows = reminder_rows(sent)
    assert [r.status for r in rows] == ["sent", "sent"]
    assert [r.dedupe_key for r in rows] == [f"reminder:{signer.id}:1", f"reminder:{signer.id}:2"]


def test_no_reminder_once_signed_or_declined(sent, db):
    signer = sent.signers[0]
    signer.status = "signed"
    db.session.commit()
    assert reminders.sweep(signer.last_sent_at + timedelta(days=3)).reminders == 0


def test_expiry_marks_signers_and_envelope_and_stops_reminders(sent, db):
    signer = sent.signers[0]
    token = links.issue(signer)
    commit()
    result = reminders.sweep(sent.expires_at + timedelta(seconds=1))
    assert result.expired == 1 and result.reminders == 0
    db.session.refresh(sent)
    assert sent.status == "expired" and all(s.status == "expired" for s in sent.signers)
    assert links.find_signer(token) is None
    assert Event.query.filter_by(envelope_id=sent.id, type="envelope.expired").count() == 1
    assert reminders.sweep(sent.expires_at + timedelta(days=1)).expired == 0


def test_resend_renews_the_link(sent, db):
    signer = sent.signers[0]
    old = links.issue(signer)
    commit()
    row = deliveries.send_link(signer, purpose="resend")
    commit()
    assert row.status == "sent"
    assert links.find_signer(old) is None and signer.token_hash is not None


def test_resend_refused_when_nothing_is_pending(sent, db):
    lifecycle.cancel(sent, reason="erro no plano")
    commit()
    with pytest.raises(Refusal, match="não tem assinatura pendente"):
        deliveries.send_link(sent.signers[0], purpose="resend")
