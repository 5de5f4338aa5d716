"""Routes of the REST API: load (404, scoped to the token's integration) → call one service → JSON."""
import base64
import binascii
import json

from flask import Response, g, jsonify, request, url_for
from sqlalchemy import select

from firma.br.identifiers import compact
from firma.delivery import deliveries
from firma.documents import contexts, sandbox
from firma.envelopes import batches, create, lifecycle, links, sync
from firma.evidence.audit import RequestInfo
from firma.extensions import db
from firma.models import (
    Batch, Branch, Contract, Customer, DocumentTemplate, Envelope, ServiceOrder, Signer, Term, utcnow,
)
from firma.platform import outbox, storage
from firma.platform.errors import Refusal, problem
from firma.records import contracts, customers
from firma.sealing.assemble import read_attachment

from . import bp, schemas
from .auth import require_integration
from .idempotency import idempotent
from .openapi import document
from .pagination import page

class NotFound(LookupError):
    pass


@bp.errorhandler(Refusal)
def refused(exc: Refusal):
    """A domain refusal (422): the request was understood but cannot be carried out."""
    db.session.rollback()
    extra = {"field": exc.field} if exc.field else {}
    return problem(422, exc.message, title="Não foi possível concluir", **extra)


@bp.errorhandler(NotFound)
def not_found(exc):
    return problem(404, str(exc) or "Recurso não encontrado.")


def info() -> RequestInfo:
    return RequestInfo(ip=request.remote_addr, user_agent=f"API: {request.headers.get('User-Agent', '')}"[:300])


def body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Refusal("Envie um objeto JSON no corpo do pedido.")
    return data


def created(payload: dict, location: str | None = None, status: int = 201) -> Response:
    response = jsonify(payload)
    response.status_code = status
    if location:
        response.headers["Location"] = location
    return response


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())


# --- customers ----------------------------------------------------------------------------------------

def customer_by_document(cpf_cnpj: str) -> Customer:
    customer = db.session.scalar(select(Customer).where(Customer.cpf_cnpj == compact(cpf_cnpj)))
    if customer is None:
        raise NotFound("Cliente não encontrado.")
    return customer


@bp.get("/customers")
@require_integration
def list_customers():
    query = select(Customer)
    if request.args.get("cpf_cnpj"):
        query = query.where(Customer.cpf_cnpj == compact(request.args["cpf_cnpj"]))
    return jsonify(page(query, Customer.id, schemas.customer))


@bp.post("/customers")
@require_integration
@idempotent
def upsert_customer():
    data = body()
    existing = db.session.scalar(select(Customer).where(Customer.cpf_cnpj == compact(data.get("cpf_cnpj", ""))))
    customer = customers.save_customer(existing, data)
    outbox.commit()
    return created(schemas.customer(customer), url_for("api.get_customer", cpf_cnpj=customer.cpf_cnpj),
                   status=200 if existing else 201)


@bp.get("/customers/<cpf_cnpj>")
@require_integration
def get_customer(cpf_cnpj: str):
    return jsonify(schemas.customer(customer_by_document(cpf_cnpj)))


# --- contracts ----------------------------------------------------------------------------------------

def own_contract(number: str) -> Contract:
    contract = db.session.scalar(select(Contract).join(Branch).where(
        Contract.number == number, Branch.integration_id == g.integration.id))
    if contract is None:
        raise NotFound("Contrato não encontrado.")
    return contract


def contract_data(data: dict, contract: Contract | None) -> dict:
    """API fields → contracts.save_contract's form fields (customer by CPF/CNPJ, unchanged fields kept)."""
    merged = schemas.contract(contract) if contract is not None else contracts.new_contract_defaults()
    merged.update({k: v for k, v in data.items() if k != "customer_cpf_cnpj"})
    document_number = data.get("customer_cpf_cnpj") or (contract.customer.cpf_cnpj if contract else "")
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
    data = body()
    saved = contracts.save_contract(None, contract_data(data, None), info=info())
    outbox.commit()
    payload = schemas.contract(saved.record)
    payload["envelope"] = schemas.envelope(saved.envelope) if saved.envelope else None
    return created(payload, url_for("api.get_contract", number=saved.record.number))


@bp.patch("/contracts/<number>")
@require_integration
def update_contract(number: str):
    contract = own_contract(number)
    saved = contracts.save_contract(contract, contract_data(body(), contract), info=info())
    outbox.commit()
    payload = schemas.contract(saved.record)
    payload["envelope"] = schemas.envelope(saved.envelope) if saved.envelope else None
    return jsonify(payload)


@bp.get("/contracts/<number>")
@require_integration
def get_contract(number: str):
    contract = own_contract(number)
    payload = schemas.contract(contract)
    envelope = db.session.scalar(select(Envelope).where(Envelope.contract_id == contract.id)
                                 .order_by(Envelope.id.desc()).limit(1))
    payload["envelope"] = schemas.envelope(envelope) if envelope else None
    return jsonify(payload)


# --- templates ----------------------------------------------------------------------------------------

