"""gunicorn settings for Firma: `gunicorn -c gunicorn.conf.py wsgi:app`.

Workers and threads follow the CPU count (override with WEB_CONCURRENCY and GUNICORN_THREADS); the access
log is one JSON object a line on stdout, with signing-link tokens and CPF/CNPJ values cut out of the path and
the request id the app answered in X-Request-Id (the app's own JSON lines go to stderr, wsgi.py). With several workers,
set PROMETHEUS_MULTIPROC_DIR to a folder of its own: it is emptied at start-up and each dead worker is
marked, so /metrics sums every live worker's counters (see firma/platform/metrics.py).
"""
import gc
import json
import os
import shutil
from pathlib import Path

from gunicorn.glogging import Logger
from prometheus_client import multiprocess

from firma.platform import logs

CPUS = os.cpu_count() or 1

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", CPUS + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 4))  # requests wait on the database and uploads, not the CPU
worker_class = "gthread"
timeout = 60  # a PDF upload or a /verificar check, never a seal (the worker process seals)
graceful_timeout = 30
keepalive = 5
max_requests = 2000  # recycle workers now and then (WeasyPrint and Pillow keep caches)
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"

class JsonAccessLogger(Logger):
    """gunicorn's logger with one JSON object per request in the access log (safe quoting, no link tokens)."""

    def access(self, resp, req, environ, request_time):
        """Log method, path without query or secrets, status, size, duration, client and request id as one JSON line."""
        if not self.cfg.accesslog:
            return
        entry = {
            "remote": environ.get("REMOTE_ADDR"),
            "method": environ.get("REQUEST_METHOD"),
            "path": logs.safe_path(environ.get("PATH_INFO", "")),
            "status": int(str(resp.status).split()[0]),
            "bytes": getattr(resp, "sent", None),
            "ms": round(request_time.total_seconds() * 1000, 1),
            "user_agent": environ.get("HTTP_USER_AGENT"),
            "request_id": next((v for k, v in resp.headers if k.lower() == "x-request-id"), None),
        }
        self.access_log.info(json.dumps(entry, ensure_ascii=False))


logger_class = JsonAccessLogger


def post_worker_init(worker):
    """The app is loaded: its long-lived objects leave the collector's sight (full collections stop walking them)."""
    gc.freeze()


def on_starting(server):
    """Start with an empty PROMETHEUS_MULTIPROC_DIR: files of an earlier run would be summed as live workers."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        Path(folder).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    """A worker died or was recycled: drop its live gauges from the multiprocess files."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
