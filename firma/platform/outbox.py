"""Side effects that must wait for the commit: handlers of audit event types, run after it commits.

Request edges and jobs end with `outbox.commit()`: it commits, then runs what the transaction queued
(usually: enqueue a job), so a message is never sent for a change that rolled back.
"""
from collections.abc import Callable, Mapping, Sequence

from flask import Flask, current_app
from sqlalchemy import event as sa_event, inspect as sa_inspect
from sqlalchemy.orm import Session

from firma.extensions import db

EXTENSION = "firma.outbox"
_PENDING, _READY = "firma_pending", "firma_ready"
Handler = Callable[[int], None]


def init_app(app: Flask, subscribers: Mapping[str, Sequence[Handler]]) -> None:
    """Set which handlers run, with the event's id, after a transaction that recorded each event type."""
    app.extensions[EXTENSION] = {event_type: tuple(handlers) for event_type, handlers in subscribers.items()}


def emit(session: Session, event_type: str, event) -> None:
    """Queue the event type's handlers to run, with the event row's id, after the session's commit (the row may
    still be unflushed now: the commit flushes it, and its id is read from the identity, with no SELECT)."""
    for handler in current_app.extensions[EXTENSION].get(event_type, ()):
        session.info.setdefault(_PENDING, []).append((handler, event))


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
    ready = [(handler, arg if arg is None else sa_inspect(arg).identity[0])
             for handler, arg in session.info.pop(_PENDING, [])]
    session.info.setdefault(_READY, []).extend(ready)


@sa_event.listens_for(Session, "after_soft_rollback")
def _drop(session: Session, previous_transaction) -> None:
    session.info.pop(_PENDING, None)
