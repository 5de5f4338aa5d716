"""Envelopes: open (from a record or an uploaded PDF), list, read, cancel, resend, correct a signer, sync, download."""
import base64
import binascii

from flask import Response, g, request, url_for
from sqlalchemy import select

from firma.br.identifiers import compact
from firma.delivery import deliveries
from firma.envelopes import create, lifecycle, sync
from firma.identity import review
from firma.extensions import db
from firma.models import (
    Branch, Contract as ContractRow, Envelope as EnvelopeRow, ServiceOrder, Signer as SignerRow, Term,
)
from firma.platform import outbox, storage
from firma.platform.storage.serve import send_stored
from firma.platform.errors import Refusal, problem
from firma.sealing.assemble import read_attachment

from . import bp
from .auth import require_integration
from .bodies import CancelInput, EnvelopeInput, EnvelopeQuery, ResendInput, ReviewInput, SignerInput, SignerUpdate
from .contracts import own_contract
from .idempotency import idempotent
from .pagination import page
from .schemas import Deliveries, Delivery, Envelope, EnvelopePage, EnvelopeSummary, Signer, SyncResult
from .shared import NotFound, answer, body, info, key, parse_json, query, row_id


def own_envelope(code: str) -> EnvelopeRow:
    """The integration's envelope with this public code, else 404."""
    envelope = db.session.scalar(select(EnvelopeRow).where(EnvelopeRow.public_code == key(code, 20),
                                                           EnvelopeRow.integration_id == g.integration.id))
    if envelope is None:
        raise NotFound("Envelope não encontrado.")
    return envelope


def own_signer(envelope: EnvelopeRow, signer_id: int) -> SignerRow:
    """One of the envelope's signers, else 404."""
    signer = next((s for s in envelope.signers if s.id == signer_id), None)
    if signer is None:
        raise NotFound("Signatário não encontrado neste envelope.")
    return signer


def envelope_request() -> tuple[EnvelopeInput, bytes | None]:
    """JSON (a PDF as `pdf_base64`), or multipart with a `pdf` file and the JSON fields in `data`."""
    if request.mimetype == "multipart/form-data":
        data = parse_json(EnvelopeInput, request.form.get("data") or "", prefix="data.")
        upload = request.files.get("pdf")
        pdf = upload.read() if upload else b""
        if not pdf:
            raise Refusal("Envie o PDF (pdf_base64 ou arquivo pdf).", "pdf")
        return data, pdf
    data = body(EnvelopeInput)
    if data.pdf_base64 is None:
        return data, None
    try:
        pdf = base64.b64decode(data.pdf_base64, validate=True)
    except (binascii.Error, ValueError):
        raise Refusal("pdf_base64 não é base64 válido.", "pdf_base64") from None
    if not pdf:
        raise Refusal("Envie o PDF (pdf_base64 ou arquivo pdf).", "pdf_base64")
    return data, pdf


def signer_spec(item: SignerInput) -> create.SignerSpec:
    """An API signer as the service's SignerSpec (CPF as digits)."""
    return create.SignerSpec(**item.model_dump(exclude={"cpf"}), cpf=compact(item.cpf) or None)


def own_branch(branch_id: int | None) -> Branch:
    """One of the integration's branches, else a refusal naming branch_id."""
    branch = db.session.get(Branch, branch_id or 0)
    if branch is None or branch.integration_id != g.integration.id:
        raise Refusal("Filial não encontrada nesta integração.", "branch_id")
    return branch


def open_envelope(data: EnvelopeInput, pdf: bytes | None) -> EnvelopeRow:
    """Open the envelope the request's `source` names (a PDF sent means "upload")."""
    source = data.source or ("upload" if pdf is not None else "contract")
    if source == "contract":
        return create.create_for_contract(own_contract(data.contract_number), info=info())
    if source == "term":
        term = db.session.get(Term, data.term_id or 0)
        if term is None or term.contract.branch.integration_id != g.integration.id:
            raise NotFound("Termo não encontrado.")
        return create.create_for_term(term, info=info())
    if source == "service_order":
        order = db.session.scalar(select(ServiceOrder).where(ServiceOrder.number == data.service_order_number))
        if order is None or order.branch.integration_id != g.integration.id:
            raise NotFound("Ordem de serviço não encontrada.")
        return create.create_for_service_order(order, info=info())
    if pdf is None:
        raise Refusal("Envie o PDF (pdf_base64 ou arquivo pdf).", "pdf_base64")
    return create.create_for_upload(pdf, title=data.title or "Documento", branch=own_branch(data.branch_id),
                                    signers=[signer_spec(s) for s in data.signers], info=info())


