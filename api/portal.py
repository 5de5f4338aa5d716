"""The subscriber portal ("Central do Assinante"): one client's pending and signed documents."""
from flask import g
from sqlalchemy import select

from firma.br.identifiers import compact
from firma.envelopes import links
from firma.extensions import db
from firma.models import Envelope as EnvelopeRow, Signer as SignerRow
from firma.platform import outbox

from . import bp
from .auth import require_integration
from .schemas import PendingDocument, PortalDocuments, SignedDocument, envelope_url
from .shared import answer


@bp.get("/portal/customers/<cpf_cnpj>/documents")
@require_integration
def portal_documents(cpf_cnpj: str):
    """Pending documents with a live embed link for the client (the same one on every call while it lives), and
    signed ones with their download."""
    document_number = compact(cpf_cnpj)
    signers = db.session.scalars(select(SignerRow).join(EnvelopeRow).where(
        SignerRow.cpf == document_number, SignerRow.role == "client", EnvelopeRow.integration_id == g.integration.id,
        EnvelopeRow.status.in_(("pending", "completed"))).order_by(EnvelopeRow.id.desc())).all()
    pending, signed = [], []
    for signer in signers:
        envelope = signer.envelope
        common = {"public_code": envelope.public_code, "title": envelope.title, "status": envelope.status,
                  "created_at": envelope.created_at}
        if envelope.status == "pending" and not signer.is_done:
            pending.append(PendingDocument(**common, embed_url=links.signing_url(links.live_token(signer), embed=True),
                                           expires_at=envelope.expires_at))
        elif envelope.status == "completed":
            signed.append(SignedDocument(**common, download_url=envelope_url(envelope, "final"),
                                         completed_at=envelope.completed_at))
    outbox.commit()
    return answer(PortalDocuments(cpf_cnpj=document_number, pending=pending, signed=signed))
