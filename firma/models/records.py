"""Customers, contacts, document templates, contracts, terms and service orders."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from firma.extensions import db
from firma.models.base import UTCDateTime, coded, created_at, utcnow
from firma.models.vocabulary import ContractStatus, TemplateKind
from firma.platform.tenancy import OrgOwned

# A contract's requirement switch: yes, no, or the integration's default.
TRISTATE = ("default", "yes", "no")


class Customer(OrgOwned, db.Model):
    """Cliente: the end client who signs; CPF/CNPJ stored compact and upper-case (see br.identifiers)."""

    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("organization_id", "cpf_cnpj"),)  # CPF unique within a provider
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    cpf_cnpj: Mapped[str] = mapped_column(String(14))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    rg: Mapped[str] = mapped_column(String(20), default="")
    birth_date: Mapped[date | None] = mapped_column(Date)
    street: Mapped[str] = mapped_column(String(160), default="")
    number: Mapped[str] = mapped_column(String(20), default="")
    complement: Mapped[str] = mapped_column(String(80), default="")
    district: Mapped[str] = mapped_column(String(80), default="")
    city: Mapped[str] = mapped_column(String(80), default="")
    state: Mapped[str] = mapped_column(String(2), default="")
    zip_code: Mapped[str] = mapped_column(String(8), default="")
    created_at: Mapped[datetime] = created_at()

    @property
    def is_company(self) -> bool:
        """Whether the customer is a company (a CNPJ, not a CPF)."""
        return len(self.cpf_cnpj) == 14


class Contact(OrgOwned, db.Model):
    """Lead/Contato: a person who can witness a client's contract."""

    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    cpf: Mapped[str | None] = mapped_column(String(11))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = created_at()


class DocumentTemplate(OrgOwned, db.Model):
    """Modelo de contrato, termo or ordem de serviço; its body lives in immutable versions."""

    __tablename__ = "document_templates"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[TemplateKind] = coded(TemplateKind, 20, default=TemplateKind.CONTRACT)
    name: Mapped[str] = mapped_column(String(160))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = created_at()

    versions = relationship("TemplateVersion", back_populates="template", order_by="TemplateVersion.number")
    term_links = relationship(
        "TemplateTermLink", foreign_keys="TemplateTermLink.template_id", order_by="TemplateTermLink.position",
        cascade="all, delete-orphan",
    )

    @property
    def current(self) -> "TemplateVersion | None":
        """The template's newest version, or None before the first save (when the versions are not loaded, only
        that one row is read: a template edited a hundred times would load a hundred bodies per document)."""
        session = object_session(self)
        if session is not None and self.id is not None and "versions" in sa_inspect(self).unloaded:
            return session.scalar(select(TemplateVersion).where(TemplateVersion.template_id == self.id)
                                  .order_by(TemplateVersion.number.desc()).limit(1))
        return self.versions[-1] if self.versions else None


class TemplateVersion(OrgOwned, db.Model):
    """One saved body of a template; envelopes point at the exact version they were made from."""

    __tablename__ = "template_versions"
    __table_args__ = (UniqueConstraint("template_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("document_templates.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at()

    template = relationship("DocumentTemplate", back_populates="versions")
    created_by = relationship("User")


class TemplateTermLink(OrgOwned, db.Model):
    """A term linked to a contract template, optionally inserted into the contract automatically."""

    __tablename__ = "template_term_links"
    __table_args__ = (UniqueConstraint("template_id", "term_template_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("document_templates.id"), index=True)
    term_template_id: Mapped[int] = mapped_column(ForeignKey("document_templates.id"))
    insert_automatically: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    term_template = relationship("DocumentTemplate", foreign_keys=[term_template_id])


class Contract(OrgOwned, db.Model):
    """Contrato: a customer's service contract, signed digitally when so configured."""

    __tablename__ = "contracts"
    __table_args__ = (UniqueConstraint("organization_id", "number"),)  # numbers repeat across providers
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("document_templates.id"))
    plan: Mapped[str] = mapped_column(String(120), default="")
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    due_day: Mapped[int] = mapped_column(Integer, default=10)
    loyalty_months: Mapped[int] = mapped_column(Integer, default=12)
    installation_address: Mapped[str] = mapped_column(String(250), default="")
    status: Mapped[ContractStatus] = coded(ContractStatus, 20, default=ContractStatus.DRAFT, index=True)
    use_digital_signature: Mapped[bool] = mapped_column(Boolean, default=True)
    activate_on_signature: Mapped[bool] = mapped_column(Boolean, default=True)
    require_selfie: Mapped[str] = mapped_column(String(7), default="default")
    require_document_photo: Mapped[str] = mapped_column(String(7), default="default")
    identity_policy: Mapped[str] = mapped_column(String(10), default="default")  # default | an IdentityCheckPolicy
    witness_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    customer = relationship("Customer")
    branch = relationship("Branch")
    template = relationship("DocumentTemplate")
    witness = relationship("Contact")
    terms = relationship("Term", back_populates="contract", order_by="Term.id")


class Term(OrgOwned, db.Model):
    """Termo attached to a contract: signed with it, or on its own link when saved unsigned."""

    __tablename__ = "terms"
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("document_templates.id"))
    signed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = created_at()

    contract = relationship("Contract", back_populates="terms")
    template = relationship("DocumentTemplate")


class Subject(OrgOwned, db.Model):
    """Assunto of a service order; flagged ones send a signing link when an order is opened."""

    __tablename__ = "subjects"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    digital_signature: Mapped[bool] = mapped_column(Boolean, default=False)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("document_templates.id"))

    template = relationship("DocumentTemplate")


class ServiceOrder(OrgOwned, db.Model):
    """Ordem de serviço (installation, visit, equipment loan...)."""

    __tablename__ = "service_orders"
    __table_args__ = (UniqueConstraint("organization_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = created_at()

    customer = relationship("Customer")
    branch = relationship("Branch")
    subject = relationship("Subject")
    contract = relationship("Contract")
