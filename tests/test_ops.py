"""/healthz, /readyz and /metrics: what a load balancer and Prometheus see."""
import socket
import subprocess
import sys
import time

import pytest
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector

from firma import create_app
from firma.config import ROOT
from firma.extensions import limiter
from firma.platform import metrics
from tests.test_finalise import completed  # noqa: F401  (fixture: a fully signed, sealed envelope)

TOKEN = "metrics-token-" + "x" * 20


def ops_app(tmp_path, seal_config, **overrides):
    """An app of its own, on a throw-away instance, with some dependency pointed somewhere else."""
    settings = {"ENV_NAME": "testing", "SECRET_KEY": "s" * 40, "QUEUE_IMMEDIATE": True,
                "DATABASE_URL": f"sqlite:///{tmp_path / 'ops.sqlite3'}", **seal_config, **overrides}
    return create_app(settings, instance_path=str(tmp_path / "instance"))


def test_healthz_answers_without_the_database(tmp_path, seal_config):
    app = ops_app(tmp_path, seal_config, DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_readyz_names_every_check(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "checks": {"database": "ok", "queue": "ok", "storage": "ok"}}


def test_readyz_names_the_database_when_its_port_is_closed(tmp_path, seal_config):
    app = ops_app(tmp_path, seal_config, DATABASE_URL="postgresql+psycopg://nobody:hunter2@127.0.0.1:1/none")
    started = time.perf_counter()
    response = app.test_client().get("/readyz")
    assert time.perf_counter() - started < 5
    assert response.status_code == 503
    assert response.json == {"status": "fail", "checks": {"database": "fail", "queue": "ok", "storage": "ok"}}
    assert b"hunter2" not in response.data and b"127.0.0.1" not in response.data


def test_readyz_names_the_storage_when_its_folder_is_unwritable(tmp_path, seal_config):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")  # even root cannot create a folder inside a regular file
    app = ops_app(tmp_path, seal_config, STORAGE_DIR=str(blocker / "storage"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"] == {"database": "ok", "queue": "ok", "storage": "fail"}
    assert str(tmp_path).encode() not in response.data


def test_readyz_names_the_queue_when_redis_does_not_answer(tmp_path, seal_config):
    app = ops_app(tmp_path, seal_config, QUEUE_IMMEDIATE=False, QUEUE_URL="redis://127.0.0.1:1/0")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and response.json["checks"]["queue"] == "fail"


def test_probes_are_exempt_from_rate_limits(tmp_path, seal_config):
    # `limiter` is one shared instance: its init_app sets `enabled` and the default limits for every app.
    was_enabled = limiter.enabled
    try:
        client = ops_app(tmp_path, seal_config, RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="2/minute").test_client()
        home = [client.get("/").status_code for _ in range(3)]
        probes = {client.get(url).status_code for _ in range(5) for url in ("/healthz", "/readyz")}
    finally:
        limiter.enabled = was_enabled
        limiter.limit_manager.set_default_limits([])  # firma.extensions builds it with default_limits=[]
        limiter.reset()
    assert home[-1] == 429  # the default limit is real...
    assert probes == {200}  # ...and the probes skip it


def test_metrics_is_not_found_without_a_configured_token(client):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer anything"}).status_code == 404


def test_metrics_refuses_a_wrong_or_missing_token(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_count_requests_jobs_deliveries_and_finalisations(client, app, monkeypatch, completed):  # noqa: F811
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    before = sample("firma_request_duration_seconds_count", endpoint="ops.healthz", status="200")
    client.get("/healthz")
    assert sample("firma_request_duration_seconds_count", endpoint="ops.healthz", status="200") == before + 1
    client.get("/s/not-a-real-token")  # counted under its endpoint, never its URL
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert "not-a-real-token" not in text
    assert 'firma_jobs_started_total{job="envelope.finalise"}' in text
    assert 'firma_finalisations_total{outcome="completed"}' in text
    assert "firma_seal_duration_seconds_count" in text
    assert 'firma_deliveries_total{channel="email",status="sent"}' in text
    assert 'firma_envelopes{status="completed"} 1.0' in text
    assert 'firma_envelopes{status="cancelled"} 0.0' in text


def test_a_failing_job_is_counted(app, db):
    from firma.platform import jobs
    before = sample("firma_jobs_failed_total", job="envelope.finalise")
    spec = jobs.JobSpec("envelope.finalise", lambda envelope_id: 1 / 0, 0, 0)
    with pytest.raises(ZeroDivisionError):
        jobs._runner(app, spec)(1)
    assert sample("firma_jobs_failed_total", job="envelope.finalise") == before + 1


WORKER = """
from firma.platform import metrics
metrics.JOBS_STARTED.labels("probe.job").inc()
metrics.SEAL_SECONDS.observe(0.2)
"""


def test_multiprocess_mode_sums_every_process(tmp_path, client, app, monkeypatch):
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = {"PROMETHEUS_MULTIPROC_DIR": str(folder), "PATH": "/usr/bin:/bin"}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", WORKER], env=env, check=True, cwd=str(ROOT))
    assert len(list(folder.glob("counter_*.db"))) == 2  # one file per process
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(folder))
    assert registry.get_sample_value("firma_jobs_started_total", {"job": "probe.job"}) == 2
    assert registry.get_sample_value("firma_seal_duration_seconds_count") == 2
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    text = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).get_data(as_text=True)
    assert 'firma_jobs_started_total{job="probe.job"} 2.0' in text
    assert 'firma_envelopes{status="pending"} 0.0' in text
    assert metrics.exposition(app)[1].startswith("text/plain")


def test_readyz_gives_up_quickly_on_servers_that_accept_and_never_answer(tmp_path, seal_config):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes the handshake; nobody ever answers
        port = silent.getsockname()[1]
        app = ops_app(tmp_path, seal_config, DATABASE_URL=f"postgresql+psycopg://u:p@127.0.0.1:{port}/none",
                      DB_CONNECT_TIMEOUT=2, QUEUE_IMMEDIATE=False, QUEUE_URL=f"redis://127.0.0.1:{port}/0")
        started = time.perf_counter()
        response = app.test_client().get("/readyz")
        elapsed = time.perf_counter() - started
    assert response.status_code == 503 and elapsed < 4.5
    assert response.json["checks"] == {"database": "fail", "queue": "fail", "storage": "ok"}
