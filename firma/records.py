"""Saving the ISP's records (customers, contacts, contracts, terms, subjects, service orders) and the send triggers.

Each function changes the session and flushes; the caller commits once with `outbox.commit()`, so a
signing link is only queued for a change that really committed.
"""
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from . import delivery, envelopes
from .audit import SYSTEM, RequestInfo
from .extensions import db
from .models import (
    Branch, Contact, Contract, Customer, DocumentTemplate, Envelope, ServiceOrder, Settings, Subject, Term, User,
)
from .validators import digits, normalise_cpf, normalise_cpf_cnpj, normalise_email, normalise_phone

CUSTOMER_FIELDS = ("name", "rg", "street", "number", "complement", "district", "city", "state")


class RecordError(ValueError):
    """A record that cannot be saved; `field` names the form field the pt-BR message belongs to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class Saved:
    """A saved record and the envelope its save opened and sent, if any."""

    record: object
    envelope: Envelope | None = None


def clean_field(name: str, value: str) -> str:
    """One customer/contact field normalised, or RecordError with a pt-BR message (used by inline validation)."""
    value = (value or "").strip()
    try:
        if name == "cpf_cnpj":
            return normalise_cpf_cnpj(value)
        if name == "cpf":
            return normalise_cpf(value) if value else ""
        if name == "email":
            return normalise_email(value) if value else ""
        if name == "phone":
            return normalise_phone(value) if value else ""
        if name == "zip_code":
            if value and len(digits(value)) != 8:
                raise ValueError("CEP inválido: informe os 8 dígitos.")
            return digits(value)
        if name == "state":
            if value and len(value) != 2:
                raise ValueError("UF inválida: use a sigla, ex. SP.")
            return value.upper()
    except ValueError as exc:
        raise RecordError(str(exc), name) from None
    return value


def save_customer(customer: Customer | None, data: dict) -> Customer:
    """Create or update a customer after validating CPF/CNPJ, e-mail, phone, CEP and UF."""
    if not (data.get("name") or "").strip():
        raise RecordError("Informe o nome do cliente.", "name")
    cpf_cnpj = clean_field("cpf_cnpj", data.get("cpf_cnpj", ""))
    other = db.session.scalar(select(Customer).where(Customer.cpf_cnpj == cpf_cnpj))
    if other is not None and other is not customer:
        raise RecordError("Já existe um cliente com este CPF/CNPJ.", "cpf_cnpj")
    cleaned = {name: clean_field(name, data.get(name, "")) for name in ("email", "phone", "zip_code", "state")}
    if customer is None:
        customer = Customer(cpf_cnpj=cpf_cnpj, name="")
        db.session.add(customer)
    customer.cpf_cnpj = cpf_cnpj
    customer.email, customer.phone = cleaned["email"] or None, cleaned["phone"] or None
    customer.zip_code, customer.state = cleaned["zip_code"], cleaned["state"]
    for name in CUSTOMER_FIELDS:
        if name != "state":
            setattr(customer, name, (data.get(name) or "").strip())
    customer.birth_date = data.get("birth_date")
    db.session.flush()
    return customer


def save_contact(contact: Contact | None, data: dict) -> Contact:
    """Create or update a lead/contact usable as a client's witness: a phone or an e-mail is required."""
    if not (data.get("name") or "").strip():
        raise RecordError("Informe o nome do contato.", "name")
    email, phone = clean_field("email", data.get("email", "")), clean_field("phone", data.get("phone", ""))
    if not (email or phone):
        raise RecordError("Informe um e-mail ou um celular do contato.", "email")
    cpf = clean_field("cpf", data.get("cpf", ""))
    if contact is None:
        contact = Contact(name="")
        db.session.add(contact)
    contact.name, contact.email, contact.phone, contact.cpf = data["name"].strip(), email or None, phone or None, cpf or None
    contact.customer_id = data.get("customer_id") or None
    db.session.flush()
    return contact


def _price(value) -> Decimal:
    try:
        price = Decimal(str(value if value not in (None, "") else "0").replace(",", "."))
    except InvalidOperation:
        raise RecordError("Valor inválido: use por exemplo 99,90.", "price") from None
    if price < 0:
        raise RecordError("O valor não pode ser negativo.", "price")
    return price.quantize(Decimal("0.01"))


def new_contract_defaults() -> dict:
    """Field defaults of a new contract, from the general parameters."""
    return {"use_digital_signature": Settings.get().digital_signature_default, "activate_on_signature": True,
            "require_selfie": "default", "require_document_photo": "default", "due_day": 10, "loyalty_months": 12}


def _has_live_envelope(contract: Contract) -> bool:
    return db.session.scalar(
        select(Envelope.id).where(Envelope.contract_id == contract.id, Envelope.kind == "contract",
                                  Envelope.status.in_(("pending", "completed"))).limit(1)
    ) is not None


def should_send(contract: Contract) -> bool:
    """A contract is sent on save when it uses digital signature, its integration sends on contract save,
    and it has no pending or completed envelope yet (so saving twice sends once)."""
    integration = contract.branch.integration if contract.branch else None
    return bool(contract.use_digital_signature and integration is not None and integration.active
                and integration.send_method == "contract" and contract.status in ("draft", "awaiting_signature")
                and not _has_live_envelope(contract))


def open_and_send(create, record, *, by: User | None = None, info: RequestInfo = SYSTEM) -> Envelope:
    """Open the record's envelope with `create` (an envelopes.create_for_* function) and queue its links."""
    envelope = create(record, by=by, info=info)
    delivery.send_links(envelope, by=by)
    return envelope


def send_contract(contract: Contract, *, by: User | None = None, info: RequestInfo = SYSTEM) -> Envelope:
    """Open the contract's envelope and queue its signing links."""
    return open_and_send(envelopes.create_for_contract, contract, by=by, info=info)


