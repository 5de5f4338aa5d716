"""An envelope's life after creation: cancel, expire, and contact updates of a signer."""
from datetime import datetime

from firma.br.emails import normalise_email
from firma.br.phones import normalise_phone
from firma.envelopes import links
from firma.evidence import audit
from firma.evidence.audit import SYSTEM, RequestInfo
from firma.models import Envelope, EventType, Signer, User, utcnow
from firma.platform.errors import Refusal, optional_normalised


def cancel(envelope: Envelope, *, reason: str, by: User | None = None, info: RequestInfo = SYSTEM) -> Envelope:
    """Cancel a pending envelope for a stated reason: its links die and a contract awaiting it goes back to draft."""
    if envelope.status != "pending":
        raise Refusal("Só é possível cancelar uma assinatura pendente.")
    if not reason.strip():
        raise Refusal("Informe o motivo do cancelamento.", "reason")
    envelope.status, envelope.cancelled_at, envelope.cancel_reason = "cancelled", utcnow(), reason.strip()
    for signer in envelope.signers:
        links.revoke(signer)
    if envelope.contract is not None and envelope.kind == "contract" and envelope.contract.status == "awaiting_signature":
        envelope.contract.status = "draft"
    audit.record(envelope, EventType.ENVELOPE_CANCELLED, info=info, reason=reason.strip(), by=by.email if by else None)
    return envelope


def expire(envelope: Envelope, *, now: datetime | None = None) -> bool:
    """Mark a pending envelope past its lifetime as expired; True when it changed.

    One whose signers have all signed is never expired: it is waiting to be sealed (the finalise sweep does it).
    """
    now = now or utcnow()
    if envelope.status != "pending" or envelope.expires_at > now or envelope.all_signed:
        return False
    envelope.status = "expired"
    for signer in envelope.signers:
        if not signer.is_done:
            signer.status = "expired"
        links.revoke(signer)
    audit.record(envelope, EventType.ENVELOPE_EXPIRED)
    return True


def update_contact(signer: Signer, *, email: str | None, phone: str | None, channel: str | None,
                   by: User | None = None, info: RequestInfo = SYSTEM) -> None:
    """Correct a pending signer's e-mail or phone (validated here); the old link stops working (send a new one)."""
    if signer.is_done or signer.envelope.status != "pending":
        raise Refusal("Este signatário já concluiu; os dados dele não podem mais ser alterados.")
    old = {"email": signer.email, "phone": signer.phone, "channel": signer.channel}
    signer.email = optional_normalised(normalise_email, email, "email")
    signer.phone = optional_normalised(normalise_phone, phone, "phone")
    signer.channel = channel or signer.channel
    if signer.channel == "email" and not signer.email:
        raise Refusal("E-mail obrigatório para envio por e-mail.")
    if signer.channel == "whatsapp" and not signer.phone:
        raise Refusal("Celular obrigatório para envio por WhatsApp.")
    links.revoke(signer)
    audit.record(signer.envelope, EventType.SIGNER_CONTACT_UPDATED, signer=signer, info=info, old=old,
                 new={"email": signer.email, "phone": signer.phone, "channel": signer.channel},
                 by=by.email if by else None)