@bp.get("/templates")
@require_integration
def list_templates():
    query = select(DocumentTemplate).where(DocumentTemplate.active.is_(True))
    if request.args.get("kind"):
        query = query.where(DocumentTemplate.kind == request.args["kind"])
    return jsonify(page(query, DocumentTemplate.id, schemas.template))


@bp.post("/templates/<int:template_id>/preview")
@require_integration
@idempotent
def preview_template(template_id: int):
    template = db.session.get(DocumentTemplate, template_id)
    if template is None or template.current is None:
        raise NotFound("Modelo não encontrado.")
    data = request.get_json(silent=True) or {}
    if data.get("contract_number"):
        context = contexts.contract_context(own_contract(data["contract_number"]), utcnow())
    else:
        context = contexts.sample_context(template.kind)
    html = sandbox.render_body(template.current.body, context)
    return jsonify({"template_id": template.id, "version": template.current.number, "html": html})


# --- envelopes ----------------------------------------------------------------------------------------

def own_envelope(code: str) -> Envelope:
    envelope = db.session.scalar(select(Envelope).where(Envelope.public_code == code,
                                                        Envelope.integration_id == g.integration.id))
    if envelope is None:
        raise NotFound("Envelope não encontrado.")
    return envelope


def upload_request() -> tuple[dict, bytes]:
    """JSON with `pdf_base64`, or multipart with a `pdf` file and a `data` JSON field."""
    if request.mimetype == "multipart/form-data":
        try:
            data = json.loads(request.form.get("data") or "{}")
        except ValueError:
            raise Refusal("O campo data deve conter JSON.") from None
        upload = request.files.get("pdf")
        pdf = upload.read() if upload else b""
    else:
        data = body()
        try:
            pdf = base64.b64decode(data.get("pdf_base64") or "", validate=True)
        except (binascii.Error, ValueError):
            raise Refusal("pdf_base64 não é base64 válido.", "pdf_base64") from None
    if not pdf:
        raise Refusal("Envie o PDF (pdf_base64 ou arquivo pdf).", "pdf")
    return data, pdf


def signer_specs(items) -> list[create.SignerSpec]:
    if not isinstance(items, list):
        raise Refusal("signers deve ser uma lista.", "signers")
    specs = []
    for item in items:
        if not isinstance(item, dict) or not item.get("name"):
            raise Refusal("Cada signatário precisa de nome.", "signers")
        specs.append(create.SignerSpec(
            role=item.get("role", "client"), name=item["name"], cpf=compact(item.get("cpf")) or None,
            email=item.get("email"), phone=item.get("phone"), channel=item.get("channel"),
            require_document_photo=bool(item.get("require_document_photo")),
            require_selfie=bool(item.get("require_selfie")),
            require_geolocation=bool(item.get("require_geolocation"))))
    return specs


def open_envelope(data: dict, pdf: bytes | None) -> Envelope:
    source = data.get("source") or ("upload" if pdf is not None else "contract")
    if source == "contract":
        return create.create_for_contract(own_contract(data.get("contract_number", "")), info=info())
    if source == "term":
        term = db.session.get(Term, data.get("term_id") or 0)
        if term is None or term.contract.branch.integration_id != g.integration.id:
            raise NotFound("Termo não encontrado.")
        return create.create_for_term(term, info=info())
    if source == "service_order":
        order = db.session.scalar(select(ServiceOrder).where(ServiceOrder.number == data.get("service_order_number")))
        if order is None or order.branch.integration_id != g.integration.id:
            raise NotFound("Ordem de serviço não encontrada.")
        return create.create_for_service_order(order, info=info())
    if source == "upload":
        branch = db.session.get(Branch, data.get("branch_id") or 0)
        if branch is None or branch.integration_id != g.integration.id:
            raise Refusal("Filial não encontrada nesta integração.", "branch_id")
        return create.create_for_upload(pdf, title=(data.get("title") or "Documento")[:200], branch=branch,
                                           signers=signer_specs(data.get("signers") or []), info=info())
    raise Refusal("source deve ser contract, term, service_order ou upload.", "source")


@bp.post("/envelopes")
@require_integration
@idempotent
def create_envelope():
    is_upload = request.mimetype == "multipart/form-data" or "pdf_base64" in (request.get_json(silent=True) or {})
    data, pdf = upload_request() if is_upload else (body(), None)
    envelope = open_envelope(data, pdf)
    if data.get("send", True):
        deliveries.send_links(envelope)
    outbox.commit()
    return created(schemas.envelope(envelope), url_for("api.get_envelope", code=envelope.public_code))


@bp.get("/envelopes")
@require_integration
def list_envelopes():
    query = select(Envelope).where(Envelope.integration_id == g.integration.id)
    if request.args.get("status"):
        query = query.where(Envelope.status == request.args["status"])
    if request.args.get("contract_number"):
        query = query.join(Contract, Contract.id == Envelope.contract_id).where(
            Contract.number == request.args["contract_number"])
    return jsonify(page(query, Envelope.id, lambda e: schemas.envelope(e, signers=False)))


@bp.get("/envelopes/<code>")
@require_integration
def get_envelope(code: str):
    return jsonify(schemas.envelope(own_envelope(code)))


