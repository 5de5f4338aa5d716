"""The `firma` command: Flask's CLI (run, db, shell) plus init, seed, demo, verify, audit-verify and org."""
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
from firma.config import seal_passphrase
from firma.evidence import audit
from firma.org.org_cli import org
from firma.extensions import db
from firma.models import Envelope
from firma.platform import worker_cli
from firma.sealing import certificate, verification


def register(app) -> None:
    """Add Firma's commands to the app's CLI."""
    for command in (init, seed, demo, verify, audit_verify, org):
        app.cli.add_command(command)
    worker_cli.register(app)


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
    upgrade(directory=current_app.extensions["migrate"].directory)
    click.echo("database is up to date")


@click.command()
@with_appcontext
def seed() -> None:
    """Create the demo data (branch, integration, staff, customer, template, contract) once."""
    login = demo_data.seed()
    click.echo(f"admin login: {login.email} / {login.password}")


@click.command()
@with_appcontext
def demo() -> None:
    """Print the demo envelope's code and a fresh signing link per signer, as JSON lines."""
    for line in demo_data.demo_links():
        click.echo(json.dumps(line, ensure_ascii=False))


@click.command()
@click.argument("pdf", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def verify(pdf: Path) -> None:
    """Exit 0 if PDF is an unaltered document sealed by this instance; non-zero with the reason otherwise."""
    result = verification.verify_pdf(pdf.read_bytes())
    click.echo(result.reason)
    if not result.ok:
        sys.exit(1)
    envelope = result.envelope
    click.echo(f"envelope: {envelope.public_code} — {envelope.title}")
    click.echo(f"selado em: {result.check.signed_at:%Y-%m-%d %H:%M:%S} UTC por {result.check.signer_common_name}")
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
