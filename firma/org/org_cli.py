"""`firma org`: the platform operator's commands (create and list organizations, grant the operator role)."""
import json
import sys

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from firma.extensions import db
from firma.models import User
from firma.org import organizations
from firma.platform.errors import Refusal
from firma.platform.outbox import commit

org = AppGroup("org", help="Provedores (organizações): criar, listar, conceder o papel de operador.")


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
