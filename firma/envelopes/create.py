"""Create envelopes: what is signed (contract, term, service order or upload), by whom, with which requirements."""
from dataclasses import dataclass

from flask import current_app

from firma.br.emails import refuse_control_characters
from firma.documents import rendering
from firma.envelopes import links
from firma.evidence import audit
from firma.evidence.audit import SYSTEM, RequestInfo
from firma.extensions import db
from firma.identity import policy
from firma.models import (
    SIGNER_CHANNELS, Channel, Contract, Envelope, EventType, Integration, ServiceOrder, Signer, SignerRole, Term, User,
    utcnow,
)
from firma.org import organizations
from firma.platform import storage
from firma.platform.errors import Refusal
from firma.platform.tokens import new_public_code, sha256_hex
from firma.signing import automatic


@dataclass
class SignerSpec:
    """Who should sign and how: role, contact, channel and the evidence required."""

    role: str
    name: str
    cpf: str | None = None
    email: str | None = None
    phone: str | None = None
    channel: str | None = None  # default: WhatsApp when there is a phone, else e-mail
    require_document_photo: bool = False
    require_selfie: bool = False
    require_geolocation: bool = False
    user: User | None = None


def effective(override: str, default: bool) -> bool:
    """A contract's yes/no/default switch resolved against the integration's default."""
    return {"yes": True, "no": False}.get(override, default)


def integration_for_branch(branch) -> Integration:
    """The integration a branch sends through (Refusal when the branch has none)."""
    if branch.integration is None:
        raise Refusal(f"A filial {branch.name} não tem integração de assinatura digital configurada.")
    return branch.integration


def client_spec(customer, integration: Integration, *, selfie: str = "default", photo: str = "default") -> SignerSpec:
    """The customer as the client signer, with the contract's selfie/photo overrides resolved."""
    if not customer.cpf_cnpj:
        raise Refusal("O cliente não tem CPF/CNPJ cadastrado.")
    if not (customer.email or customer.phone):
        raise Refusal("O cliente precisa de e-mail ou celular para receber o link.")
    return SignerSpec(
        role="client", name=customer.name, cpf=customer.cpf_cnpj, email=customer.email, phone=customer.phone,
        require_document_photo=effective(photo, integration.require_document_photo),
        require_selfie=effective(selfie, integration.require_selfie),
        require_geolocation=integration.geolocation == "required",
    )


def provider_specs(integration: Integration) -> list[SignerSpec]:
    """The provider's representative and witness of the integration, when configured."""
    specs = []
    for role, user in (("provider_representative", integration.representative),
                       ("provider_witness", integration.witness)):
        if user is not None:
            specs.append(SignerSpec(role=role, name=user.name, cpf=user.cpf, email=user.email, user=user))
    return specs


def contract_signers(contract: Contract, integration: Integration) -> list[SignerSpec]:
    """Every signer of a contract: client, client's witness, then the provider's signers."""
    specs = [client_spec(contract.customer, integration, selfie=contract.require_selfie,
                         photo=contract.require_document_photo)]
    if contract.witness is not None:
        w = contract.witness
        specs.append(SignerSpec(role="client_witness", name=w.name, cpf=w.cpf, email=w.email, phone=w.phone))
    return specs + provider_specs(integration)


def create_for_contract(contract: Contract, *, by: User | None = None, info: RequestInfo = SYSTEM) -> Envelope:
    """Render the contract (with its auto-inserted terms) and open an envelope for its signers."""
    if contract.status == "cancelled":
        raise Refusal("Contrato cancelado não pode ser enviado para assinatura.")
    integration = integration_for_branch(contract.branch)
    code = new_public_code()
    rendered = rendering.render_contract(contract, public_code=code, now=utcnow())
    envelope = _open(
        code, rendered, kind="contract", title=f"Contrato {contract.number} — {contract.customer.name}",
        integration=integration, branch=contract.branch, signers=contract_signers(contract, integration),
        by=by, info=info, contract=contract,
    )
    contract.status = "awaiting_signature"
    return envelope


def create_for_term(term: Term, *, by: User | None = None, info: RequestInfo = SYSTEM) -> Envelope:
    """Open the envelope of a term signed on its own, rendered from its template."""
    contract = term.contract
    integration = integration_for_branch(contract.branch)
    code = new_public_code()
    rendered = rendering.render_term(term, public_code=code, now=utcnow())
    return _open(
        code, rendered, kind="term", title=f"{term.template.name} — contrato {contract.number}",
        integration=integration, branch=contract.branch, signers=contract_signers(contract, integration),
        by=by, info=info, contract=contract, term=term,
    )


def create_for_service_order(order: ServiceOrder, *, by: User | None = None, info: RequestInfo = SYSTEM) -> Envelope:
    """Open the envelope of a service order whose subject is flagged for digital signature."""
    integration = integration_for_branch(order.branch)
    code = new_public_code()
    rendered = rendering.render_service_order(order, public_code=code, now=utcnow())
    signers = [client_spec(order.customer, integration)] + provider_specs(integration)
    return _open(
        code, rendered, kind="service_order", title=f"Ordem de serviço {order.number} — {order.subject.name}",
        integration=integration, branch=order.branch, signers=signers, by=by, info=info, service_order=order,
    )


