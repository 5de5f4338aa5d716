"""Contracts and their terms: validated saves and the trigger that opens and sends an envelope.

Each function changes the session and flushes; the caller commits once with `outbox.commit()`, so a
signing link is only queued for a change that really committed.
"""
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from firma.br.money import parse_money
from firma.delivery import deliveries
from firma.envelopes import create
from firma.evidence.audit import SYSTEM, RequestInfo
from firma.extensions import db
from firma.models import (
    Branch, Contact, Contract, Customer, DocumentTemplate, Envelope, IdentityCheckPolicy, Settings, Term, User,
)
from firma.org import staff
from firma.platform.errors import Refusal


@dataclass
class Saved:
    """A saved record and the envelope its save opened and sent, if any."""

    record: object
    envelope: Envelope | None = None


def _price(value) -> Decimal:
    try:
        price = parse_money(value)
    except InvalidOperation:
        raise Refusal("Valor inválido: use por exemplo 99,90.", "price") from None
    if price < 0:
        raise Refusal("O valor não pode ser negativo.", "price")
    return price.quantize(Decimal("0.01"))


def new_contract_defaults() -> dict:
    """Field defaults of a new contract, from the general parameters."""
    return {"use_digital_signature": Settings.get().digital_signature_default, "activate_on_signature": True,
            "require_selfie": "default", "require_document_photo": "default",
            "identity_policy": "default", "due_day": 10, "loyalty_months": 12}


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


def check_may_send(by: User | None, what: str, field: str) -> None:
    """A staff user needs the "send" permission for a save that sends `what` (the API and the system may)."""
    if by is not None:
        staff.check(by, "send", Refusal(f"Você não tem permissão para enviar {what} para assinatura.", field))


def open_and_send(create, record, *, by: User | None = None, info: RequestInfo = SYSTEM) -> Envelope:
    """Open the record's envelope with `create` (an envelopes.create_for_* function) and queue its links."""
    envelope = create(record, by=by, info=info)
    deliveries.send_links(envelope, by=by)
    return envelope


def send_contract(contract: Contract, *, by: User | None = None, info: RequestInfo = SYSTEM) -> Envelope:
    """Open the contract's envelope and queue its signing links."""
    return open_and_send(create.create_for_contract, contract, by=by, info=info)


@contextmanager
def refusal_named(what: str):
    """Turn an envelope refusal into a Refusal that says what was not sent, and why."""
    try:
        yield
    except Refusal as exc:
        raise Refusal(f"{what} para assinatura: {exc}") from None


def save_contract(contract: Contract | None, data: dict, *, by: User | None = None,
                  info: RequestInfo = SYSTEM) -> Saved:
    """Create or update a contract; sends its signing link once when the integration says so."""
    customer = db.session.get(Customer, data.get("customer_id") or 0)
    if customer is None:
        raise Refusal("Escolha o cliente.", "customer_id")
    branch = db.session.get(Branch, data.get("branch_id") or 0)
    if branch is None:
        raise Refusal("Escolha a filial.", "branch_id")
    template = db.session.get(DocumentTemplate, data.get("template_id") or 0)
    if template is None or template.kind != "contract":
        raise Refusal("Escolha um modelo de contrato.", "template_id")
    number = (data.get("number") or "").strip()
    if not number:
        raise Refusal("Informe o número do contrato.", "number")
    other = db.session.scalar(select(Contract).where(Contract.number == number))
    if other is not None and other is not contract:
        raise Refusal("Já existe um contrato com este número.", "number")
    witness = db.session.get(Contact, data["witness_contact_id"]) if data.get("witness_contact_id") else None
    for key in ("require_selfie", "require_document_photo"):
        if data.get(key, "default") not in ("default", "yes", "no"):
            raise Refusal("Opção inválida.", key)
    if data.get("identity_policy", "default") not in ("default", *IdentityCheckPolicy):
        raise Refusal("Política de verificação de identidade inválida.", "identity_policy")
    if not 1 <= int(data.get("due_day") or 10) <= 31:
        raise Refusal("Dia de vencimento entre 1 e 31.", "due_day")
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
    if "identity_policy" in data:  # an API body or form without the field keeps the contract's choice
        contract.identity_policy = data["identity_policy"] or "default"
    contract.witness = witness
    db.session.flush()
    envelope = None
    if should_send(contract):
        check_may_send(by, "contratos", "use_digital_signature")
        with refusal_named("Contrato não enviado"):
            envelope = send_contract(contract, by=by, info=info)
    return Saved(contract, envelope)


def add_term(contract: Contract, template: DocumentTemplate | None, *, signed: bool, by: User | None = None,
             info: RequestInfo = SYSTEM) -> Saved:
    """Attach a term to a contract; an unsigned term gets its own envelope and link right away."""
    if template is None or template.kind != "term":
        raise Refusal("Escolha um modelo de termo.", "template_id")
    term = Term(contract=contract, template=template, signed=signed)
    db.session.add(term)
    db.session.flush()
    if signed:
        return Saved(term)
    check_may_send(by, "termos", "signed")
    with refusal_named("Termo não enviado"):
        envelope = open_and_send(create.create_for_term, term, by=by, info=info)
    return Saved(term, envelope)
