"""Subjects and service orders: a flagged subject makes a new service order send a signing link."""

from sqlalchemy import select

from firma.envelopes import create
from firma.evidence.audit import SYSTEM, RequestInfo
from firma.extensions import db
from firma.models import Branch, Contract, Customer, DocumentTemplate, ServiceOrder, Subject, User
from firma.platform.errors import Refusal
from firma.records.contracts import Saved, check_may_send, open_and_send, refusal_named


def save_subject(subject: Subject | None, *, name: str, digital_signature: bool, template_id: int | None) -> Subject:
    """Create or update a service-order subject; a flagged subject needs a service-order template."""
    if not name.strip():
        raise Refusal("Informe o nome do assunto.", "name")
    template = db.session.get(DocumentTemplate, template_id) if template_id else None
    if template is not None and template.kind != "service_order":
        raise Refusal("Escolha um modelo de ordem de serviço.", "template_id")
    if digital_signature and template is None:
        raise Refusal("Assunto com assinatura digital precisa de um modelo de ordem de serviço.", "template_id")
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
            raise Refusal(message, field)
    number = (data.get("number") or "").strip()
    if not number:
        raise Refusal("Informe o número da ordem de serviço.", "number")
    if db.session.scalar(select(ServiceOrder.id).where(ServiceOrder.number == number)) is not None:
        raise Refusal("Já existe uma ordem de serviço com este número.", "number")
    contract = db.session.get(Contract, data["contract_id"]) if data.get("contract_id") else None
    order = ServiceOrder(number=number, customer=customer, branch=branch, subject=subject, contract=contract,
                         description=(data.get("description") or "").strip())
    db.session.add(order)
    db.session.flush()
    integration = branch.integration
    if not (subject.digital_signature and integration is not None and integration.active
            and integration.send_method == "service_order"):
        return Saved(order)
    check_may_send(by, "documentos", "subject_id")
    with refusal_named("Ordem de serviço não enviada"):
        envelope = open_and_send(create.create_for_service_order, order, by=by, info=info)
    return Saved(order, envelope)
