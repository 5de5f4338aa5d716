"""What the manifest says in words: each signer's authentication factors, consent, identity check, and the seal.

Plain functions over evidence rows and certificates; every sentence is derived from what was recorded, so the
manifest cannot claim an order of events (consent before collection) that the evidence does not show.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import core
from cryptography import x509

from firma.br.dates import local_time
from firma.br.identifiers import format_cpf_cnpj
from firma.identity import policy
from firma.models import Channel, Envelope, Evidence, EvidenceKind, IdentityCheckPolicy, ReviewState, Signer

BIOMETRIC_KINDS = (EvidenceKind.DOCUMENT_FRONT, EvidenceKind.DOCUMENT_BACK, EvidenceKind.SELFIE,
                   EvidenceKind.LIVENESS, EvidenceKind.FACE_MATCH)
ICP_CNPJ_OID = "2.16.76.1.3.3"  # ICP-Brasil otherName: the CNPJ of the certificate's legal entity


@dataclass(frozen=True)
class ConsentText:
    """One consent text as shown to signers: what it is, its version and the SHA-256 of its exact bytes."""

    title: str
    version: str
    sha256: str
    text: str


@dataclass(frozen=True)
class Consent:
    """When a signer accepted the terms and answered the biometric consent, against the first biometric capture."""

    terms_at: datetime | None
    terms_sha256: str | None
    biometric: str  # "autorizado", "não autorizado", "não solicitado"
    biometric_at: datetime | None
    biometric_sha256: str | None
    first_biometric_at: datetime | None
    before_collection: bool | None  # None: no biometric data was collected


@dataclass(frozen=True)
class SealInfo:
    """The seal certificate and the time-stamp authority as the manifest names them."""

    subject: str
    cnpj: str | None
    icp_brasil: bool
    sha256: str
    tsa: str | None


def consent_of(signer: Signer) -> Consent:
    """The signer's consents from their evidence rows (superseded captures count: they were collected too)."""
    rows = list(signer.evidence)
    terms = _last(rows, EvidenceKind.CONSENT)
    biometric = _last(rows, EvidenceKind.BIOMETRIC_CONSENT)
    captured = [r.captured_at for r in rows if r.kind in BIOMETRIC_KINDS]
    first = min(captured) if captured else None
    if biometric is not None:
        answer = "autorizado" if biometric.data.get("granted") else "não autorizado"
        given_at = biometric.captured_at if biometric.data.get("granted") else None
    elif terms is not None and terms.data.get("biometric_data"):  # before the consent step: one text at confirm
        answer, given_at = "autorizado", terms.captured_at
    else:
        answer, given_at = "não solicitado", None
    before = None if first is None else (given_at is not None and given_at < first)
    return Consent(
        terms_at=terms.captured_at if terms else None, terms_sha256=_text_sha(terms), biometric=answer,
        biometric_at=biometric.captured_at if biometric else given_at, biometric_sha256=_text_sha(biometric),
        first_biometric_at=first, before_collection=before,
    )


def _last(rows: list[Evidence], kind: str) -> Evidence | None:
    found = [r for r in rows if r.kind == kind and not r.superseded]
    return found[-1] if found else None


def _text_sha(row: Evidence | None) -> str | None:
    if row is None:
        return None
    return row.data.get("text_sha256") or (hashlib.sha256(row.data["text"].encode()).hexdigest()
                                           if row.data.get("text") else None)


def consent_texts(signers: list[Signer]) -> list[ConsentText]:
    """Every distinct consent text signers were shown, quoted once each in the manifest."""
    seen: dict[str, ConsentText] = {}
    for signer in signers:
        for row in signer.evidence:
            if row.kind in (EvidenceKind.CONSENT, EvidenceKind.BIOMETRIC_CONSENT) and row.data.get("text"):
                digest = _text_sha(row)
                seen.setdefault(digest, ConsentText(EvidenceKind(row.kind).label, row.data.get("version") or "—",
                                                    digest, row.data["text"]))
    return list(seen.values())


