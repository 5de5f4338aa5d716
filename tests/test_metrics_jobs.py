"""Job metrics: queued by job and state (read from the queue at scrape time), running now, duration; multiprocess."""
import subprocess
import sys

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from firma import create_app
from firma.config import ROOT
from firma.extensions import db as _db
from firma.platform import jobs, metrics

TOKEN = "metrics-token-" + "z" * 20


def test_queued_jobs_are_counted_by_name_and_state(app, tmp_path):
    settings = {k: app.config[k] for k in ("ENV_NAME", "SECRET_KEY", "SEAL_PASSPHRASE", "PUBLIC_URL", "DATABASE_URL")}
    queued_app = create_app({**settings, "QUEUE_IMMEDIATE": False, "QUEUE_URL": f"sqlite:///{tmp_path / 'q.sqlite3'}",
                             "METRICS_TOKEN": TOKEN}, instance_path=app.instance_path)
    with queued_app.app_context():
        jobs.dispatch("delivery.send", 1)
        jobs.dispatch("delivery.send", 2)
        jobs.dispatch("webhook.send", 3, delay=600)  # a delayed retry waits in the schedule
        text = queued_app.test_client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
        _db.session.remove()
        _db.engine.dispose()
    assert 'firma_jobs_queued{job="delivery.send",state="ready"} 2.0' in text
    assert 'firma_jobs_queued{job="webhook.send",state="scheduled"} 1.0' in text
    assert 'firma_jobs_queued{job="batch.item",state="ready"} 0.0' in text
    assert "firma_queue_depth 3.0" in text  # in the queue, due or not


def test_a_running_job_is_counted_while_it_runs_and_timed(app):
    seen = []
    spec = jobs.JobSpec("probe.running", lambda: seen.append(
        REGISTRY.get_sample_value("firma_jobs_running", {"job": "probe.running"})), 0, 0)
    jobs._runner(app, spec)()
    assert seen == [1.0]
    assert REGISTRY.get_sample_value("firma_jobs_running", {"job": "probe.running"}) == 0.0
    assert REGISTRY.get_sample_value("firma_job_duration_seconds_count", {"job": "probe.running"}) == 1.0


WORKER = """
from firma.platform import metrics
metrics.JOBS_RUNNING.labels("probe.job").inc()
metrics.JOB_SECONDS.labels("probe.job").observe(0.3)
print(__import__("os").getpid())
"""


def test_running_jobs_of_every_live_process_are_summed_and_a_dead_ones_dropped(tmp_path):
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = {"PROMETHEUS_MULTIPROC_DIR": str(folder), "PATH": "/usr/bin:/bin"}
    pids = [int(subprocess.run([sys.executable, "-c", WORKER], env=env, check=True, cwd=str(ROOT),
                               capture_output=True, text=True).stdout) for _ in range(2)]

    def scrape(name, labels):
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(folder))
        return registry.get_sample_value(name, labels)

    assert scrape("firma_jobs_running", {"job": "probe.job"}) == 2  # as if both were still running
    assert scrape("firma_job_duration_seconds_count", {"job": "probe.job"}) == 2
    mark_process_dead(pids[0], str(folder))  # gunicorn.conf.py's child_exit; a worker's exit likewise
    assert scrape("firma_jobs_running", {"job": "probe.job"}) == 1
    assert scrape("firma_job_duration_seconds_count", {"job": "probe.job"}) == 2  # history is kept
    assert metrics.JOBS_RUNNING._multiprocess_mode == "livesum"
