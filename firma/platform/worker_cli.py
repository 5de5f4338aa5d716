"""`firma worker` runs the job queue's consumer beside the web server; `firma sweep` runs the sweeps once."""
import json
import logging

import click
from flask import current_app
from flask.cli import with_appcontext

from firma.delivery import deliveries, reminders, webhooks
from firma.platform import jobs
from firma.sealing import finalise


def register(app) -> None:
    """Add `worker` and `sweep` to the app's CLI (called from firma.cli.register)."""
    for command in (worker, sweep):
        app.cli.add_command(command)


@click.command()
@click.option("--workers", default=2, show_default=True, help="Threads running jobs.")
@click.option("--periodic/--no-periodic", default=True, show_default=True,
              help="Also run the periodic sweeps (retries, reminders, expiry).")
@with_appcontext
def worker(workers: int, periodic: bool) -> None:
    """Run the job consumer (SQLite queue in the instance folder, or Redis from FIRMA_QUEUE_URL)."""
    if current_app.config.get("QUEUE_IMMEDIATE"):
        raise click.UsageError("QUEUE_IMMEDIATE está ligado: os jobs rodam no próprio processo, sem worker.")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    huey = jobs.queue(current_app)
    click.echo(f"worker: {type(huey).__name__}, {workers} thread(s), jobs: {', '.join(jobs.names())}")
    huey.create_consumer(workers=workers, worker_type="thread", periodic=periodic).run()


@click.command()
@with_appcontext
def sweep() -> None:
    """Run every sweep once now: expiry, reminders, due retries, interrupted sends, missing webhooks, unsealed."""
    result = {
        "reminders": vars(reminders.sweep()),
        "messages": deliveries.sweep(),
        "webhooks": webhooks.sweep(),
        "finalisations": finalise.sweep(),
    }
    click.echo(json.dumps(result, ensure_ascii=False))
