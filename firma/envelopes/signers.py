"""Staff changes to an envelope's signers: add a validator, hand over a fresh signing link."""
from firma.br.emails import normalise_email
from firma.br.identifiers import normalise_cpf
from firma.br.phones import normalise_phone
from firma.envelopes import create, links
from firma.evidence import audit
from firma.evidence.audit import SYSTEM, RequestInfo
from firma.models import EventType, Signer, SignerRole, User
from firma.platform.errors import Refusal, optional_normalised


def add_validator(envelope, *, name: str, cpf: str, email: str | None, phone: str | None, channel: str | None,
                  by: User | None = None, info: RequestInfo = SYSTEM) -> Signer:
    """A validator who approves or rejects the document (no signature image), added last to a pending envelope."""
    name = (name or "").strip()
    if not name:
        raise Refusal("Informe o nome do validador.", "name")
    try:
        cpf = normalise_cpf(cpf)
    except Refusal as exc:
        raise Refusal(exc.message, "cpf") from None
    email = optional_normalised(normalise_email, email, "email")
    phone = optional_normalised(normalise_phone, phone, "phone")
    spec = create.SignerSpec(role=SignerRole.VALIDATOR, name=name[:160], cpf=cpf, email=email, phone=phone,
                             channel=channel or None)
    return create.add_signer(envelope, spec, by=by, info=info)


def hand_over_link(signer: Signer, *, by: User | None = None, info: RequestInfo = SYSTEM) -> str:
    """A new signing URL for staff to hand over in person (shown once); the signer's old link stops working."""
    if signer.envelope.status != "pending" or signer.is_done:
        raise Refusal("Este signatário não tem assinatura pendente; não há link para gerar.")
    if signer.channel == "automatic":
        raise Refusal("Este signatário assina automaticamente; não há link para gerar.")
    token = links.issue(signer)
    audit.record(signer.envelope, EventType.SIGNER_LINK_HANDED, signer=signer, info=info,
                 by=by.email if by else None)
    return links.signing_url(token)
