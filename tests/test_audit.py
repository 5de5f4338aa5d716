from sqlalchemy import update

from firma.cli import audit_verify
from firma.envelopes import create
from firma.evidence import audit
from firma.models import Event, EventType


def test_chain_links_every_event(db, make_contract):
    envelope = create.create_for_contract(make_contract())
    audit.record(envelope, EventType.SIGNER_VIEWED, text="olá")
    db.session.commit()
    events = audit.events_of(envelope.id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:]))
    assert audit.verify_chain(envelope.id) is None


def test_audit_verify_detects_a_tampered_event(app, db, make_contract):
    envelope = create.create_for_contract(make_contract())
    db.session.commit()
    result = app.test_cli_runner().invoke(audit_verify)
    assert result.exit_code == 0, result.output
    assert "0 broken" in result.output
    # Rewrite history behind the log's back: the chain must notice.
    db.session.execute(update(Event).where(Event.envelope_id == envelope.id, Event.seq == 1)
                       .values(data={"kind": "contract", "sha256": "0" * 64}))
    db.session.commit()
    result = app.test_cli_runner().invoke(audit_verify)
    assert result.exit_code == 1
    assert envelope.public_code in result.output and "evento 1" in result.output


def test_a_deleted_event_is_detected(app, db, make_contract):
    envelope = create.create_for_contract(make_contract())
    db.session.commit()
    db.session.delete(audit.events_of(envelope.id)[1])
    db.session.commit()
    assert "ausente" in audit.verify_chain(envelope.id)
