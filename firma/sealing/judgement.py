"""What a seal proves, said honestly: integrity, whose certificate, at what time, expiry, revocation and LTV."""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from io import BytesIO

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel

from firma.br.dates import local_time
from firma.sealing import ltv
from firma.sealing.seal import MSG_ALTERED, MSG_BAD_SEAL, MSG_ENCRYPTED, MSG_NOT_PDF, MSG_UNSIGNED

MSG_UNKNOWN_CERT = "Selado por um certificado que esta instância não reconhece (nem usou, nem emitido por uma raiz confiável)."
MSG_TSA_UNTRUSTED = "O carimbo do tempo não é de uma autoridade de carimbo do tempo confiável (FIRMA_TSA_ROOTS)."
MSG_REVOKED = "Selo inválido: o certificado do selo estava revogado na data da assinatura."
MSG_EXPIRED_AT_SIGNING = "Selo inválido: o certificado do selo não era válido na data da assinatura."
MSG_TIMESTAMP_CHAIN = "Os carimbos do tempo de arquivamento (LTA) do documento não conferem."


@dataclass(frozen=True)
class Trust:
    """Whom to believe: root certificates, this instance's seal certificates (by SHA-256), pinned TSA roots."""

    roots: tuple[asn1_x509.Certificate, ...] = ()
    own: dict[str, asn1_x509.Certificate] = field(default_factory=dict)
    tsa_roots: tuple[asn1_x509.Certificate, ...] | None = None  # None: not pinned


@dataclass(frozen=True)
class Judgement:
    """The verdict on one PDF; `reason` is the sentence for people, the rest is for machines (--json)."""

    ok: bool
    reason: str
    level: str | None = None
    intact: bool = False
    covers_entire_file: bool = False
    by_this_instance: bool = False
    trusted: bool = False
    signed_at: datetime | None = None
    timestamped: bool = False
    tsa_pinned: bool = False
    certificate_sha256: str | None = None
    signer_common_name: str | None = None
    certificate_not_after: datetime | None = None
    certificate_expired: bool = False
    revocation_checked: bool = False
    revoked: bool = False
    ltv: bool = False
    document_timestamps: int = 0

    def as_json(self) -> dict:
        """JSON-able fields (times in ISO 8601 UTC)."""
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in asdict(self).items()}


def judge(pdf_bytes: bytes, trust: Trust, now: datetime | None = None) -> Judgement:
    """Judge the last seal of a PDF against `trust`; never raises, whatever the bytes."""
    try:
        reader = PdfFileReader(BytesIO(pdf_bytes), strict=False)
        if reader.encrypted:
            return Judgement(False, MSG_ENCRYPTED)
        embedded = reader.embedded_regular_signatures
    except Exception:
        return Judgement(False, MSG_NOT_PDF)
    if not embedded:
        return Judgement(False, MSG_BAD_SEAL if b"/ByteRange" in pdf_bytes else MSG_UNSIGNED)
    try:
        return _judge(reader, embedded[-1], trust, now or datetime.now(timezone.utc))
    except Exception:
        # Hostile CMS or PDF structures can fail anywhere inside pyHanko and asn1crypto.
        return Judgement(False, MSG_BAD_SEAL)