def authentication(signer: Signer, *, automatic: bool, front: Evidence | None, liveness: str | None,
                   face_match: str | None, geolocated: bool) -> str:
    """The "Autenticação" line: every factor the signer presented, in the order they were asked."""
    if automatic:
        return "assinatura automática com a assinatura armazenada do usuário do provedor (login e token de API)"
    channel = Channel(signer.channel)
    parts = [f"link pessoal enviado por {channel.label}" if channel != Channel.PORTAL
             else "link pessoal aberto no portal do assinante"]
    if signer.identity_confirmed_at is not None:
        parts.append("CPF/CNPJ confirmado pelo signatário")
    if signer.biometrics_refused:
        parts.append("sem biometria (o signatário não autorizou; a integração permite)")
    if front is not None:
        parts.append("foto do documento" + (" com rosto encontrado" if front.data.get("face_found") else ""))
    if liveness:
        parts.append(f"prova de vida {liveness}")
    if face_match:
        parts.append(f"comparação facial: {face_match}")
    if geolocated:
        parts.append("geolocalização do aparelho")
    return "; ".join(parts)


def policy_sentence(policy: IdentityCheckPolicy) -> str:
    """What the envelope's identity-check policy does, for the manifest."""
    return {
        IdentityCheckPolicy.BLOCK: "bloquear: o signatário refaz a verificação e, esgotadas as tentativas, a "
                                   "assinatura é recusada",
        IdentityCheckPolicy.REVIEW: "revisão manual: as assinaturas são concluídas e o documento é selado, mas o "
                                    "contrato só é ativado depois da aprovação de um revisor",
        IdentityCheckPolicy.RECORD: "apenas registrar: o resultado fica registrado e não impede a assinatura",
    }[IdentityCheckPolicy(policy)]


def review_sentence(envelope: Envelope) -> str | None:
    """The manual review in words: required (at sealing time) or decided, with who, when and why."""
    if envelope.reviewed_at is not None:
        return (f"{envelope.review_state.label} em {local_time(envelope.reviewed_at, '%d/%m/%Y %H:%M:%S')} "
                f"por {envelope.reviewed_by}: {envelope.review_reason}")
    if envelope.review_state == ReviewState.REQUIRED or policy.needs_review(envelope):
        return ("Revisão manual exigida: o contrato não é ativado até a decisão de um revisor, que fica "
                "registrada no histórico de eventos do envelope depois da selagem deste documento.")
    return None


def seal_info(certificate_der: bytes, tsa_url: str | None) -> SealInfo:
    """Name the seal certificate: subject, CNPJ (ICP-Brasil otherName), SHA-256 fingerprint; and the TSA."""
    cert = x509.load_der_x509_certificate(certificate_der)
    cnpj = None
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        for other in names.get_values_for_type(x509.OtherName):
            if other.type_id.dotted_string == ICP_CNPJ_OID:
                cnpj = _other_name_text(other.value)
    except x509.ExtensionNotFound:
        pass
    issuer = cert.issuer.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)
    icp = any("ICP-Brasil" in str(a.value) for a in issuer)
    return SealInfo(subject=cert.subject.rfc4514_string(), cnpj=format_cpf_cnpj(cnpj) if cnpj else None,
                    icp_brasil=icp, sha256=hashlib.sha256(certificate_der).hexdigest(), tsa=tsa_url)


def _other_name_text(value: bytes) -> str | None:
    """The 14 characters of a CNPJ inside an otherName value (an OCTET STRING or a string type)."""
    try:
        native = core.load(value).native
    except ValueError:
        native = value
    text = native.decode("latin-1") if isinstance(native, bytes) else str(native)
    found = re.search(r"[0-9A-Z]{12}[0-9]{2}", text)
    return found.group(0) if found else None


CLOCK_NTP = "relógio do servidor do Firma, sincronizado por NTP"
CLOCK_TSA = "a data e hora do selo são atestadas por carimbo do tempo (RFC 3161) da autoridade de carimbo do tempo"


def clock_source(tsa_url: str | None) -> str:
    """Where the manifest's times come from (the server's NTP clock; the TSA's time too when the seal has one)."""
    return f"{CLOCK_NTP}; {CLOCK_TSA} {tsa_url}" if tsa_url else f"{CLOCK_NTP}; selo sem carimbo do tempo"
