"""Background jobs on Huey: plain functions marked as jobs, queued after the commit, run in an app context.

SQLite storage in the instance folder by default, Redis when QUEUE_URL is redis://... (several workers),
inline right after the commit when QUEUE_IMMEDIATE is set (tests). The database stays the source of truth:
jobs are idempotent (they claim their row with a conditional UPDATE), so a job that runs twice, or is lost
and re-queued by a sweep, never does its work twice. The factory names the job modules (`firma.app`);
nothing registers itself at import. Each job carries the request id of the request that queued it, and
logs one JSON line (job, outcome, duration, ids among its arguments) when it ends.
"""
from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab

from firma.extensions import db
from firma.platform import logs, metrics, outbox

EXTENSION = "firma.jobs"


class JobFailed(RuntimeError):
    """Raised by a job to have Huey retry it later (its failure is already recorded on its row)."""


@dataclass(frozen=True)
class JobSpec:
    """A job's name, function and retry policy; periodic jobs run every `every_minutes` in the worker."""

    name: str
    fn: Callable[..., object]
    retries: int
    retry_delay: int
    every_minutes: int | None = None


def job(name: str, *, retries: int = 3, retry_delay: int = 30, every_minutes: int | None = None):
    """Mark a function taking JSON-able arguments as the job `name` (retries back off exponentially)."""

    def mark(fn: Callable[..., object]) -> Callable[..., object]:
        fn.job_spec = JobSpec(name, fn, retries, retry_delay, every_minutes)
        return fn

    return mark


def init_app(app: Flask, modules: Iterable[ModuleType]) -> Huey:
    """Build the app's queue and make every job marked in `modules` a Huey task."""
    specs = {spec.name: spec for module in modules for spec in _marked(module)}
    huey = _make_huey(app)
    app.extensions[EXTENSION] = {"huey": huey, "specs": specs, "tasks": {}}
    for name in specs:
        _task(app, name)
    return huey


def _marked(module: ModuleType) -> list[JobSpec]:
    return [value.job_spec for value in vars(module).values() if inspect.isfunction(value) and hasattr(value, "job_spec")]


def enqueue(name: str, *args, delay: float | None = None) -> None:
    """Queue job `name` once the current transaction commits through outbox.commit() (never if it rolls back)."""
    if name not in _state(current_app)["specs"]:  # fail in the caller, not later in a worker
        raise KeyError(f"unknown job: {name}")
    rid = logs.request_id()
    if name in _HERE.get() and not delay:
        outbox.after_commit(lambda: _run_here(name, args, rid))
    else:
        outbox.after_commit(lambda: dispatch(name, *args, delay=delay, request_id=rid))


_HERE: ContextVar[frozenset[str]] = ContextVar("firma_jobs_here", default=frozenset())


@contextmanager
def run_here(*names: str):
    """Inside the block, jobs `names` queued by a transaction run in this process right after its commit instead
    of going through the queue (a worker job's follow-up work, e.g. a batch item sending the link it created).

    Only for idempotent jobs whose rows a sweep recovers: if the run fails or the process dies, the row is left
    as it was queued and the sweep hands it to the queue later.
    """
    token = _HERE.set(_HERE.get() | frozenset(names))
    try:
        yield
    finally:
        _HERE.reset(token)


def _run_here(name: str, args: tuple, request_id: str | None) -> None:
    app = current_app._get_current_object()
    try:
        _runner(app, _state(app)["specs"][name])(*args, request_id=request_id)  # its own context and session
    except Exception:  # already logged and counted by the runner; the sweep retries the row
        logging.getLogger(__name__).exception("job %s run in-process failed", name)


def dispatch(name: str, *args, delay: float | None = None, request_id: str | None = None) -> None:
    """Hand job `name` to the queue now (callers outside a transaction, e.g. after-commit handlers)."""
    task = _task(current_app._get_current_object(), name)
    kwargs = {"request_id": request_id or logs.request_id()}
    if delay:
        task.schedule(args=args, kwargs=kwargs, delay=delay)
    else:
        task(*args, **kwargs)


