"""The application factory: a list of named steps, as in Indico and cookiecutter-flask."""
import os
import sys
from pathlib import Path

from flask import Flask
from flask.cli import FlaskGroup

import admin
import api
import pages
import signer
from firma import cli, config, filters, models  # noqa: F401  (models: known to Alembic and create_all)
from firma.config import ROOT
from firma.delivery import deliveries, reminders, webhooks
from firma.documents import previews
from firma.envelopes import batches
from firma.extensions import csrf, db, htmx, limiter, mail, migrate
from firma.models import EventType
from firma.platform import clients, dbpool, errors, inputs, jobs, logs, metrics, outbox, readonly, sessions, tenancy
from firma.platform.headers import set_security_headers
from firma.sealing import finalise, lta_refresh
from pages import ops

# Every background job is marked in one of these modules (like Celery's `include`).
JOB_MODULES = (deliveries, webhooks, reminders, batches, finalise, lta_refresh, previews)


def create_app(test_config: dict | None = None, instance_path: str | None = None) -> Flask:
    """Build the app: settings, logs, extensions, jobs, the seal key, blueprints, headers, errors, helpers, commands."""
    app = Flask(
        "firma",
        instance_relative_config=True,
        instance_path=instance_path or os.environ.get("FIRMA_INSTANCE_PATH") or str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    config.load(app, test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    register_logs(app)
    register_proxies(app)
    register_extensions(app)
    register_jobs(app)
    register_metrics(app)
    register_seal(app)
    register_blueprints(app)
    register_security(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_logs(app: Flask) -> None:
    """A request id and one JSON log line per request; first, so even a refused request is logged."""
    logs.init_app(app)


def register_proxies(app: Flask) -> None:
    """Real client addresses behind the configured number of trusted reverse proxies."""
    clients.init_app(app)


def register_extensions(app: Flask) -> None:
    """Bind the bare extension instances of firma.extensions to this app."""
    db.init_app(app)
    readonly.init_app(app)  # a request that only read commits, so PostgreSQL keeps its prepared statements
    dbpool.init_app(app)  # pooled connections are pinged after idling, not before every request
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    mail.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    tenancy.init_app(app)  # a request's organization scope ends with it
    sessions.init_app(app)  # signed-cookie sessions without a new serializer per request


def register_jobs(app: Flask) -> None:
    """The queue with every job, and what runs after a commit that recorded an event: webhooks, signed copies."""
    jobs.init_app(app, JOB_MODULES)
    subscribers: dict[str, list] = {event_type: [webhooks.on_event] for event_type in webhooks.EVENTS}
    subscribers.setdefault(EventType.ENVELOPE_COMPLETED, []).append(deliveries.on_completed)
    outbox.init_app(app, subscribers)


def register_metrics(app: Flask) -> None:
    """Prometheus: request timing on every request; /metrics itself is a route of the ops blueprint."""
    metrics.init_app(app)


def register_seal(app: Flask) -> None:
    """Load the seal key now: a missing or unreadable one stops the start-up, not the first finalisation."""
    if app.config["SEAL_CHECK_AT_START"]:
        finalise.sealer(app)


def register_blueprints(app: Flask) -> None:
    """The public pages, health and metrics, the signing flow, the staff panel (/admin) and the REST API (/api/v1)."""
    app.register_blueprint(pages.bp)
    app.register_blueprint(ops.bp)
    csrf.exempt(ops.bp)  # read-only probes, no forms
    limiter.exempt(ops.bp)  # a load balancer probes often; a limit would take a healthy node out
    app.register_blueprint(signer.bp)
    app.register_blueprint(admin.bp, url_prefix="/admin")
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    csrf.exempt(api.bp)  # token-authenticated JSON, no cookies


def register_security(app: Flask) -> None:
    """Security headers (CSP, framing, HSTS) on every response; NUL characters refused in every form."""
    app.after_request(set_security_headers)
    inputs.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    """pt-BR error pages for people, problem+json for the API."""
    errors.register(app)


def register_template_helpers(app: Flask) -> None:
    """Jinja filters and globals for pt-BR display."""
    filters.register(app)


def register_commands(app: Flask) -> None:
    """Firma's own CLI commands (init, seed, demo, verify, worker, ...)."""
    cli.register(app)


def main() -> None:
    """The `firma` command: Flask's CLI (run, db, shell) plus Firma's own commands."""
    # `firma init` creates the seal key, so the CLI loads it only for the commands that serve or seal.
    serving = sys.argv[1:2] in (["run"], ["worker"])
    FlaskGroup(create_app=lambda: create_app({"SEAL_CHECK_AT_START": serving}),
               help="Firma: assinatura eletrônica para provedores.")(prog_name="firma")
