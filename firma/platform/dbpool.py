"""Pooled database connections are checked before use only when they sat idle, not on every checkout.

SQLAlchemy's `pool_pre_ping` sends a `SELECT 1` before every request's first statement: one more loopback round
trip, and PostgreSQL work, on every page. A connection that went back to the pool less than
IDLE_BEFORE_PING_SECONDS ago was working a moment ago, so it is used as it is; one idle for longer (the quiet hours,
a proxy's idle timeout, a database restart) is pinged as pre-ping would, and a dead one makes the pool drop every
connection it holds and connect afresh. What is left is the window pre-ping never fully closed either: a server
that restarts within that second fails the statements in flight, and SQLAlchemy then invalidates the whole pool.
"""
import time

from flask import Flask
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

from firma.extensions import db

IDLE_BEFORE_PING_SECONDS = 1.0
_RETURNED_AT = "firma_returned_at"


def init_app(app: Flask) -> None:
    """Install the idle check on each of the app's engines (call after `db.init_app`)."""
    with app.app_context():
        for engine in db.engines.values():
            watch(engine)


def watch(engine: Engine) -> None:
    """Ping this engine's pooled connections on checkout when they were idle longer than the threshold."""
    if event.contains(engine, "checkin", _stamp):
        return
    event.listen(engine, "checkin", _stamp)
    event.listen(engine, "checkout", _pinger(engine.dialect))


def _stamp(dbapi_connection, record) -> None:
    if record is not None:
        record.info[_RETURNED_AT] = time.monotonic()


def _pinger(dialect):
    def ping_if_idle(dbapi_connection, record, proxy) -> None:
        returned = record.info.get(_RETURNED_AT)
        if returned is None or time.monotonic() - returned <= IDLE_BEFORE_PING_SECONDS:
            return  # a new connection, or one that answered a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as err:
            if dialect.is_disconnect(err, dbapi_connection, None):
                # as pre-ping does: every connection pooled before now is as dead as this one
                raise exc.InvalidatePoolError() from err
            raise

    return ping_if_idle
