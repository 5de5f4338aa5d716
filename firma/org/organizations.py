"""Organizations (providers): created by a platform operator with a first admin and integration; plan limits."""
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from firma.br.dates import LOCAL_TZ
from firma.br.identifiers import normalise_cnpj
from firma.extensions import db
from firma.models import Envelope, Integration, Organization, Settings, StaffRole, User, utcnow
from firma.org import api_tokens, staff
from firma.platform import tenancy
from firma.platform.errors import Refusal, normalised


@dataclass
class NewOrganization:
    """A created organization with its first admin's credentials and its first integration's API token (once)."""

    organization: Organization
    admin_email: str
    admin_password: str
    integration: Integration
    api_token: str

    def as_json(self) -> dict:
        """What `firma org create` prints."""
        return {"organization_id": self.organization.id, "name": self.organization.name,
                "cnpj": self.organization.cnpj, "admin_email": self.admin_email,
                "admin_password": self.admin_password, "integration_id": self.integration.id,
                "api_token": self.api_token}


def create_organization(name: str, cnpj: str, *, admin_email: str | None = None, admin_name: str = "",
                        max_envelopes_per_month: int | None = None,
                        max_integrations: int | None = None) -> NewOrganization:
    """Create an organization, its settings, a first admin (random password) and a first integration."""
    name = (name or "").strip()
    if not name or len(name) > 160:
        raise Refusal("Informe a razão social do provedor (até 160 caracteres).", "name")
    cnpj = normalised(normalise_cnpj, cnpj, "cnpj")
    if db.session.scalar(select(Organization.id).where(Organization.cnpj == cnpj)) is not None:
        raise Refusal("Já existe um provedor com este CNPJ.", "cnpj")
    for key, value in (("max_envelopes_per_month", max_envelopes_per_month), ("max_integrations", max_integrations)):
        if value is not None and not (isinstance(value, int) and 0 <= value <= 10_000_000):
            raise Refusal("Limite inválido (um número inteiro, vazio para ilimitado).", key)
    organization = Organization(name=name, cnpj=cnpj, max_envelopes_per_month=max_envelopes_per_month,
                                max_integrations=max_integrations)
    db.session.add(organization)
    db.session.flush()
    password = secrets.token_urlsafe(12)
    with tenancy.scoped(organization.id):
        db.session.add(Settings(organization_id=organization.id, company_name=name[:120]))
        if admin_email:
            admin = staff.save_user(None, name=admin_name or "Administrador", email=admin_email,
                                    role=StaffRole.ADMIN, extra_permissions=[], password=password)
        else:  # a generated sign-in name on the reserved .local domain, like the demo's (no mail goes there)
            admin = User(name=admin_name or "Administrador", email=f"admin.{cnpj.lower()}@firma.local",
                         role=StaffRole.ADMIN, password_hash="")
            staff.set_password(admin, password)
            db.session.add(admin)
        integration = Integration(organization_id=organization.id, description=f"Integração — {name}"[:120])
        db.session.add(integration)
        db.session.flush()
        token = api_tokens.rotate_token(integration)
    return NewOrganization(organization, admin.email, password, integration, token)


def list_organizations() -> list[Organization]:
    """Every organization, oldest first (the operator's view; Organization itself is not scoped)."""
    return list(db.session.scalars(select(Organization).order_by(Organization.id)))


def counts(organization: Organization) -> dict[str, int]:
    """What an organization holds, for the operator's list: users, integrations, envelopes."""
    def count(model) -> int:
        return db.session.scalar(select(func.count()).select_from(model)
                                 .where(model.organization_id == organization.id)) or 0
    return {"users": count(User), "integrations": count(Integration), "envelopes": count(Envelope)}


def month_start(now: datetime) -> datetime:
    """The start of `now`'s calendar month in the local time zone (plan limits count local months)."""
    return now.astimezone(LOCAL_TZ).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def check_envelope_quota(organization_id: int, now: datetime | None = None) -> None:
    """Refuse a new envelope when the organization's plan allows no more this month."""
    organization = db.session.get(Organization, organization_id)
    limit = organization.max_envelopes_per_month if organization else None
    if limit is None:
        return
    used = db.session.scalar(select(func.count(Envelope.id)).where(
        Envelope.organization_id == organization_id, Envelope.created_at >= month_start(now or utcnow())))
    if used >= limit:
        raise Refusal(f"O plano do provedor permite {limit} envio(s) para assinatura por mês, e o limite deste mês "
                      "foi atingido. Fale com o suporte para ampliar o plano.")


def check_integration_quota(organization_id: int | None) -> None:
    """Refuse a new integration beyond the organization's plan."""
    organization = db.session.get(Organization, organization_id) if organization_id else None
    limit = organization.max_integrations if organization else None
    if limit is None:
        return
    used = db.session.scalar(select(func.count(Integration.id)).where(Integration.organization_id == organization_id))
    if used >= limit:
        raise Refusal(f"O plano do provedor permite até {limit} integração(ões). Fale com o suporte para ampliar.",
                      "description")
