"""A request that only read ends its transaction with COMMIT rather than ROLLBACK, so PostgreSQL keeps its plans.

psycopg 3 prepares a statement on a connection after its fifth execution there, and forgets every prepared
statement of the connection on each ROLLBACK (rolled-back DDL could have changed what they name). Flask-SQLAlchemy
ends every request with a rollback, so no statement was ever prepared: PostgreSQL parsed and planned the signing
page's five-table join on every request (~0.7 ms of its CPU; ~0.1 ms once prepared). When every statement the
transaction ran was a plain SELECT, COMMIT and ROLLBACK end it alike, and COMMIT keeps the prepared statements.
Anything else keeps the rollback: a statement that is not a plain SELECT (a flush, UPDATE, SAVEPOINT,
SELECT ... INTO, a CTE), changes pending in the session, or an exception escaping the app's error handlers.
(A SELECT of a function that writes would count as a read: the code base has none; writes go through the ORM.)
"""
from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from firma.extensions import db

_WROTE = "firma_wrote"  # on Connection.info: this transaction ran something other than a plain SELECT
_CONNECTIONS = "firma_connections"  # on Session.info: the connections its current transaction began on


def init_app(app: Flask) -> None:
    """Watch the app's engines, and end a read-only request's transaction with COMMIT (call right after
    `db.init_app`: teardown functions run last-registered first, so this runs before the session's removal)."""
    with app.app_context():
        for engine in db.engines.values():
            watch(engine)
    app.teardown_appcontext(commit_if_read_only)


def watch(engine: Engine) -> None:
    """Note, per connection and transaction, whether anything but a plain SELECT ran."""
    if not event.contains(engine, "before_cursor_execute", _note_statement):
        event.listen(engine, "before_cursor_execute", _note_statement)
        event.listen(engine, "begin", _forget_statements)


def is_plain_select(statement: str) -> bool:
    """Whether SQL text only reads: it starts with SELECT and does not SELECT ... INTO a new table."""
    head = statement.lstrip()[:7].upper()
    return head.startswith("SELECT") and head[6:7] in (" ", "\n", "\t", "\r", "") \
        and " INTO " not in statement.upper()


def read_only(session: Session) -> bool:
    """Whether the session's transaction has only read so far, on every connection, with nothing pending."""
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return False
    connections = session.info.get(_CONNECTIONS) or []
    return bool(connections) and all(c.in_transaction() and not c.invalidated and not c.info.get(_WROTE)
                                     for c in connections)


def commit_if_read_only(exc: BaseException | None) -> None:
    """Teardown: commit the current session's transaction when it only read (the session is removed next)."""
    if exc is not None or not db.session.registry.has():
        return
    session = db.session()
    if read_only(session):
        session.commit()


def _note_statement(conn, cursor, statement, parameters, context, executemany) -> None:
    if not is_plain_select(statement):
        conn.info[_WROTE] = True


def _forget_statements(conn) -> None:
    conn.info.pop(_WROTE, None)


@event.listens_for(Session, "after_begin")
def _remember_connection(session, transaction, connection) -> None:
    session.info.setdefault(_CONNECTIONS, []).append(connection)


@event.listens_for(Session, "after_transaction_end")
def _forget_connections(session, transaction) -> None:
    if transaction.parent is None:  # the root transaction ended: its connections went back to the pool
        session.info.pop(_CONNECTIONS, None)
