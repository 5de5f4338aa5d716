"""`firma org`: the platform operator's commands (create, list, deactivate and reactivate organizations, grant
the operator role)."""
import getpass
import json
import sys

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from firma.extensions import db
from firma.models import User
from firma.org import deactivation, organizations
from firma.platform.errors import Refusal
from firma.platform.outbox import commit

org = AppGroup("org", help="Provedores (organizações): criar, listar, desativar, reativar, conceder o papel de "
                           "operador.")


@org.command("create")
@click.argument("name")
@click.option("--cnpj", required=True, help="CNPJ do provedor (numérico ou alfanumérico).")
@click.option("--admin-email", default=None, help="E-mail do primeiro administrador.")
@click.option("--max-envelopes", type=int, default=None, help="Limite de envios por mês (vazio: ilimitado).")
@click.option("--max-integrations", type=int, default=None, help="Limite de integrações (vazio: ilimitado).")
def create(name: str, cnpj: str, admin_email: str | None, max_envelopes: int | None,
           max_integrations: int | None) -> None:
    """Create an organization; print one JSON line: its id, first admin's e-mail and password, an API token."""
    try:
        created = organizations.create_organization(name, cnpj, admin_email=admin_email,
                                                    max_envelopes_per_month=max_envelopes,
                                                    max_integrations=max_integrations)
    except Refusal as exc:
        click.echo(f"erro: {exc.message}", err=True)
        sys.exit(2)
    commit()
    click.echo(json.dumps(created.as_json(), ensure_ascii=False))


@org.command("list")
def list_() -> None:
    """Print one JSON line per organization."""
    for row in organizations.list_organizations():
        click.echo(json.dumps({"organization_id": row.id, "name": row.name, "cnpj": row.cnpj, "active": row.active,
                               "max_envelopes_per_month": row.max_envelopes_per_month,
                               "max_integrations": row.max_integrations, **organizations.counts(row)},
                              ensure_ascii=False))


def _who() -> str:
    """Who ran a command, as recorded on the organization (the shell user; the CLI has no signed-in person)."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _status(change, organization_id: int, reason: str | None) -> None:
    try:
        organization = change(organization_id, reason=reason, by=_who())
    except Refusal as exc:
        click.echo(f"erro: {exc.message}", err=True)
        sys.exit(2)
    commit()
    click.echo(json.dumps({"organization_id": organization.id, "name": organization.name,
                           "active": organization.active, "reason": organization.status_reason,
                           "by": organization.status_changed_by,
                           "at": organization.status_changed_at.isoformat(timespec="seconds")}, ensure_ascii=False))


@org.command("deactivate")
@click.argument("organization_id", type=int)
@click.option("--reason", required=True, help="Motivo da desativação (fica registrado).")
def deactivate(organization_id: int, reason: str) -> None:
    """Deactivate an organization: its staff, API tokens, signing links and jobs stop until it is reactivated."""
    _status(lambda oid, reason, by: deactivation.deactivate(oid, reason, by=by), organization_id, reason)


@org.command("activate")
@click.argument("organization_id", type=int)
@click.option("--reason", default=None, help="Motivo da reativação (opcional).")
def activate(organization_id: int, reason: str | None) -> None:
    """Reactivate an organization: everything it had resumes."""
    _status(deactivation.activate, organization_id, reason)


@org.command("operator")
@click.argument("email")
@click.option("--revoke", is_flag=True, help="Retirar o papel de operador.")
def operator(email: str, revoke: bool) -> None:
    """Make the staff user with EMAIL a platform operator (or stop being one)."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        click.echo("erro: usuário não encontrado", err=True)
        sys.exit(2)
    user.is_operator = not revoke
    commit()
    click.echo(f"{user.email}: {'operador' if user.is_operator else 'sem papel de operador'}")
