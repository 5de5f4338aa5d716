"""Contracts: create (sending the envelope when the integration says so), update, read with the latest envelope."""
from flask import g, url_for
from sqlalchemy import select

from firma.extensions import db
from firma.models import Branch, Contract as ContractRow, Envelope as EnvelopeRow
from firma.platform import outbox
from firma.platform.errors import Refusal
from firma.records import contracts

from . import bp
from .auth import require_integration
from .bodies import ContractInput
from .customers import customer_by_document
from .idempotency import idempotent
from .schemas import Contract
from .shared import NotFound, answer, body, info, key


def own_contract(number: str) -> ContractRow:
    """The contract with this number in one of the integration's branches, else 404."""
    contract = db.session.scalar(select(ContractRow).join(Branch).where(
        ContractRow.number == key(number, 30), Branch.integration_id == g.integration.id))
    if contract is None:
        raise NotFound("Contrato não encontrado.")
    return contract


def contract_data(data: ContractInput, contract: ContractRow | None) -> dict:
    """API fields → contracts.save_contract's form fields (customer by CPF/CNPJ, fields left out kept)."""
    merged = Contract.of(contract).model_dump() if contract is not None else contracts.new_contract_defaults()
    given = data.model_dump(exclude_unset=True)
    document_number = given.pop("customer_cpf_cnpj", "") or (contract.customer.cpf_cnpj if contract else "")
    merged.update(given)
    merged["customer_id"] = customer_by_document(document_number).id if document_number else None
    branch = db.session.get(Branch, merged.get("branch_id") or 0)
    if branch is None or branch.integration_id != g.integration.id:
        raise Refusal("Filial não encontrada nesta integração.", "branch_id")
    if contract is not None and contract.witness is not None:
        merged.setdefault("witness_contact_id", contract.witness_contact_id)
    return merged


@bp.post("/contracts")
@require_integration
@idempotent
def create_contract():
    """Create a contract; the answer carries the envelope its save opened, if any."""
    saved = contracts.save_contract(None, contract_data(body(ContractInput), None), info=info())
    outbox.commit()
    return answer(Contract.of(saved.record, saved.envelope), status=201,
                  location=url_for("api.get_contract", number=saved.record.number))


@bp.patch("/contracts/<number>")
@require_integration
def update_contract(number: str):
    """Change the fields sent; the others keep their value."""
    contract = own_contract(number)
    saved = contracts.save_contract(contract, contract_data(body(ContractInput), contract), info=info())
    outbox.commit()
    return answer(Contract.of(saved.record, saved.envelope))


@bp.get("/contracts/<number>")
@require_integration
def get_contract(number: str):
    """The contract with its latest envelope."""
    contract = own_contract(number)
    envelope = db.session.scalar(select(EnvelopeRow).where(EnvelopeRow.contract_id == contract.id)
                                 .order_by(EnvelopeRow.id.desc()).limit(1))
    return answer(Contract.of(contract, envelope))
