"""Prometheus metrics: request latency, jobs, deliveries, finalisations, seal time, envelopes and queue depth.

Counters and histograms live in prometheus_client's default registry. Under several gunicorn workers set
PROMETHEUS_MULTIPROC_DIR (an empty folder, before the process starts) and prometheus_client writes each
process's values to files there; a scrape then sums them with MultiProcessCollector (gunicorn.conf.py
marks a dead worker's files). Envelopes by status are not counted by the processes: a collector computes
them at scrape time with one GROUP BY, so every worker answers the same numbers; so is the queue's depth by job.
"""
import hmac
import logging
import os
import time
from datetime import datetime, timezone

from flask import Flask, Response, abort, g, request
from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram,
                               generate_latest)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select

from firma.extensions import db
from firma.models import Envelope, EnvelopeStatus

REQUEST_SECONDS = Histogram("firma_request_duration_seconds", "Time to answer a request, by Flask endpoint and status.",
                            ["endpoint", "status"])
JOBS_STARTED = Counter("firma_jobs_started_total", "Background jobs started, by job name.", ["job"])
JOBS_FAILED = Counter("firma_jobs_failed_total", "Background jobs that raised, by job name.", ["job"])
# livesum: a scrape adds up the live processes' values (a dead worker's running jobs are not running).
JOBS_RUNNING = Gauge("firma_jobs_running", "Background jobs running now, by job name.", ["job"],
                     multiprocess_mode="livesum")
JOB_SECONDS = Histogram("firma_job_duration_seconds", "Time a background job took, by job name.", ["job"],
                        buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120))
DELIVERIES = Counter("firma_deliveries_total", "Recorded delivery outcomes, by channel and status.",
                     ["channel", "status"])
FINALISATIONS = Counter("firma_finalisations_total", "Envelope finalisations, by outcome.", ["outcome"])
SEAL_SECONDS = Histogram("firma_seal_duration_seconds", "Time to apply the PAdES seal to a final PDF.",
                         buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))


class EnvelopeStatusCollector:
    """Envelopes by status, counted in the database when Prometheus scrapes (one GROUP BY)."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        """Yield the firma_envelopes gauge, one sample per status (zero when none)."""
        gauge = GaugeMetricFamily("firma_envelopes", "Envelopes by status.", labels=["status"])
        with self.app.app_context():
            rows = dict(db.session.execute(select(Envelope.status, func.count()).group_by(Envelope.status)).all())
            db.session.remove()
        for status in EnvelopeStatus:
            gauge.add_metric([status.value], rows.get(status, 0))
        yield gauge


class QueueCollector:
    """Jobs waiting in the queue by job name (ready now, or scheduled: delayed retries), read at scrape time."""

    LIMIT = 20_000  # a scrape reads at most this many queued messages; the total is always exact

    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        """Yield firma_jobs_queued{job,state} and firma_queue_depth (every message in the queue, any job)."""
        from firma.platform import jobs  # jobs imports this module for its counters

        huey = jobs.queue(self.app)
        try:
            yield from self._families(huey, jobs.names(self.app))
        except Exception:  # the queue is down: /readyz says so; the other metrics still answer
            logging.getLogger(__name__).warning("queue metrics unavailable", exc_info=True)

    def _families(self, huey, names: list[str]):
        queued = GaugeMetricFamily("firma_jobs_queued", "Jobs waiting in the queue, by job name and state "
                                   "(ready, scheduled).", labels=["job", "state"])
        counts = {(name, state): 0 for name in names for state in ("ready", "scheduled")}
        now = datetime.now(timezone.utc).replace(tzinfo=None) if huey.utc else datetime.now()
        # A delayed job waits in the queue with a future eta until a consumer moves it to the schedule.
        waiting = [(m, "scheduled" if m.eta and m.eta > now else "ready") for m in huey.pending(limit=self.LIMIT)]
        waiting += [(m, "scheduled") for m in huey.scheduled(self.LIMIT)]
        for message, state in waiting:
            counts[(message.name, state)] = counts.get((message.name, state), 0) + 1
        for (name, state), count in sorted(counts.items()):
            queued.add_metric([name, state], count)
        yield queued
        total = GaugeMetricFamily("firma_queue_depth", "Every message in the queue, any job (exact).")
        total.add_metric([], huey.pending_count())
        yield total


def init_app(app: Flask) -> None:
    """Time every request by endpoint and status."""
    app.before_request(_start_timer)
    app.after_request(_observe)


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _observe(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    if started is not None:
        endpoint = request.url_rule.endpoint if request.url_rule else "unmatched"  # never the raw URL
        REQUEST_SECONDS.labels(endpoint, str(response.status_code)).observe(time.perf_counter() - started)
    return response


def authorise(app: Flask, header: str) -> None:
    """404 when no METRICS_TOKEN is configured (the endpoint does not exist), 401 for a wrong bearer token."""
    token = app.config.get("METRICS_TOKEN")
    if not token:
        abort(404)
    scheme, _, sent = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(sent.strip().encode(), token.encode()):
        abort(Response("unauthorised\n", 401, {"WWW-Authenticate": "Bearer"}, mimetype="text/plain"))


def exposition(app: Flask) -> tuple[bytes, str]:
    """The text exposition of every metric: this process's (or all workers' in multiprocess mode) + the DB's."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        processes = CollectorRegistry()
        MultiProcessCollector(processes, path=folder)
    else:
        processes = REGISTRY
    database = CollectorRegistry()
    database.register(EnvelopeStatusCollector(app))
    database.register(QueueCollector(app))
    return generate_latest(processes) + generate_latest(database), CONTENT_TYPE_LATEST