@contextmanager
def refusal_named(what: str):
    """Turn an envelope refusal into a RecordError that says what was not sent, and why."""
    try:
        yield
    except envelopes.EnvelopeError as exc:
        raise RecordError(f"{what} para assinatura: {exc}") from None


def save_contract(contract: Contract | None, data: dict, *, by: User | None = None,
                  info: RequestInfo = SYSTEM) -> Saved:
    """Create or update a contract; sends its signing link once when the integration says so."""
    customer = db.session.get(Customer, data.get("customer_id") or 0)
    if customer is None:
        raise RecordError("Escolha o cliente.", "customer_id")
    branch = db.session.get(Branch, data.get("branch_id") or 0)
    if branch is None:
        raise RecordError("Escolha a filial.", "branch_id")
    template = db.session.get(DocumentTemplate, data.get("template_id") or 0)
    if template is None or template.kind != "contract":
        raise RecordError("Escolha um modelo de contrato.", "template_id")
    number = (data.get("number") or "").strip()
    if not number:
        raise RecordError("Informe o número do contrato.", "number")
    other = db.session.scalar(select(Contract).where(Contract.number == number))
    if other is not None and other is not contract:
        raise RecordError("Já existe um contrato com este número.", "number")
    witness = db.session.get(Contact, data["witness_contact_id"]) if data.get("witness_contact_id") else None
    for key in ("require_selfie", "require_document_photo"):
        if data.get(key, "default") not in ("default", "yes", "no"):
            raise RecordError("Opção inválida.", key)
    if not 1 <= int(data.get("due_day") or 10) <= 31:
        raise RecordError("Dia de vencimento entre 1 e 31.", "due_day")
    if contract is None:
        contract = Contract(number=number)
        db.session.add(contract)
    contract.number, contract.customer, contract.branch, contract.template = number, customer, branch, template
    contract.plan = (data.get("plan") or "").strip()
    contract.price = _price(data.get("price"))
    contract.due_day = int(data.get("due_day") or 10)
    contract.loyalty_months = int(data.get("loyalty_months") or 0)
    contract.installation_address = (data.get("installation_address") or "").strip()
    contract.use_digital_signature = bool(data.get("use_digital_signature"))
    contract.activate_on_signature = bool(data.get("activate_on_signature"))
    contract.require_selfie = data.get("require_selfie", "default")
    contract.require_document_photo = data.get("require_document_photo", "default")
    contract.witness = witness
    db.session.flush()
    envelope = None
    if should_send(contract):
        with refusal_named("Contrato não enviado"):
            envelope = send_contract(contract, by=by, info=info)
    return Saved(contract, envelope)


def add_term(contract: Contract, template: DocumentTemplate | None, *, signed: bool, by: User | None = None,
             info: RequestInfo = SYSTEM) -> Saved:
    """Attach a term to a contract; an unsigned term gets its own envelope and link right away."""
    if template is None or template.kind != "term":
        raise RecordError("Escolha um modelo de termo.", "template_id")
    term = Term(contract=contract, template=template, signed=signed)
    db.session.add(term)
    db.session.flush()
    if signed:
        return Saved(term)
    with refusal_named("Termo não enviado"):
        envelope = open_and_send(envelopes.create_for_term, term, by=by, info=info)
    return Saved(term, envelope)


def save_subject(subject: Subject | None, *, name: str, digital_signature: bool, template_id: int | None) -> Subject:
    """Create or update a service-order subject; a flagged subject needs a service-order template."""
    if not name.strip():
        raise RecordError("Informe o nome do assunto.", "name")
    template = db.session.get(DocumentTemplate, template_id) if template_id else None
    if template is not None and template.kind != "service_order":
        raise RecordError("Escolha um modelo de ordem de serviço.", "template_id")
    if digital_signature and template is None:
        raise RecordError("Assunto com assinatura digital precisa de um modelo de ordem de serviço.", "template_id")
    if subject is None:
        subject = Subject(name="")
        db.session.add(subject)
    subject.name, subject.digital_signature, subject.template = name.strip(), digital_signature, template
    db.session.flush()
    return subject


def create_service_order(data: dict, *, by: User | None = None, info: RequestInfo = SYSTEM) -> Saved:
    """Open a service order; a flagged subject under a "service order" integration sends its signing link."""
    customer = db.session.get(Customer, data.get("customer_id") or 0)
    branch = db.session.get(Branch, data.get("branch_id") or 0)
    subject = db.session.get(Subject, data.get("subject_id") or 0)
    for value, field, message in ((customer, "customer_id", "Escolha o cliente."),
                                  (branch, "branch_id", "Escolha a filial."),
                                  (subject, "subject_id", "Escolha o assunto.")):
        if value is None:
            raise RecordError(message, field)
    number = (data.get("number") or "").strip()
    if not number:
        raise RecordError("Informe o número da ordem de serviço.", "number")
    if db.session.scalar(select(ServiceOrder.id).where(ServiceOrder.number == number)) is not None:
        raise RecordError("Já existe uma ordem de serviço com este número.", "number")
    contract = db.session.get(Contract, data["contract_id"]) if data.get("contract_id") else None
    order = ServiceOrder(number=number, customer=customer, branch=branch, subject=subject, contract=contract,
                         description=(data.get("description") or "").strip())
    db.session.add(order)
    db.session.flush()
    integration = branch.integration
    if not (subject.digital_signature and integration is not None and integration.active
            and integration.send_method == "service_order"):
        return Saved(order)
    with refusal_named("Ordem de serviço não enviada"):
        envelope = open_and_send(envelopes.create_for_service_order, order, by=by, info=info)
    return Saved(order, envelope)