@bp.post("/envelopes")
@require_integration
@idempotent
def create_envelope():
    """Open an envelope and, unless `send` is false, queue its signing links."""
    data, pdf = envelope_request()
    envelope = open_envelope(data, pdf)
    if data.send:
        deliveries.send_links(envelope)
    outbox.commit()
    return answer(Envelope.of(envelope), status=201, location=url_for("api.get_envelope", code=envelope.public_code))


@bp.get("/envelopes")
@require_integration
def list_envelopes():
    """The integration's envelopes page by page, without signers."""
    params = query(EnvelopeQuery)
    rows = select(EnvelopeRow).where(EnvelopeRow.integration_id == g.integration.id)
    if params.status:
        rows = rows.where(EnvelopeRow.status == params.status)
    if params.contract_number:
        rows = rows.join(ContractRow, ContractRow.id == EnvelopeRow.contract_id).where(
            ContractRow.number == params.contract_number)
    return answer(page(rows, EnvelopeRow.id, EnvelopeSummary.of, params, EnvelopePage))


@bp.get("/envelopes/<code>")
@require_integration
def get_envelope(code: str):
    """One envelope with each signer's situation."""
    return answer(Envelope.of(own_envelope(code)))


@bp.post("/envelopes/<code>/cancel")
@require_integration
@idempotent
def cancel_envelope(code: str):
    """Cancel a pending envelope (its links stop working)."""
    envelope = own_envelope(code)
    lifecycle.cancel(envelope, reason=body(CancelInput).reason, info=info())
    outbox.commit()
    return answer(Envelope.of(envelope))


@bp.post("/envelopes/<code>/review")
@require_integration
@idempotent
def review_envelope(code: str):
    """Decide the manual review of a failed identity check: approve (activates the contract) or reject."""
    envelope = own_envelope(code)
    data = body(ReviewInput)
    review.decide(envelope, data.decision, data.reason, by=f"api:{g.integration.description}", info=info())
    outbox.commit()
    return answer(Envelope.of(envelope))


@bp.post("/envelopes/<code>/resend")
@require_integration
@idempotent
def resend(code: str):
    """Queue fresh links for one or every pending signer."""
    envelope = own_envelope(code)
    data = body(ResendInput)
    if data.signer_id:
        targets = [own_signer(envelope, data.signer_id)]
    else:
        targets = [s for s in envelope.signers if not s.is_done and s.channel in deliveries.MESSAGE_CHANNELS]
    rows = [deliveries.send_link(s, channel=data.channel, purpose="resend") for s in targets]
    outbox.commit()
    return answer(Deliveries(deliveries=[Delivery.model_validate(r, from_attributes=True) for r in rows]), status=202)


@bp.patch("/envelopes/<code>/signers/<int:signer_id>")
@require_integration
def update_signer(code: str, signer_id: int):
    """Correct a pending signer's contact and, unless `resend` is false, send a fresh link."""
    envelope = own_envelope(code)
    signer = own_signer(envelope, row_id(signer_id))
    data = body(SignerUpdate)
    given = data.model_dump(exclude_unset=True)
    lifecycle.update_contact(signer, email=given.get("email", signer.email), phone=given.get("phone", signer.phone),
                             channel=data.channel, info=info())
    if data.resend:
        deliveries.send_link(signer, purpose="resend")
    outbox.commit()
    return answer(Signer.of(signer))


@bp.post("/envelopes/<code>/sync")
@require_integration
@idempotent
def sync_envelope(code: str):
    """Bring the envelope up to date and say what was done."""
    envelope = own_envelope(code)
    report = sync.sync_envelope(envelope)
    outbox.commit()
    return answer(SyncResult(envelope=Envelope.of(envelope), actions=report.actions,
                             pending_signer_ids=[s.id for s in report.pending], message=report.message))


@bp.get("/envelopes/<code>/documents/<document>")
@require_integration
def envelope_document(code: str, document: str):
    """The original PDF, the sealed PDF or its evidence manifest."""
    envelope = own_envelope(code)
    if document not in ("original", "final", "manifest"):
        raise NotFound("Documento desconhecido: use original, final ou manifest.")
    if document == "original":
        return send_stored(envelope.original_path, mimetype="application/pdf", as_attachment=True,
                           download_name=f"{envelope.public_code}-original.pdf")
    if not envelope.final_path:
        return problem(409, "O documento final fica disponível quando todos assinarem.", title="Ainda pendente")
    if document == "final":
        return send_stored(envelope.final_path, mimetype="application/pdf", as_attachment=True,
                           download_name=f"{envelope.public_code}.pdf")
    return Response(read_attachment(storage.read(envelope.final_path), "evidence.json"), mimetype="application/json")
