"""`firma worker` runs the job consumer (threads or processes); `firma sweep` runs the sweeps once."""
import gc
import json
import logging
import os

import click
from flask import current_app
from flask.cli import with_appcontext

from firma.delivery import deliveries, reminders, webhooks
from firma.envelopes import batches
from firma.platform import jobs, logs
from firma.sealing import finalise


def register(app) -> None:
    """Add `worker` and `sweep` to the app's CLI (called from firma.cli.register)."""
    for command in (worker, sweep):
        app.cli.add_command(command)


@click.command()
@click.option("--workers", default=2, show_default=True, help="Threads running jobs (ignored with --processes).")
@click.option("--processes", type=click.IntRange(min=1), default=None,
              help="Worker processes running jobs, one job each at a time: rendering and sealing use every core.")
@click.option("--periodic/--no-periodic", default=True, show_default=True,
              help="Also run the periodic sweeps (retries, reminders, expiry).")
@click.option("--nice", "niceness", type=click.IntRange(0, 19), default=10, show_default=True,
              help="Lower the jobs' CPU priority by this much, so web requests on the same host answer first.")
@click.option("--log-format", type=click.Choice(["json", "text"]), default="json", show_default=True,
              help="json: one JSON line per job and log record; text: for a terminal.")
@with_appcontext
def worker(workers: int, processes: int | None, periodic: bool, niceness: int, log_format: str) -> None:
    """Run the job consumer (SQLite queue in the instance folder, or Redis from FIRMA_QUEUE_URL)."""
    app = current_app._get_current_object()
    if app.config.get("QUEUE_IMMEDIATE"):
        raise click.UsageError("QUEUE_IMMEDIATE está ligado: os jobs rodam no próprio processo, sem worker.")
    if log_format == "json":
        logs.configure()
    else:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if niceness:
        os.nice(niceness)  # inherited by the forked worker processes
    huey = jobs.queue(app)
    kind, count = ("process", processes) if processes else ("thread", workers)
    click.echo(f"worker: {type(huey).__name__}, {count} × {kind}, nice {niceness}, jobs: {', '.join(jobs.names())}", err=True)
    consumer = jobs.consumer(app, workers=count, worker_type=kind, periodic=periodic)
    # The app's ~300,000 long-lived objects leave the collector's sight (forked workers share them): a full
    # collection no longer walks them all, which stalled a render for ~150 ms every hundred jobs or so.
    gc.freeze()
    consumer.run()


@click.command()
@with_appcontext
def sweep() -> None:
    """Run every sweep once now: expiry, reminders, due retries, interrupted sends, missing webhooks, unsealed,
    stalled batches."""
    result = {
        "reminders": vars(reminders.sweep()),
        "messages": deliveries.sweep(),
        "webhooks": webhooks.sweep(),
        "finalisations": finalise.sweep(),
        "batches": batches.sweep(),
    }
    click.echo(json.dumps(result, ensure_ascii=False))
