"""Liveness and readiness checks: is the process up, and do the database, the job queue and storage answer.

Each check answers fast (short connect timeouts) and reports only "ok" or "fail": the reason goes to the log,
never to the answer, so a probe cannot learn a host name, a path or a password.
"""
from collections.abc import Callable

import redis
from flask import Flask
from sqlalchemy import text

from firma.extensions import db
from firma.platform import jobs, storage

TIMEOUT_SECONDS = 1  # Redis; the database has DB_CONNECT_TIMEOUT


def check_database() -> None:
    """SELECT 1 on the app's database (the engine's connect timeout keeps a dead server short)."""
    with db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def check_queue(app: Flask) -> None:
    """The job queue's storage answers: a Redis PING, or the SQLite queue file opens and counts its tasks."""
    url = app.config.get("QUEUE_URL") or ""
    if not app.config.get("QUEUE_IMMEDIATE") and url.startswith(("redis://", "rediss://", "unix://")):
        client = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS)
        try:
            client.ping()
        finally:
            client.close()
    else:
        jobs.queue(app).storage.queue_size()


def checks(app: Flask) -> dict[str, Callable[[], None]]:
    """The readiness checks by name."""
    return {"database": check_database, "queue": lambda: check_queue(app), "storage": storage.probe}


def readiness(app: Flask) -> dict[str, str]:
    """Run every check: name → "ok" or "fail" (a failure's reason is logged, not returned)."""
    results = {}
    for name, check in checks(app).items():
        try:
            check()
        except Exception:  # noqa: BLE001  (any failure means "not ready"; the log keeps the reason)
            app.logger.warning("readiness check %s failed", name, exc_info=True)
            results[name] = "fail"
        else:
            results[name] = "ok"
    return results
