"""gunicorn.conf.py for real: two workers, multiprocess metrics summed, JSON access and app logs without link tokens."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from firma.config import ROOT

TOKEN = "gunicorn-metrics-token-" + "y" * 16
REQUESTS = 12


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_until_up(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stdout.read().decode()
        try:
            if get(url)[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not start")


def healthz_count(exposition: bytes) -> float:
    prefix = 'firma_request_duration_seconds_count{endpoint="ops.healthz",status="200"} '
    return float(next(line for line in exposition.decode().splitlines() if line.startswith(prefix))[len(prefix):])


def test_two_workers_share_one_metrics_view(app, tmp_path, instance_dir, seal_config):
    folder = tmp_path / "prometheus"
    folder.mkdir()
    (folder / "counter_999999.db").write_bytes(b"stale")  # an earlier run's file: removed at start-up
    port = free_port()
    env = {
        "PATH": os.environ["PATH"], "PROMETHEUS_MULTIPROC_DIR": str(folder), "WEB_CONCURRENCY": "2",
        "GUNICORN_BIND": f"127.0.0.1:{port}", "FIRMA_ENV_NAME": "testing", "FIRMA_SECRET_KEY": "g" * 40,
        "FIRMA_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "FIRMA_METRICS_TOKEN": TOKEN,
        "FIRMA_STORAGE_DIR": str(tmp_path / "storage"), "FIRMA_QUEUE_URL": f"sqlite:///{tmp_path / 'queue.db'}",
        "FIRMA_SEAL_P12": seal_config["SEAL_P12"], "FIRMA_SEAL_PASSPHRASE": seal_config["SEAL_PASSPHRASE"],
    }
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                              cwd=str(ROOT), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/healthz", server)
        before = healthz_count(get(f"{base}/metrics", TOKEN)[1])
        sent = 0
        # Which worker accepts a connection is the kernel's choice: go on until both have answered some.
        while sent < REQUESTS or (len(list(folder.glob("histogram_*.db"))) < 2 and sent < 50 * REQUESTS):
            assert get(f"{base}/healthz")[0] == 200
            sent += 1
        assert get(f"{base}/s/secret-link-token")[0] == 404
        assert get(f"{base}/readyz")[0] == 200
        status, body = get(f"{base}/metrics", TOKEN)
        assert get(f"{base}/metrics", "wrong")[0] == 401
    finally:
        server.terminate()
        log = server.communicate(timeout=30)[0].decode()
    assert status == 200, body
    assert healthz_count(body) == before + sent  # every worker's requests, summed by one scrape
    assert not (folder / "counter_999999.db").exists()
    assert len({path.name for path in Path(folder).glob("histogram_*.db")}) == 2  # both workers wrote
    entries = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    access = next(e for e in entries if e.get("path", "").startswith("/s/") and "logger" not in e)
    assert {"method": "GET", "path": "/s/<token>", "status": 404}.items() <= access.items()
    app_line = next(e for e in entries if e.get("logger") == "firma.request" and e["path"] == "/s/<token>")
    assert app_line["request_id"] == access["request_id"] and app_line["status"] == 404  # the app's own JSON line
    assert "secret-link-token" not in log
    assert instance_dir  # the session's seal certificate, shared through seal_config