@bp.post("/envelopes/<code>/cancel")
@require_integration
@idempotent
def cancel_envelope(code: str):
    envelope = own_envelope(code)
    lifecycle.cancel(envelope, reason=str(body().get("reason") or ""), info=info())
    outbox.commit()
    return jsonify(schemas.envelope(envelope))


def own_signer(envelope: Envelope, signer_id: int) -> Signer:
    signer = next((s for s in envelope.signers if s.id == signer_id), None)
    if signer is None:
        raise NotFound("Signatário não encontrado neste envelope.")
    return signer


@bp.post("/envelopes/<code>/resend")
@require_integration
@idempotent
def resend(code: str):
    envelope = own_envelope(code)
    data = request.get_json(silent=True) or {}
    if data.get("signer_id"):
        targets = [own_signer(envelope, int(data["signer_id"]))]
    else:
        targets = [s for s in envelope.signers if not s.is_done and s.channel in deliveries.MESSAGE_CHANNELS]
    rows = [deliveries.send_link(s, channel=data.get("channel"), purpose="resend") for s in targets]
    outbox.commit()
    return created({"deliveries": [{"id": r.id, "signer_id": r.signer_id, "channel": r.channel,
                                    "status": r.status} for r in rows]}, status=202)


@bp.patch("/envelopes/<code>/signers/<int:signer_id>")
@require_integration
def update_signer(code: str, signer_id: int):
    envelope = own_envelope(code)
    signer = own_signer(envelope, signer_id)
    data = body()
    lifecycle.update_contact(signer, email=data.get("email", signer.email), phone=data.get("phone", signer.phone),
                             channel=data.get("channel"), info=info())
    if data.get("resend", True):
        deliveries.send_link(signer, purpose="resend")
    outbox.commit()
    return jsonify(schemas.signer(signer))


@bp.post("/envelopes/<code>/sync")
@require_integration
@idempotent
def sync_envelope(code: str):
    envelope = own_envelope(code)
    report = sync.sync_envelope(envelope)
    return jsonify({"envelope": schemas.envelope(envelope), "actions": report.actions,
                    "pending_signer_ids": [s.id for s in report.pending], "message": report.message})


@bp.get("/envelopes/<code>/documents/<document>")
@require_integration
def envelope_document(code: str, document: str):
    envelope = own_envelope(code)
    if document == "original":
        return pdf_response(storage.read(envelope.original_path), f"{envelope.public_code}-original.pdf")
    if not envelope.final_path:
        return problem(409, "O documento final fica disponível quando todos assinarem.", title="Ainda pendente")
    final = storage.read(envelope.final_path)
    if document == "final":
        return pdf_response(final, f"{envelope.public_code}.pdf")
    if document == "manifest":
        return Response(read_attachment(final, "evidence.json"), mimetype="application/json")
    raise NotFound("Documento desconhecido: use original, final ou manifest.")


def pdf_response(data: bytes, name: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- batches ------------------------------------------------------------------------------------------

@bp.post("/batches")
@require_integration
@idempotent
def create_batch():
    data = body()
    numbers = data.get("contract_numbers") or []
    contracts = [own_contract(str(n)) for n in numbers]
    batch = batches.start(str(data.get("action") or ""), [c.id for c in contracts], params=data.get("params") or {},
                          integration=g.integration)
    outbox.commit()
    return created(schemas.batch(batch), url_for("api.get_batch", batch_id=batch.id), status=202)


@bp.get("/batches/<int:batch_id>")
@require_integration
def get_batch(batch_id: int):
    batch = db.session.get(Batch, batch_id)
    if batch is None or batch.integration_id != g.integration.id:
        raise NotFound("Lote não encontrado.")
    return jsonify(schemas.batch(batch))


# --- subscriber portal ("Central do Assinante") -----------------------------------------------------------

@bp.get("/portal/customers/<cpf_cnpj>/documents")
@require_integration
def portal_documents(cpf_cnpj: str):
    """Pending documents with a fresh embed link for the client, and signed ones with their download."""
    document_number = compact(cpf_cnpj)
    signers = db.session.scalars(select(Signer).join(Envelope).where(
        Signer.cpf == document_number, Signer.role == "client", Envelope.integration_id == g.integration.id,
        Envelope.status.in_(("pending", "completed"))).order_by(Envelope.id.desc())).all()
    pending, signed = [], []
    for signer in signers:
        envelope = signer.envelope
        item = {"public_code": envelope.public_code, "title": envelope.title, "status": envelope.status,
                "created_at": schemas.when(envelope.created_at)}
        if envelope.status == "pending" and not signer.is_done:
            item["embed_url"] = links.signing_url(links.issue(signer), embed=True)
            item["expires_at"] = schemas.when(envelope.expires_at)
            pending.append(item)
        elif envelope.status == "completed":
            item["download_url"] = schemas.envelope_url(envelope, "final")
            item["completed_at"] = schemas.when(envelope.completed_at)
            signed.append(item)
    outbox.commit()
    return jsonify({"cpf_cnpj": document_number, "pending": pending, "signed": signed})