def _judge(reader: PdfFileReader, sig: EmbeddedPdfSignature, trust: Trust, now: datetime) -> Judgement:
    cert = sig.signer_cert
    sha = hashlib.sha256(cert.dump()).hexdigest()
    ours = sha in trust.own
    # A past seal certificate of this instance is trusted by its fingerprint even when its root is gone.
    roots = [*trust.roots, *([cert] if ours else [])]
    token_certs = _timestamp_certificates(sig)
    tsa_roots = list(trust.tsa_roots) if trust.tsa_roots is not None else token_certs
    result = ltv.validate(reader, sig, roots, tsa_roots, now)
    status = result.status
    tst = status.timestamp_validity
    timestamped = tst is not None and tst.intact and tst.valid
    tsa_ok = timestamped and tst.trusted
    has_dss = ltv.has_dss(reader)
    lta = has_dss and result.timestamp_count > 0
    moment = result.seal_moment if (tsa_ok or result.timestamp_count) else None
    signed_at = moment or status.signer_reported_dt
    not_after = cert.not_valid_after
    # After the seal only validation data and document timestamps (B-LTA) may follow; anything else is an edit.
    covers = (status.coverage in (SignatureCoverageLevel.ENTIRE_FILE, SignatureCoverageLevel.ENTIRE_REVISION)
              and status.docmdp_ok is not False
              and status.modification_level in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES))
    intact = bool(status.intact and status.valid)
    revocation_checked = has_dss and not status.revoked and status.trusted
    facts = dict(
        level="B-LTA" if lta else ("B-T" if timestamped else "B-B"), intact=intact, covers_entire_file=covers,
        by_this_instance=ours and intact, trusted=bool(status.trusted), signed_at=_utc(signed_at),
        timestamped=bool(timestamped), tsa_pinned=trust.tsa_roots is not None, certificate_sha256=sha,
        signer_common_name=cert.subject.native.get("common_name"), certificate_not_after=_utc(not_after),
        certificate_expired=not_after < now, revocation_checked=revocation_checked, revoked=bool(status.revoked),
        ltv=bool(lta and result.ok), document_timestamps=result.timestamp_count,
    )
    if not (intact and covers):
        return Judgement(False, MSG_ALTERED, **facts)
    if timestamped and not tsa_ok:
        return Judgement(False, MSG_TSA_UNTRUSTED, **facts)
    if result.timestamp_count and not result.timestamps_ok:
        return Judgement(False, MSG_TIMESTAMP_CHAIN, **facts)
    if status.revoked:
        return Judgement(False, MSG_REVOKED, **facts)
    # Expiry first: an expired certificate also fails the chain check, and expiry is the truthful reason.
    if moment is not None and not (cert.not_valid_before <= moment <= not_after):
        return Judgement(False, MSG_EXPIRED_AT_SIGNING, **facts)
    if moment is None and not_after < now:
        return Judgement(False, f"Selo íntegro, mas o certificado expirou em {local_time(not_after, '%d/%m/%Y')} e "
                                "o documento não tem carimbo do tempo que prove que foi selado antes.", **facts)
    if not ours and not status.trusted:
        return Judgement(False, MSG_UNKNOWN_CERT, **facts)
    return Judgement(True, _good_news(facts, ours, not_after, now), **facts)


def _good_news(facts: dict, ours: bool, not_after: datetime, now: datetime) -> str:
    """The sentence for a valid seal, e.g. 'selo válido; certificado expirou em …, depois da assinatura; …'."""
    parts = ["Documento íntegro; selo válido desta instância do Firma" if ours
             else "Documento íntegro; selo válido, de certificado emitido por raiz confiável"]
    day = local_time(not_after, "%d/%m/%Y")
    parts.append(f"certificado expirou em {day}, depois da assinatura" if not_after < now
                 else f"certificado válido até {day}")
    if facts["ltv"]:
        parts.append("dados de validação de longo prazo presentes (PAdES B-LTA)")
    elif facts["timestamped"]:
        parts.append("com carimbo do tempo, sem dados de validação de longo prazo (PAdES B-T)")
    else:
        parts.append("sem carimbo do tempo nem dados de validação de longo prazo (PAdES B-B)")
    if not facts["revocation_checked"]:
        parts.append("revogação não verificada (o arquivo não traz dados de revogação)")
    return "; ".join(parts) + "."


def _timestamp_certificates(sig: EmbeddedPdfSignature) -> list[asn1_x509.Certificate]:
    """The certificates carried inside the seal's RFC 3161 timestamp tokens, if any."""
    return [choice.chosen for token in extract_tst_data_iter(sig.signer_info, signed=False)
            for choice in token["certificates"] or () if choice.name == "certificate"]


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(timezone.utc) if moment is not None else None