def create_for_upload(pdf: bytes, *, title: str, branch, signers: list[SignerSpec], by: User | None = None,
                      info: RequestInfo = SYSTEM) -> Envelope:
    """An envelope for a PDF the ISP already has; the footer is stamped onto its pages."""
    pages = rendering.load_uploaded_pdf(pdf, max_bytes=current_app.config["MAX_PDF_BYTES"])
    if not signers:
        raise Refusal("Informe ao menos um signatário.")
    integration = integration_for_branch(branch)
    code = new_public_code()
    stamped = rendering.stamp_footer(pdf, branch_name=branch.name, branch_cnpj=branch.cnpj, public_code=code)
    rendered = rendering.RenderedDocument(pdf=stamped, sha256=sha256_hex(stamped), pages=pages, html="",
                                          template_version_id=None, variables={})
    return _open(code, rendered, kind="upload", title=title, integration=integration, branch=branch,
                 signers=signers, by=by, info=info)


def _open(code, rendered, *, kind, title, integration, branch, signers, by, info, **links_to) -> Envelope:
    now = utcnow()
    organizations.check_envelope_quota(integration.organization_id, now)
    path = storage.write_once(f"envelopes/{code}/original.pdf", rendered.pdf)
    envelope = Envelope(
        public_code=code, kind=kind, title=title[:200], integration=integration, branch=branch,
        template_version_id=rendered.template_version_id, variables=rendered.variables, original_path=path,
        original_sha256=rendered.sha256, original_pages=rendered.pages, created_by_id=by.id if by else None,
        expires_at=links.default_expiry(integration.link_lifetime_days, now),
        identity_policy=policy.resolve(getattr(links_to.get("contract"), "identity_policy", None), integration),
        signers=[], chain_length=0, chain_head=None,  # known empty: no SELECT for them later in this transaction
        **links_to,
    )
    db.session.add(envelope)
    db.session.flush()
    audit.created(envelope)
    audit.record(envelope, EventType.ENVELOPE_CREATED, info=info, kind=kind, sha256=rendered.sha256,
                 pages=rendered.pages, by=by.email if by else None, identity_policy=envelope.identity_policy)
    for order, spec in enumerate(signers, start=1):
        signer = _add_signer(envelope, spec, order, integration)
        audit.record(envelope, EventType.SIGNER_ADDED, signer=signer, info=info, role=signer.role, name=signer.name,
                     channel=signer.channel)
    for signer in envelope.signers:
        if signer.user is not None and automatic.can_sign_automatically(signer.user):
            automatic.sign_automatically(signer)
    return envelope


def add_signer(envelope: Envelope, spec: SignerSpec, *, by: User | None = None,
               info: RequestInfo = SYSTEM) -> Signer:
    """Add one more signer (e.g. a validator) to a pending envelope, after the existing ones."""
    if envelope.status != "pending":
        raise Refusal("Só é possível incluir signatários em uma assinatura pendente.")
    order = max((s.order for s in envelope.signers), default=0) + 1
    signer = _add_signer(envelope, spec, order, envelope.integration)
    audit.record(envelope, EventType.SIGNER_ADDED, signer=signer, info=info, role=signer.role, name=signer.name,
                 channel=signer.channel, by=by.email if by else None)
    return signer


def _add_signer(envelope: Envelope, spec: SignerSpec, order: int, integration: Integration) -> Signer:
    channel = spec.channel or (Channel.AUTOMATIC if spec.user and automatic.can_sign_automatically(spec.user)
                               else Channel.WHATSAPP if spec.phone else Channel.EMAIL)
    if channel not in SIGNER_CHANNELS:
        raise Refusal(f"{spec.name}: canal de envio desconhecido.", field="channel")
    if spec.role not in tuple(SignerRole):
        raise Refusal(f"{spec.name}: papel do signatário desconhecido.", field="role")
    if channel == "email" and not spec.email:
        raise Refusal(f"{spec.name}: e-mail obrigatório para envio por e-mail.")
    if channel == "whatsapp" and not spec.phone:
        raise Refusal(f"{spec.name}: celular obrigatório para envio por WhatsApp.")
    try:
        email = refuse_control_characters(spec.email)  # CR/LF would inject e-mail headers
    except Refusal as exc:
        raise Refusal(f"{spec.name}: {exc.message}", field="email") from None
    signer = Signer(
        envelope=envelope, role=spec.role, name=spec.name, cpf=spec.cpf, email=email, phone=spec.phone,
        channel=channel, order=order, require_document_photo=spec.require_document_photo,
        require_selfie=spec.require_selfie, require_geolocation=spec.require_geolocation,
        allow_liveness_fallback=integration.allow_liveness_fallback, user=spec.user,
        token_expires_at=envelope.expires_at,
    )
    db.session.add(signer)
    db.session.flush()
    return signer
