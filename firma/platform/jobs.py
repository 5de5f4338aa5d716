"""Background jobs on Huey: plain functions registered by name, queued after the commit, run in an app context.

SQLite storage in the instance folder by default, Redis when QUEUE_URL is redis://... (several workers),
inline right after the commit when QUEUE_IMMEDIATE is set (tests). The database stays the source of truth:
jobs are idempotent (they claim their row with a conditional UPDATE), so a job that runs twice, or is lost
and re-queued by a sweep, never does its work twice.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab

from firma.extensions import db
from firma.models import Envelope
from firma.platform import outbox
from firma.sealing import finalise

EXTENSION = "firma.jobs"
# Modules whose import registers jobs and outbox subscribers (like Celery's `include`).
JOB_MODULES = ("firma.delivery.deliveries", "firma.delivery.webhooks", "firma.delivery.reminders", "firma.envelopes.batches")


class JobFailed(RuntimeError):
    """Raised by a job to have Huey retry it later (its failure is already recorded on its row)."""


@dataclass(frozen=True)
class JobSpec:
    name: str
    fn: Callable[..., object]
    retries: int
    retry_delay: int
    every_minutes: int | None = None  # periodic jobs run on this cadence in the worker


_registry: dict[str, JobSpec] = {}


def job(name: str, *, retries: int = 3, retry_delay: int = 30, every_minutes: int | None = None):
    """Register a function taking JSON-able arguments as the job `name` (retries back off exponentially)."""

    def register(fn: Callable[..., object]) -> Callable[..., object]:
        _registry[name] = JobSpec(name, fn, retries, retry_delay, every_minutes)
        return fn

    return register


def enqueue(name: str, *args, delay: float | None = None) -> None:
    """Queue job `name` once the current transaction commits through outbox.commit() (never if it rolls back)."""
    if name not in _registry:
        raise KeyError(f"unknown job: {name}")
    outbox.after_commit(lambda: dispatch(name, *args, delay=delay))


def dispatch(name: str, *args, delay: float | None = None) -> None:
    """Hand job `name` to the queue now (callers outside a transaction, e.g. after-commit handlers)."""
    task = _task(current_app._get_current_object(), name)
    if delay:
        task.schedule(args=args, delay=delay)
    else:
        task(*args)


def init_app(app: Flask) -> Huey:
    """Build the app's queue once (idempotent), import the job modules and make finalisation a job."""
    state = app.extensions.get(EXTENSION)
    if state is not None:
        return state["huey"]
    for module in JOB_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:  # a module that is there but broken must fail loudly
                raise
    huey = _make_huey(app)
    app.extensions[EXTENSION] = {"huey": huey, "tasks": {}}
    for name in _registry:
        _task(app, name)
    finalise.runner = _finalise_on_queue
    return huey


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
    init_app(app)
    state = app.extensions[EXTENSION]
    task = state["tasks"].get(name)
    if task is None:
        spec = _registry[name]
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

    def run(*args):
        with app.app_context():
            return spec.fn(*args)

    run.__name__ = spec.name.replace(".", "_")
    return run


def names() -> list[str]:
    return sorted(_registry)


def register_all(app: Flask) -> Huey:
    """Make sure every job known now (including modules imported after init_app) is a Huey task."""
    huey = init_app(app)
    for name in _registry:
        _task(app, name)
    return huey


def _finalise_on_queue(envelope_id: int) -> None:
    dispatch("envelope.finalise", envelope_id)


@job("envelope.finalise", retries=5, retry_delay=60)
def finalise_job(envelope_id: int) -> bool:
    """Seal an envelope; a failure stays visible (finalise_state=failed) and Huey retries it with backoff."""
    done = finalise.finalise(envelope_id)
    envelope = db.session.get(Envelope, envelope_id)
    if not done and envelope is not None and envelope.finalise_state == "failed":
        raise JobFailed(f"finalisation of envelope {envelope_id} failed: {envelope.finalise_error}")
    return done
