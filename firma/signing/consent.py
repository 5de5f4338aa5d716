"""The consent step: electronic-signature terms, and the separate LGPD consent to biometric processing.

Each text is versioned and filled with the provider (the controller) of the envelope; the exact text shown is
stored as an evidence file with its SHA-256, before any document photo or selfie is taken.
"""
from dataclasses import dataclass

from firma.br.identifiers import format_cpf_cnpj
from firma.evidence import audit, store
from firma.evidence.audit import RequestInfo
from firma.models import BiometricRefusal, EventType, EvidenceKind, Signer, utcnow
from firma.platform.errors import Refusal
from firma.platform.tokens import sha256_hex

VERSION = "2026-12-01"
RETENTION = "pelo prazo de guarda do contrato e por até 5 anos após o seu término (prazo prescricional)"

TERMS_TEXT = (
    "Termos da assinatura eletrônica (versão {version}). Ao continuar, concordo em assinar eletronicamente o "
    "documento “{title}”, enviado por {controller}, por meio do Firma. Aceito como prova da minha autoria e da "
    "integridade do documento os registros desta assinatura: o link pessoal recebido, a confirmação do meu CPF, o "
    "IP, o dispositivo, os horários de cada etapa, a minha assinatura desenhada ou digitada e a cadeia de eventos "
    "selada ao final (Lei nº 14.063/2020, art. 4º, II; MP nº 2.200-2/2001, art. 10, § 2º). Meus dados pessoais são "
    "tratados somente para executar e comprovar esta assinatura (Lei nº 13.709/2018 — LGPD)."
)

BIOMETRIC_TEXT = (
    "Consentimento para tratamento de dados biométricos (versão {version}; LGPD, art. 11, I). Autorizo, de forma "
    "específica e destacada, o tratamento dos meus dados biométricos: {items}. Finalidade: confirmar que sou eu "
    "quem assina, comparando meu rosto com a foto do documento e verificando que estou presente (prova de vida); "
    "não serão usados para outro fim. Controlador: {controller}. Operador: Firma, que processa os dados em nome "
    "do controlador. Guarda: {retention}, como parte da prova desta assinatura. Posso recusar; nesse caso, {refusal}"
)

REFUSAL_WORDS = {
    BiometricRefusal.DECLINE: "este documento não poderá ser assinado por este link.",
    BiometricRefusal.WITHOUT_BIOMETRICS: "assino sem as etapas de foto e selfie, e a recusa fica registrada.",
}


@dataclass(frozen=True)
class ConsentTexts:
    """The exact texts a signer is shown: the terms always, the biometric consent only with biometric steps."""

    terms: str
    biometric: str | None
    refusal: BiometricRefusal


def biometric_items(signer: Signer) -> list[str]:
    """The biometric captures this signer's envelope requires, in words."""
    items = []
    if signer.require_document_photo:
        items.append("fotos do meu documento de identidade (frente e verso)")
    if signer.require_selfie:
        items.append("selfie e quadros da câmera para a prova de vida")
    if signer.require_document_photo and signer.require_selfie:
        items.append("comparação facial entre a selfie e a foto do documento")
    return items


def has_biometric_steps(signer: Signer) -> bool:
    """Whether the envelope asks this signer for a document photo or a selfie."""
    return bool(signer.require_document_photo or signer.require_selfie)


def refusal_policy(signer: Signer) -> BiometricRefusal:
    """What refusing biometric consent does for this signer's integration."""
    value = signer.envelope.integration.biometric_refusal
    return BiometricRefusal(value) if value in tuple(BiometricRefusal) else BiometricRefusal.DECLINE


def texts_for(signer: Signer) -> ConsentTexts:
    """The consent texts of this signer's envelope, filled in (what is shown is what is stored)."""
    branch = signer.envelope.branch
    controller = f"{branch.name} (CNPJ {format_cpf_cnpj(branch.cnpj)})"
    refusal = refusal_policy(signer)
    terms = TERMS_TEXT.format(version=VERSION, title=signer.envelope.title, controller=controller)
    biometric = None
    if has_biometric_steps(signer):
        biometric = BIOMETRIC_TEXT.format(version=VERSION, items="; ".join(biometric_items(signer)),
                                          controller=controller, retention=RETENTION, refusal=REFUSAL_WORDS[refusal])
    return ConsentTexts(terms, biometric, refusal)


def _text_file(text: str, **data) -> dict:
    """The stored form of a consent text: its exact UTF-8 bytes and, in the row's data, its version and hash."""
    body = text.encode("utf-8")
    return {"content": body, "content_type": "text/plain",
            "data": {"version": VERSION, "text": text, "text_sha256": sha256_hex(body), **data}}


def give(signer: Signer, *, terms: bool, biometric: bool | None, info: RequestInfo) -> bool:
    """Record the consent step; returns False when a refused biometric consent declines the signature.

    `biometric` is None for a signer without biometric steps (no biometric wording was shown).
    """
    if signer.is_done:
        raise Refusal("Esta assinatura já foi concluída.")
    if signer.consented_at is not None:
        return True  # given once, before the captures; a signer who changes their mind declines instead
    if not terms:
        raise Refusal("Para continuar, marque que concorda com os termos da assinatura eletrônica.", "terms")
    texts = texts_for(signer)
    if texts.biometric is not None and biometric is None:
        raise Refusal("Escolha se autoriza o tratamento dos seus dados biométricos.", "biometric")
    audit.lock_envelope(signer.envelope_id)
    row = store.save(signer, EvidenceKind.CONSENT, info=info, **_text_file(texts.terms, accepted=True))
    audit.record(signer.envelope, EventType.SIGNER_CONSENTED, signer=signer, info=info, version=VERSION,
                 text_sha256=row.data["text_sha256"])
    if texts.biometric is not None:
        row = store.save(signer, EvidenceKind.BIOMETRIC_CONSENT, info=info,
                         **_text_file(texts.biometric, granted=bool(biometric), refusal_policy=texts.refusal))
        if biometric:
            audit.record(signer.envelope, EventType.SIGNER_BIOMETRIC_CONSENT, signer=signer, info=info,
                         version=VERSION, text_sha256=row.data["text_sha256"])
        else:
            audit.record(signer.envelope, EventType.SIGNER_BIOMETRIC_REFUSED, signer=signer, info=info,
                         version=VERSION, text_sha256=row.data["text_sha256"], refusal_policy=texts.refusal)
            if texts.refusal == BiometricRefusal.DECLINE:
                return False
        signer.biometrics_refused = not biometric
    signer.consented_at = utcnow()
    return True
