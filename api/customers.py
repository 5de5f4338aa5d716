"""Customers: upsert by CPF/CNPJ, list, read."""
from flask import url_for
from sqlalchemy import select

from firma.br.identifiers import compact
from firma.extensions import db
from firma.models import Customer as CustomerRow
from firma.platform import outbox
from firma.records import customers

from . import bp
from .auth import require_integration
from .bodies import CustomerInput, CustomerQuery
from .idempotency import idempotent
from .pagination import page
from .schemas import Customer, CustomerPage
from .shared import NotFound, answer, body, query


def customer_by_document(cpf_cnpj: str) -> CustomerRow:
    """The customer with this CPF/CNPJ (formatting ignored, letters of an alphanumeric CNPJ kept), else 404."""
    customer = db.session.scalar(select(CustomerRow).where(CustomerRow.cpf_cnpj == compact(cpf_cnpj)))
    if customer is None:
        raise NotFound("Cliente não encontrado.")
    return customer


@bp.get("/customers")
@require_integration
def list_customers():
    """Customers page by page, optionally the one with a CPF/CNPJ."""
    params = query(CustomerQuery)
    rows = select(CustomerRow)
    if params.cpf_cnpj:
        rows = rows.where(CustomerRow.cpf_cnpj == compact(params.cpf_cnpj))
    return answer(page(rows, CustomerRow.id, Customer.of, params, CustomerPage))


@bp.post("/customers")
@require_integration
@idempotent
def upsert_customer():
    """Create the customer, or update the one with this CPF/CNPJ (201 or 200)."""
    data = body(CustomerInput)
    existing = db.session.scalar(select(CustomerRow).where(CustomerRow.cpf_cnpj == compact(data.cpf_cnpj)))
    customer = customers.save_customer(existing, data.model_dump())
    outbox.commit()
    return answer(Customer.of(customer), status=200 if existing else 201,
                  location=url_for("api.get_customer", cpf_cnpj=customer.cpf_cnpj))


@bp.get("/customers/<cpf_cnpj>")
@require_integration
def get_customer(cpf_cnpj: str):
    """One customer by CPF/CNPJ."""
    return answer(Customer.of(customer_by_document(cpf_cnpj)))
