"""Customers and contacts (a client's witnesses), validated field by field."""

from sqlalchemy import select

from firma.br.cep import normalise_cep
from firma.br.emails import normalise_email
from firma.br.identifiers import normalise_cpf, normalise_cpf_cnpj
from firma.br.phones import normalise_phone
from firma.extensions import db
from firma.models import Contact, Customer
from firma.platform.errors import Refusal

CUSTOMER_FIELDS = ("name", "rg", "street", "number", "complement", "district", "city", "state")


def clean_field(name: str, value: str) -> str:
    """One customer/contact field normalised, or Refusal with a pt-BR message (used by inline validation)."""
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
            return normalise_cep(value)
        if name == "state":
            if value and len(value) != 2:
                raise Refusal("UF inválida: use a sigla, ex. SP.")
            return value.upper()
    except Refusal as exc:
        raise Refusal(exc.message, name) from None
    return value


def save_customer(customer: Customer | None, data: dict) -> Customer:
    """Create or update a customer after validating CPF/CNPJ, e-mail, phone, CEP and UF."""
    if not (data.get("name") or "").strip():
        raise Refusal("Informe o nome do cliente.", "name")
    cpf_cnpj = clean_field("cpf_cnpj", data.get("cpf_cnpj", ""))
    other = db.session.scalar(select(Customer).where(Customer.cpf_cnpj == cpf_cnpj))
    if other is not None and other is not customer:
        raise Refusal("Já existe um cliente com este CPF/CNPJ.", "cpf_cnpj")
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
        raise Refusal("Informe o nome do contato.", "name")
    email, phone = clean_field("email", data.get("email", "")), clean_field("phone", data.get("phone", ""))
    if not (email or phone):
        raise Refusal("Informe um e-mail ou um celular do contato.", "email")
    cpf = clean_field("cpf", data.get("cpf", ""))
    if contact is None:
        contact = Contact(name="")
        db.session.add(contact)
    contact.name, contact.email, contact.phone, contact.cpf = data["name"].strip(), email or None, phone or None, cpf or None
    contact.customer_id = data.get("customer_id") or None
    db.session.flush()
    return contact
