"""Pooled connections: pinged only after idling, and a dead one is replaced before the request uses it."""
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import QueuePool

from firma.platform import dbpool
from tests.conftest import DATABASE_URL


def _engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'pool.sqlite3'}", poolclass=QueuePool, pool_pre_ping=False)
    dbpool.watch(engine)
    return engine


def _pings(engine, monkeypatch) -> list:
    seen = []
    real = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: seen.append(conn) or real(conn))
    return seen


def test_a_connection_back_from_a_request_a_moment_ago_is_not_pinged(tmp_path, monkeypatch):
    engine = _engine(tmp_path)
    pings = _pings(engine, monkeypatch)
    for _ in range(3):
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
    assert pings == []
    engine.dispose()


def test_an_idle_connection_is_pinged(tmp_path, monkeypatch):
    engine = _engine(tmp_path)
    pings = _pings(engine, monkeypatch)
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    monkeypatch.setattr(dbpool, "IDLE_BEFORE_PING_SECONDS", -1)  # as if it had idled for long
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    assert len(pings) == 1
    engine.dispose()


def test_a_dead_idle_connection_is_replaced_and_the_pool_renewed(tmp_path, monkeypatch):
    engine = _engine(tmp_path)
    with engine.connect() as conn:
        first = conn.connection.dbapi_connection
        conn.execute(text("SELECT 1"))
    first.close()  # the server went away while the connection sat in the pool
    monkeypatch.setattr(dbpool, "IDLE_BEFORE_PING_SECONDS", -1)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
        assert conn.connection.dbapi_connection is not first
    engine.dispose()


def test_the_app_engine_is_watched_and_not_pre_pinged(app):
    with app.app_context():
        from firma.extensions import db

        assert db.engine.pool._pre_ping is False
        assert db.engine.pool.dispatch.checkout


@pytest.mark.skipif(not DATABASE_URL or not DATABASE_URL.startswith("postgresql"), reason="needs PostgreSQL")
def test_a_backend_killed_while_idle_is_replaced_on_postgresql(monkeypatch):
    engine = create_engine(DATABASE_URL, pool_pre_ping=False)
    dbpool.watch(engine)
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    other = create_engine(DATABASE_URL)
    with other.connect() as admin:  # a server restart, as far as that connection can tell
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    other.dispose()
    monkeypatch.setattr(dbpool, "IDLE_BEFORE_PING_SECONDS", -1)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != pid
    engine.dispose()
