"""The documented deployment holds its limits: gunicorn with 4 workers sharing Redis counts one budget, not four."""
import os
import secrets
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from firma.config import ROOT
from firma.org.api_tokens import rotate_token
from firma.platform.outbox import commit
from tests.test_gunicorn import free_port, get, wait_until_up

DATABASE_URL = os.environ.get("FIRMA_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("FIRMA_TEST_QUEUE_URL")
pytestmark = [pytest.mark.postgres, pytest.mark.skipif(
    not (DATABASE_URL and REDIS_URL),
    reason="needs FIRMA_TEST_DATABASE_URL and FIRMA_TEST_QUEUE_URL (the PostgreSQL + Redis pass of make test)")]

API_LIMIT, AUTH_LIMIT = 100, 30


def hammer(url: str, token: str, count: int) -> list[int]:
    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(lambda _: get(url, token)[0], range(count)))


def test_four_workers_hold_the_documented_limits(app, db, integration, tmp_path, seal_config):
    token = rotate_token(integration)
    commit()
    port = free_port()
    env = {
        "PATH": os.environ["PATH"], "WEB_CONCURRENCY": "4", "GUNICORN_BIND": f"127.0.0.1:{port}",
        "FIRMA_ENV_NAME": "testing", "FIRMA_SECRET_KEY": "g" * 40,
        "FIRMA_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "FIRMA_QUEUE_URL": REDIS_URL,
        "FIRMA_RATELIMIT_KEY_PREFIX": "test-" + secrets.token_hex(6),  # a fresh set of counters in that Redis
        "FIRMA_API_RATE_LIMIT": f"{API_LIMIT}/minute", "FIRMA_API_AUTH_FAILURE_LIMIT": f"{AUTH_LIMIT}/10 minutes",
        "FIRMA_STORAGE_DIR": str(tmp_path / "storage"),
        "FIRMA_SEAL_P12": seal_config["SEAL_P12"], "FIRMA_SEAL_PASSPHRASE": seal_config["SEAL_PASSPHRASE"],
    }
    output = tmp_path / "gunicorn.log"  # a file, not a pipe: one JSON line per request would fill a pipe and block
    with output.open("wb") as sink:  # the child keeps its own copy of the descriptor
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                                  cwd=str(ROOT), env=env, stdout=sink, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/healthz", server)
        api = hammer(f"{base}/api/v1/templates", token, 3 * API_LIMIT)
        guesses = [get(f"{base}/api/v1/templates", f"guess-{n}")[0] for n in range(3 * AUTH_LIMIT)]
    finally:
        server.terminate()
        server.wait(timeout=30)
        log = output.read_text(errors="replace")
    assert set(api) == {200, 429}, log[-2000:]
    assert abs(api.count(200) - API_LIMIT) <= API_LIMIT * 0.1, api.count(200)  # in-memory counters: ~4x
    assert set(guesses) == {401, 429}
    assert abs(guesses.count(401) - AUTH_LIMIT) <= AUTH_LIMIT * 0.1, guesses.count(401)
