"""Nothing stuck: the periodic sweep seals fully signed envelopes left unsealed, once; expiry leaves them alone."""
from datetime import timedelta

import pytest

from firma.envelopes import create, lifecycle
from firma.evidence import audit
from firma.models import Envelope, Event, EventType, FinaliseState, SignerStatus, utcnow
from firma.platform import outbox
from firma.sealing import finalise


@pytest.fixture()
def signed(make_contract, db):
    """An envelope whose signers all signed but whose finalisation request was lost (the process died)."""
    envelope = create.create_for_contract(make_contract())
    outbox.commit()
    for signer in envelope.signers:
        signer.status, signer.signed_at = SignerStatus.SIGNED, utcnow()
        audit.record(envelope, EventType.SIGNER_SIGNED, signer=signer)
    db.session.commit()
    return envelope


def completions(envelope) -> int:
    return Event.query.filter_by(envelope_id=envelope.id, type=EventType.ENVELOPE_COMPLETED).count()


def left_as(db, envelope, state, started_at):
    envelope.finalise_state, envelope.finalise_started_at = state, started_at
    db.session.commit()


@pytest.mark.parametrize("state, age", [
    (FinaliseState.NONE, None),
    (FinaliseState.FAILED, finalise.RETRY_DELAY + timedelta(seconds=1)),
    (FinaliseState.RUNNING, finalise.STALE + timedelta(seconds=1)),
])
def test_sweep_finalises_a_stuck_envelope_exactly_once(signed, db, state, age):
    now = utcnow() + timedelta(hours=1)  # the fake clock
    left_as(db, signed, state, now - age if age else None)
    assert finalise.sweep(now.isoformat()) == 1
    db.session.refresh(signed)
    assert signed.status == "completed" and signed.finalise_state == FinaliseState.DONE
    assert finalise.sweep((now + timedelta(minutes=5)).isoformat()) == 0
    assert completions(signed) == 1


@pytest.mark.parametrize("state, age", [
    (FinaliseState.RUNNING, finalise.STALE - timedelta(seconds=1)),  # a live worker is sealing it
    (FinaliseState.FAILED, finalise.RETRY_DELAY - timedelta(seconds=1)),  # failed just now: back off
])
def test_sweep_leaves_a_fresh_claim_or_failure_alone(signed, db, state, age):
    now = utcnow() + timedelta(hours=1)
    left_as(db, signed, state, now - age)
    assert finalise.sweep(now.isoformat()) == 0
    db.session.refresh(signed)
    assert signed.status == "pending" and signed.finalise_state == state and completions(signed) == 0


def test_sweep_ignores_envelopes_someone_still_has_to_sign(make_contract, db):
    envelope = create.create_for_contract(make_contract())
    outbox.commit()
    assert any(s.status != SignerStatus.SIGNED for s in envelope.signers)
    assert finalise.sweep((utcnow() + timedelta(hours=1)).isoformat()) == 0
    assert db.session.get(Envelope, envelope.id).finalise_state == FinaliseState.NONE


def test_sweep_takes_a_bounded_batch(signed, db):
    assert finalise.stuck(utcnow()) == [signed.id]
    assert finalise.stuck(utcnow(), limit=0) == []


def test_expire_never_expires_an_envelope_everyone_signed(signed, db):
    past_expiry = signed.expires_at + timedelta(days=1)
    assert lifecycle.expire(signed, now=past_expiry) is False
    assert signed.status == "pending"
    assert Event.query.filter_by(envelope_id=signed.id, type=EventType.ENVELOPE_EXPIRED).count() == 0
    assert finalise.sweep(past_expiry.isoformat()) == 1
    db.session.refresh(signed)
    assert signed.status == "completed"


def test_sweep_command_prints_the_finalisations(app, signed, db):
    result = app.test_cli_runner().invoke(args=["sweep"])
    assert result.exit_code == 0, result.output
    assert '"finalisations": 1' in result.output
    db.session.refresh(signed)
    assert signed.status == "completed"
