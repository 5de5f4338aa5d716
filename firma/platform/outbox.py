"""Side effects that must wait for the commit: handlers subscribe to audit event types and run after it.

Request edges and jobs end with `outbox.commit()`: it commits, then runs what the transaction queued
(usually: enqueue a job), so a message is never sent for a change that rolled back.
"""
from collections import defaultdict
from collections.abc import Callable

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from firma.extensions import db

_handlers: dict[str, list[Callable[[int], None]]] = defaultdict(list)
_PENDING, _READY = "firma_pending", "firma_ready"


def subscribe(event_type: str, handler: Callable[[int], None]) -> None:
    """Call handler(event_id) after the transaction that recorded such an event commits."""
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)


def emit(session: Session, event_type: str, event_id: int) -> None:
    for handler in _handlers.get(event_type, ()):
        session.info.setdefault(_PENDING, []).append((handler, event_id))


def after_commit(fn: Callable[[], None]) -> None:
    """Run fn once the current transaction has committed through `commit()` (never if it rolls back)."""
    db.session.info.setdefault(_PENDING, []).append((lambda _: fn(), None))


def commit() -> None:
    """Commit the session, then run the side effects it queued, in order."""
    db.session.commit()
    ready = db.session.info.pop(_READY, [])
    for handler, arg in ready:
        handler(arg)


@sa_event.listens_for(Session, "after_commit")
def _promote(session: Session) -> None:
    session.info.setdefault(_READY, []).extend(session.info.pop(_PENDING, []))


@sa_event.listens_for(Session, "after_soft_rollback")
def _drop(session: Session, previous_transaction) -> None:
    session.info.pop(_PENDING, None)
