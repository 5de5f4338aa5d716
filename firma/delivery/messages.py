"""The words of each message: the integration's e-mail and WhatsApp templates, filled in the sandbox.

Message templates use the catalogue's "message" kind (`{{ cliente.nome }}`, `{{ signatario.nome }}`,
`{{ documento.titulo }}`, `{{ link }}`...) and the documents' sandbox: an unknown variable or an unsafe
construct is refused at save time (`sandbox.check`), never an empty string in a customer's message.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import object_session

from firma.br.dates import date_br, to_local
from firma.br.identifiers import format_cpf_cnpj
from firma.br.phones import format_phone
from firma.documents import sandbox
from firma.documents.catalogue import CATALOGUE
from firma.documents.contexts import branch_fields, customer_fields
from firma.models import Envelope, Settings, Signer
from firma.platform.text import strip_bidi

DEFAULT_SUBJECT = "{{ filial.nome }}: {{ documento.titulo }} aguarda sua assinatura"
DEFAULT_SUBJECT_REMINDER = "Lembrete — {{ documento.titulo }} aguarda sua assinatura"
DEFAULT_BODY = (
    "Olá, {{ signatario.nome }}!\n\n"
    "{{ filial.nome }} enviou «{{ documento.titulo }}» para você assinar eletronicamente, pelo celular.\n\n"
    "Assine pelo link: {{ link }}\n\n"
    "O link é pessoal e vale até {{ validade }}. Código do documento: {{ documento.codigo }}."
)
DEFAULT_WHATSAPP = (
    "Olá, {{ signatario.nome }}! {{ filial.nome }} enviou «{{ documento.titulo }}» para sua assinatura "
    "eletrônica. Assine aqui: {{ link }} (válido até {{ validade }})."
)
DEFAULT_WHATSAPP_PARAMETERS = ("{{ signatario.nome }}", "{{ documento.titulo }}", "{{ link }}")
COMPLETED_SUBJECT = "Documento assinado — {{ documento.titulo }}"
COMPLETED_BODY = (
    "Olá, {{ signatario.nome }}!\n\n"
    "Todos assinaram «{{ documento.titulo }}». A via assinada, com o relatório de assinaturas, segue em anexo.\n\n"
    "Confira a autenticidade em {{ verificacao }} com o código {{ documento.codigo }}."
)


@dataclass(frozen=True)
class Message:
    """One rendered message for every channel: e-mail subject and plain body, WhatsApp text and template."""

    subject: str
    body: str
    link: str | None
    whatsapp_text: str
    whatsapp_template: str
    whatsapp_parameters: tuple[str, ...]
    branch_name: str


def render(source: str, context: dict) -> str:
    """A message template filled in the one sandbox (plain text, bounded); TemplateError (pt-BR) otherwise."""
    return sandbox.render(source, context, "message").strip()


def context_for(signer: Signer, link: str | None, *, public_url: str = "") -> dict:
    """The variables of a message to this signer about this envelope."""
    envelope: Envelope = signer.envelope
    customer = _customer(envelope)
    session = object_session(signer)
    settings = Settings.find(envelope.organization_id, session)
    expires = signer.token_expires_at or envelope.expires_at
    return {
        "cliente": customer_fields(customer) if customer is not None else dict.fromkeys(CATALOGUE["cliente"], "") | {
            "nome": signer.name, "cpf_cnpj": format_cpf_cnpj(signer.cpf), "email": signer.email or "",
            "telefone": format_phone(signer.phone)},
        "filial": branch_fields(envelope.branch),
        "provedor": {"nome": settings.company_name if settings else envelope.branch.name},
        "signatario": {"nome": signer.name, "papel": signer.role.label},
        "documento": {"titulo": envelope.title, "codigo": envelope.public_code},
        "link": link or "",
        "validade": date_br(to_local(expires).date()) if expires else "",
        "verificacao": f"{public_url.rstrip('/')}/verificar",
    }


def _customer(envelope: Envelope):
    if envelope.contract is not None:
        return envelope.contract.customer
    if envelope.service_order is not None:
        return envelope.service_order.customer
    return None


def link_message(signer: Signer, link: str, *, purpose: str = "link", public_url: str = "") -> Message:
    """The signing-link message (first send, resend or reminder) from the integration's templates."""
    integration = signer.envelope.integration
    witness = signer.role == "client_witness"
    subject = (integration.email_subject_witness if witness else integration.email_subject_client) or (
        DEFAULT_SUBJECT_REMINDER if purpose == "reminder" else DEFAULT_SUBJECT)
    body = (integration.email_body_witness if witness else integration.email_body_client) or DEFAULT_BODY
    wa_text = (integration.whatsapp_text_witness if witness else integration.whatsapp_text_client) or DEFAULT_WHATSAPP
    wa_template = (integration.whatsapp_template_witness if witness else integration.whatsapp_template_client)
    settings = integration.whatsapp_settings or {}
    parameters = settings.get("parameters") or DEFAULT_WHATSAPP_PARAMETERS
    context = context_for(signer, link, public_url=public_url)
    subject_text = render(subject, context)
    if purpose == "reminder" and integration.email_subject_client and not subject_text.startswith("Lembrete"):
        subject_text = f"Lembrete: {subject_text}"
    return Message(
        subject=" ".join(strip_bidi(subject_text).split())[:200],
        body=render(body, context),
        link=link,
        whatsapp_text=render(wa_text, context),
        whatsapp_template=wa_template or "firma_link_assinatura",
        whatsapp_parameters=tuple(render(p, context) for p in parameters),
        branch_name=signer.envelope.branch.name,
    )


def completed_message(signer: Signer, *, public_url: str = "") -> Message:
    """The message that carries the sealed PDF to a signer once everyone has signed."""
    context = context_for(signer, None, public_url=public_url)
    text = render(COMPLETED_BODY, context)
    return Message(subject=strip_bidi(render(COMPLETED_SUBJECT, context)), body=text, link=None, whatsapp_text=text,
                   whatsapp_template="", whatsapp_parameters=(), branch_name=signer.envelope.branch.name)
