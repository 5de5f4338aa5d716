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


def test_events_of_one_transaction_lock_once_and_chain_after_another_writer(app, db, make_contract):
    from sqlalchemy import event as sa_event

    envelope = create.create_for_contract(make_contract())
    db.session.commit()
    # Another writer (its own app context, so its own session) appends while our session keeps its envelope.
    with app.app_context():
        audit.record(db.session.get(type(envelope), envelope.id), EventType.SIGNER_VIEWED, by="other")
        db.session.commit()
    locks = []

    def count_locks(conn, cursor, statement, *args):
        if "chain_length=envelopes.chain_length" in statement:
            locks.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", count_locks)
    try:
        for n in range(3):
            audit.record(envelope, EventType.SIGNER_READ, n=n)
        db.session.commit()
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", count_locks)
    assert len(locks) == 1  # one lock per transaction; it reads the head the other writer left
    assert audit.verify_chain(envelope.id) is None
    assert [e.type for e in audit.events_of(envelope.id)][-4:] == ["signer.viewed"] + ["signer.read"] * 3
