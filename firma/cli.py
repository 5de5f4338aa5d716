"""The `firma` command: Flask's CLI (run, db, shell) plus init, seed, demo, verify, audit-verify, lta-refresh,
org and storage."""
import json
import secrets
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import select

from firma import demo as demo_data
from firma.config import ConfigError, seal_passphrase
from firma.evidence import audit
from firma.org.org_cli import org
from firma.extensions import db
from firma.models import Envelope
from firma.platform import worker_cli
from firma.platform.storage import cli as storage_cli
from firma.sealing import certificate, finalise, lta_refresh, trust, verification


def register(app) -> None:
    """Add Firma's commands to the app's CLI."""
    for command in (init, seed, demo, verify, audit_verify, lta_refresh_command, org):
        app.cli.add_command(command)
    worker_cli.register(app)
    storage_cli.register(app)


@click.command()
@with_appcontext
def init() -> None:
    """Create the instance (secret key, seal certificate) and migrate the database. Safe to re-run."""
    instance = Path(current_app.instance_path)
    key_file = instance / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
        click.echo(f"secret key written to {key_file}")
    p12 = Path(current_app.config["SEAL_P12"])
    if not p12.exists():
        pass_file = instance / "seal.pass"
        if not current_app.config["SEAL_PASSPHRASE"]:
            pass_file.write_text(secrets.token_urlsafe(32))
            pass_file.chmod(0o600)
        root = instance / certificate.ROOT_FILE
        certificate.generate_instance_certificate(p12, seal_passphrase(current_app), root_path=root)
        click.echo(f"seal certificate created at {p12}; trust its root {root} once in a PDF reader")
    try:  # keep the current seal certificate for the verifier, also across a later rotation
        trust.record(finalise.sealer().chain)
    except ConfigError as exc:
        click.echo(f"warning: {exc}", err=True)
    upgrade(directory=current_app.extensions["migrate"].directory)
    click.echo("database is up to date")


@click.command()
@with_appcontext
def seed() -> None:
    """Create the demo data (branch, integration, staff, customer, template, contract) once."""
    login = demo_data.seed()
    click.echo(f"login do painel: {login.email} / {login.password}")


@click.command()
@click.option("--guia", "guide", is_flag=True, help="Print a pt-BR guide (panel, login, links, API token) instead.")
@with_appcontext
def demo(guide: bool) -> None:
    """Print the demo envelope, a fresh link per signer and a fresh API token, as JSON lines (or --guia: pt-BR)."""
    lines, token = demo_data.demo_links(), demo_data.demo_api_token()
    if guide:
        click.echo(demo_data.guide(demo_data.seed(), lines, token, current_app.config["PUBLIC_URL"]))
        return
    for line in lines:
        click.echo(json.dumps(line, ensure_ascii=False))
    click.echo(json.dumps({"api_token": token}))


@click.command()
@click.argument("pdf", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as one JSON object (for machines).")
@with_appcontext
def verify(pdf: Path, as_json: bool) -> None:
    """Exit 0 if PDF is an unaltered document sealed by this instance; non-zero with the reason otherwise."""
    result = verification.verify_pdf(pdf.read_bytes())
    if as_json:
        envelope = result.envelope
        click.echo(json.dumps({
            "ok": result.ok, "reason": result.reason, "seal": result.check.as_json() if result.check else None,
            "envelope": {"code": envelope.public_code, "title": envelope.title,
                         "signers": [{"role": s.role.value, "name": s.name,
                                      "signed_at": s.signed_at.isoformat() if s.signed_at else None}
                                     for s in envelope.signers]} if envelope else None,
        }, ensure_ascii=False))
        sys.exit(0 if result.ok else 1)
    click.echo(result.reason)
    if not result.ok:
        sys.exit(1)
    envelope = result.envelope
    click.echo(f"envelope: {envelope.public_code} — {envelope.title}")
    check = result.check
    when = f"{check.signed_at:%Y-%m-%d %H:%M:%S} UTC" if check.signed_at else "—"
    click.echo(f"selado em: {when} por {check.signer_common_name} ({check.level})")
    for signer in envelope.signers:
        when = signer.signed_at.strftime("%Y-%m-%d %H:%M:%S UTC") if signer.signed_at else "—"
        click.echo(f"  {signer.role.label}: {signer.name} — assinou em {when}")


@click.command("audit-verify")
@with_appcontext
def audit_verify() -> None:
    """Check every envelope's event hash chain; exit 1 naming the broken ones."""
    broken = 0
    envelopes = db.session.execute(select(Envelope.id, Envelope.public_code).order_by(Envelope.id)).all()
    for envelope_id, code in envelopes:
        problem = audit.verify_chain(envelope_id)
        if problem:
            broken += 1
            click.echo(f"{code}: {problem}")
    click.echo(f"{len(envelopes)} envelope(s) checked, {broken} broken chain(s)")
    if broken:
        sys.exit(1)


@click.command("lta-refresh")
@click.option("--margin-days", type=int, default=None, help="Refresh when the last timestamp's certificate "
              "expires within this many days (default: LTA_REFRESH_MARGIN_DAYS).")
@with_appcontext
def lta_refresh_command(margin_days: int | None) -> None:
    """Add a new document timestamp, with fresh validation data, to sealed PDFs whose last one expires soon."""
    done = lta_refresh.refresh_due(margin_days=margin_days)
    for line in done.lines:
        click.echo(line)
    click.echo(f"{done.refreshed} document(s) re-timestamped, {done.failed} failure(s)")
    if done.failed:
        sys.exit(1)
