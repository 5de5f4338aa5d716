"""The append-only, hash-chained event log of each envelope."""
import hashlib
import json
import weakref
from dataclasses import dataclass

from sqlalchemy import select, update

from firma.extensions import db
from firma.models import Envelope, Event, Signer, utcnow
from firma.platform import outbox

GENESIS = "0" * 64


@dataclass(frozen=True)
class RequestInfo:
    """Who did it, as far as the request tells: kept off the services' signatures as plain values."""

    ip: str | None = None
    user_agent: str | None = None
    port: int | None = None  # the client's source port: behind CGNAT the IP alone names many subscribers


SYSTEM = RequestInfo()

# Printed into evidence.json, so that anyone holding the PDF can recompute the chain (docs/verify-evidence.md).
CANONICAL_FORM = (
    "hash = lowercase hex SHA-256 of (prev_hash as 64 ASCII hex characters, followed by the canonical JSON of the "
    "event); the first event's prev_hash is 64 zeros. Canonical JSON: the object {envelope_id, seq, signer_id, type, "
    "created_at, ip, user_agent, data} plus port only when a port was recorded (not null), keys sorted at every "
    "level, separators ',' and ':' with no spaces, non-ASCII characters as UTF-8 (not \\u escapes); created_at is "
    "the event's UTC time in ISO 8601 with microseconds and offset (2026-12-01T12:57:40.000000+00:00); "
    "envelope_id is envelope.envelope_id, the other fields are the event's own (events[].time is created_at)."
)


def canonical(event: Event) -> bytes:
    """The bytes that an event's hash covers (everything but the hash itself)."""
    body = {
        "envelope_id": event.envelope_id,
        "seq": event.seq,
        "signer_id": event.signer_id,
        "type": event.type,
        "created_at": event.created_at.isoformat(timespec="microseconds"),
        "ip": event.ip,
        "user_agent": event.user_agent,
        "data": event.data,
    }
    if event.port is not None:  # events recorded before ports were kept hash without the key
        body["port"] = event.port
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(prev_hash: str, event: Event) -> str:
    """The event's link in the chain: sha256(prev_hash + canonical JSON of the event)."""
    return hashlib.sha256(prev_hash.encode() + canonical(event)).hexdigest()


def record(
    envelope: Envelope, type_: str, *, signer: Signer | None = None, info: RequestInfo = SYSTEM, **data
) -> Event:
    """Append an event to the envelope's chain, one writer at a time.

    The no-op UPDATE locks the envelope's row (PostgreSQL) or takes the write lock (SQLite) until commit, so two
    requests for the same envelope append in turn instead of colliding on the (envelope, seq) unique key.
    Once this transaction holds the lock, the next events of that envelope chain on from the envelope's own
    head (nobody else can move it meanwhile) instead of locking and reading it again.
    """
    if _holds_lock(envelope):
        seq, prev = envelope.chain_length + 1, envelope.chain_head or GENESIS
    else:
        length, head = lock_envelope(envelope.id)
        seq, prev = length + 1, head or GENESIS
    event = Event(
        envelope_id=envelope.id, seq=seq, signer_id=signer.id if signer else None, type=type_,
        created_at=utcnow(), ip=info.ip, port=info.port if info.ip else None, user_agent=info.user_agent,
        data=_jsonable(data), prev_hash=prev,
    )
    event.hash = chain_hash(prev, event)
    envelope.chain_length, envelope.chain_head = seq, event.hash
    db.session.add(event)  # flushed with the next statement or the commit, several events in one go
    _locked_in_transaction()[envelope.id] = (seq, event.hash)
    outbox.emit(db.session, type_, event)
    return event


def _locked_in_transaction() -> dict[int, tuple[int, str]]:
    """Envelope id -> (length, head) this (innermost) transaction chained while holding the envelope's lock.

    Kept as plain values under a weak reference to the transaction, so no object outlives its transaction.
    """
    session = db.session()  # the scoped session's current Session (the proxy has no get_nested_transaction)
    transaction = session.get_nested_transaction() or session.get_transaction()
    held = session.info.get("firma.chain_locks")
    if held is None or held[0]() is not transaction:  # a new transaction holds no lock yet
        held = session.info["firma.chain_locks"] = (weakref.ref(transaction) if transaction else lambda: None, {})
    return held[1]


def created(envelope: Envelope) -> None:
    """A new envelope's row belongs to this transaction until it commits: nobody else can chain onto it, so its
    events need no lock (call it right after the envelope's INSERT is flushed)."""
    _locked_in_transaction()[envelope.id] = (envelope.chain_length, envelope.chain_head)


def _holds_lock(envelope: Envelope) -> bool:
    """True when this transaction already locked the envelope and its object still shows the head chained then."""
    chained = _locked_in_transaction().get(envelope.id)
    return chained is not None and chained == (envelope.chain_length, envelope.chain_head)


def lock_envelope(envelope_id: int) -> tuple[int, str | None]:
    """Hold the envelope's row (PostgreSQL) or the write lock (SQLite) until commit: the first lock of any writer.

    Returns the chain's committed length and head hash as the lock reads them (one statement, no event read).
    """
    row = db.session.execute(update(Envelope).where(Envelope.id == envelope_id)
                             .values(chain_length=Envelope.chain_length)
                             .returning(Envelope.chain_length, Envelope.chain_head)
                             .execution_options(synchronize_session=False)).first()
    return (row.chain_length, row.chain_head) if row else (0, None)


def _jsonable(data: dict) -> dict:
    return json.loads(json.dumps(data, default=str))


def events_of(envelope_id: int) -> list[Event]:
    """An envelope's events in chain order."""
    return list(db.session.scalars(select(Event).where(Event.envelope_id == envelope_id).order_by(Event.seq)))


def verify_chain(envelope_id: int) -> str | None:
    """None when the chain is whole; otherwise a sentence naming the first broken event."""
    prev, count = GENESIS, 0
    for count, event in enumerate(events_of(envelope_id), start=1):
        if event.seq != count:
            return f"evento {count} ausente (encontrado {event.seq})"
        if event.prev_hash != prev or chain_hash(prev, event) != event.hash:
            return f"evento {event.seq} ({event.type}) não confere com a cadeia de hashes"
        prev = event.hash
    envelope = db.session.get(Envelope, envelope_id)
    if envelope.chain_length != count or (count and envelope.chain_head != prev):
        return f"evento {count + 1} ausente: a cadeia termina antes do registrado ({envelope.chain_length})"
    return None
