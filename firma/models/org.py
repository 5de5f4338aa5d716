"""The provider (organization) and its own records: staff users, general parameters, integrations and branches."""
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from firma.extensions import db
from firma.models.base import UTCDateTime, coded, created_at
from firma.models.vocabulary import StaffRole
from firma.platform import tenancy
from firma.platform.tenancy import OrgOwned

PERMISSIONS = {
    "send": "Enviar para assinatura",
    "cancel": "Cancelar assinaturas",
    "sync": "Consultar e sincronizar situação",
    "update_contacts": "Atualizar contatos dos signatários",
    "manage_templates": "Gerenciar modelos e termos",
    "manage_integrations": "Gerenciar integrações e parâmetros",
    "manage_users": "Gerenciar usuários",
    "manage_records": "Gerenciar clientes, contratos e ordens de serviço",
    "review_identity": "Revisar verificações de identidade",
}
ROLE_PERMISSIONS = {
    StaffRole.ADMIN: set(PERMISSIONS),
    StaffRole.OPERATOR: {"send", "cancel", "sync", "update_contacts", "manage_records"},
    StaffRole.VIEWER: set(),
}


class Organization(db.Model):
    """Provedor: the tenant that owns everything else; created by a platform operator, with plan limits."""

    __tablename__ = "organizations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    cnpj: Mapped[str | None] = mapped_column(String(14), unique=True)
    max_envelopes_per_month: Mapped[int | None] = mapped_column(Integer)  # None: unlimited
    max_integrations: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The last deactivation or reactivation by a platform operator: when, by whom (e-mail), and why.
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status_changed_by: Mapped[str | None] = mapped_column(String(254))
    status_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = created_at()


class User(OrgOwned, db.Model):
    """A staff member of the ISP; may also sign automatically as representative or witness."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    cpf: Mapped[str | None] = mapped_column(String(11))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[StaffRole] = coded(StaffRole, 20, default=StaffRole.OPERATOR)
    extra_permissions: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_operator: Mapped[bool] = mapped_column(Boolean, default=False)  # a platform operator (creates providers)
    signature_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    api_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    api_token_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bumped by logout, password change and deactivation: every session cookie of an older version stops working.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = created_at()

    def can(self, permission: str) -> bool:
        """Whether the user's role or extra grants include the permission."""
        return self.active and (
            permission in ROLE_PERMISSIONS.get(self.role, set()) or permission in (self.extra_permissions or [])
        )


class Settings(OrgOwned, db.Model):
    """Parâmetros gerais: one row of defaults per organization."""

    __tablename__ = "settings"
    __table_args__ = (UniqueConstraint("organization_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_name: Mapped[str] = mapped_column(String(120), default="Provedor")
    digital_signature_default: Mapped[bool] = mapped_column(Boolean, default=True)

    @classmethod
    def get(cls, organization_id: int | None = None) -> "Settings":
        """The organization's settings row (the current one by default), created with defaults on first use."""
        organization_id = organization_id or tenancy.current()
        if organization_id is None:
            raise RuntimeError("Settings.get() needs an organization")
        row = db.session.scalar(db.select(cls).where(cls.organization_id == organization_id))
        if row is None:
            row = cls(organization_id=organization_id)
            db.session.add(row)
            db.session.flush()
        return row

    @classmethod
    def find(cls, organization_id: int | None, session=None) -> "Settings | None":
        """The organization's settings row if it exists (None outside a session or before the first save)."""
        if session is None or organization_id is None:
            return None
        return session.scalar(db.select(cls).where(cls.organization_id == organization_id))


class Integration(OrgOwned, db.Model):
    """Integração de assinatura digital: how envelopes are sent, what evidence is required, where to report."""

    __tablename__ = "integrations"
    id: Mapped[int] = mapped_column(primary_key=True)
    description: Mapped[str] = mapped_column(String(120))
    integrator: Mapped[str] = mapped_column(String(60), default="Firma")
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_hint: Mapped[str | None] = mapped_column(String(12))
    send_method: Mapped[str] = mapped_column(String(20), default="contract")  # contract | service_order
    require_document_photo: Mapped[bool] = mapped_column(Boolean, default=True)
    require_selfie: Mapped[bool] = mapped_column(Boolean, default=True)
    geolocation: Mapped[str] = mapped_column(String(10), default="optional")  # required | optional
    allow_liveness_fallback: Mapped[bool] = mapped_column(Boolean, default=True)
    identity_policy: Mapped[str] = mapped_column(String(10), default="review")  # an IdentityCheckPolicy
    biometric_refusal: Mapped[str] = mapped_column(String(20), default="decline")  # a BiometricRefusal
    representative_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    witness_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    email_subject_client: Mapped[str] = mapped_column(String(200), default="")
    email_body_client: Mapped[str] = mapped_column(Text, default="")
    email_subject_witness: Mapped[str] = mapped_column(String(200), default="")
    email_body_witness: Mapped[str] = mapped_column(Text, default="")
    whatsapp_template_client: Mapped[str] = mapped_column(String(120), default="")
    whatsapp_text_client: Mapped[str] = mapped_column(Text, default="")
    whatsapp_template_witness: Mapped[str] = mapped_column(String(120), default="")
    whatsapp_text_witness: Mapped[str] = mapped_column(Text, default="")
    whatsapp_provider: Mapped[str] = mapped_column(String(20), default="console")  # console | meta | opa
    whatsapp_settings: Mapped[dict] = mapped_column(JSON, default=dict)
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    webhook_secret: Mapped[str | None] = mapped_column(String(128))
    allowed_origins: Mapped[str] = mapped_column(Text, default="")
    link_lifetime_days: Mapped[int] = mapped_column(Integer, default=15)
    reminder_every_days: Mapped[int] = mapped_column(Integer, default=2)
    reminder_max: Mapped[int] = mapped_column(Integer, default=3)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = created_at()

    representative = relationship("User", foreign_keys=[representative_id])
    witness = relationship("User", foreign_keys=[witness_id])

    @property
    def origins(self) -> list[str]:
        """The origins allowed to embed the signing page in an iframe."""
        return [o.strip().rstrip("/") for o in self.allowed_origins.split() if o.strip()]


class Branch(OrgOwned, db.Model):
    """Filial: the ISP's legal entity shown on every page footer."""

    __tablename__ = "branches"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    cnpj: Mapped[str] = mapped_column(String(14))
    address: Mapped[str] = mapped_column(String(250), default="")
    city: Mapped[str] = mapped_column(String(80), default="")
    state: Mapped[str] = mapped_column(String(2), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    color: Mapped[str] = mapped_column(String(7), default="#0b5cad")
    logo_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Whether there is a logo, without reading it: signing pages ask on every view and load the image apart.
    has_logo: Mapped[bool] = column_property(logo_png.column.is_not(None))
    integration_id: Mapped[int | None] = mapped_column(ForeignKey("integrations.id"))
    created_at: Mapped[datetime] = created_at()

    integration = relationship("Integration")