def queue(app: Flask | None = None) -> Huey:
    """The app's Huey instance."""
    return _state(app or current_app._get_current_object())["huey"]


def consumer(app: Flask, *, workers: int, worker_type: str = "thread", **options):
    """The app's Huey consumer; with worker_type "process" each forked worker first drops inherited connections."""
    huey = queue(app)
    if worker_type == "process":
        huey.on_startup("firma_after_fork")(lambda: _after_fork(app))
    # A polling queue (SQLite) is checked at least every second when idle (Huey's default backs off to 10 s).
    options = {"initial_delay": 0.05, "max_delay": 1.0, **options}
    return huey.create_consumer(workers=workers, worker_type=worker_type, **options)


def _after_fork(app: Flask) -> None:
    """In a forked worker: never reuse the parent's database or SQLite-queue connections (open new ones)."""
    storage = queue(app).storage
    if hasattr(storage, "_conn"):
        storage._conn = None  # SqliteHuey reconnects lazily; the parent keeps its own handle
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)


def names(app: Flask | None = None) -> list[str]:
    """The names of the app's jobs."""
    return sorted(_state(app or current_app._get_current_object())["specs"])


def _state(app: Flask) -> dict:
    return app.extensions[EXTENSION]


def _make_huey(app: Flask) -> Huey:
    cfg = app.config
    if cfg.get("QUEUE_IMMEDIATE"):
        return MemoryHuey("firma", immediate=True, results=False)
    url = cfg.get("QUEUE_URL")
    if url and url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("firma", url=url, results=False)
    if url and url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
    else:
        path = Path(app.instance_path) / "queue.sqlite3"
    return SqliteHuey("firma", filename=str(path), results=False)


def _task(app: Flask, name: str):
    state = _state(app)
    task = state["tasks"].get(name)
    if task is None:
        spec = state["specs"][name]
        run = _runner(app, spec)
        if spec.every_minutes:
            task = state["huey"].periodic_task(crontab(minute=f"*/{spec.every_minutes}"), name=name)(run)
        else:
            task = state["huey"].task(retries=spec.retries, retry_delay=spec.retry_delay, retry_backoff=2,
                                      name=name)(run)
        state["tasks"][name] = task
    return task


def _runner(app: Flask, spec: JobSpec) -> Callable[..., object]:
    # Worker threads have no context of their own: keep the real app, never the current_app proxy.
    app = getattr(app, "_get_current_object", lambda: app)()
    parameters = list(inspect.signature(spec.fn).parameters)

    def run(*args, request_id: str | None = None):
        reset = logs.bind(request_id)
        metrics.JOBS_STARTED.labels(spec.name).inc()
        running = metrics.JOBS_RUNNING.labels(spec.name)
        running.inc()
        started, outcome = time.perf_counter(), "done"
        try:
            with app.app_context():
                return spec.fn(*args)
        except Exception:
            outcome = "failed"
            metrics.JOBS_FAILED.labels(spec.name).inc()
            raise
        finally:
            running.dec()
            elapsed = time.perf_counter() - started
            metrics.JOB_SECONDS.labels(spec.name).observe(elapsed)
            _log_job(spec.name, outcome, elapsed, dict(zip(parameters, args)))
            logs.reset(reset)

    run.__name__ = spec.name.replace(".", "_")
    return run


def _log_job(name: str, outcome: str, elapsed: float, arguments: dict) -> None:
    """One JSON line per job run: name, outcome, duration, the ids among its arguments and what it noted."""
    line = {"job": name, "outcome": outcome, "duration_ms": round(elapsed * 1000, 1),
            **{k: v for k, v in arguments.items() if k.endswith("_id")}, **logs.noted()}
    level = logging.WARNING if outcome == "failed" else logging.INFO
    logs.JOB_LOG.log(level, "job %s %s", name, outcome, extra=line)
