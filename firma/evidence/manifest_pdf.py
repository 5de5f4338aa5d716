"""The manifest as a PDF: plain manifest data to HTML (thumbnails, QR code) to WeasyPrint."""
from __future__ import annotations

import base64
import hashlib
import io
from datetime import datetime

import jinja2
import qrcode
import qrcode.image.svg
from PIL import Image, ImageOps

from firma.br.dates import evidence_time, evidence_time_parts
from firma.config import TEMPLATES_DIR
from firma.documents.rendering import html_to_pdf
from firma.evidence.manifest import AUTOMATIC_NOTE, NOT_COLLECTED, ManifestData
from firma.models import EvidenceKind

TEMPLATES = TEMPLATES_DIR / "pdf"
THUMB_PX = 240  # measured: full-size photos tripled the PDF; 240 px stays sharp at ~30 mm
THUMB_ROWS = ((EvidenceKind.DOCUMENT_FRONT, EvidenceKind.DOCUMENT_BACK), (EvidenceKind.SELFIE, EvidenceKind.SIGNATURE))


def thumbnail(data: bytes | None, *, keep_alpha: bool = False) -> str | None:
    """A ≤240 px data: URI (JPEG, or PNG when keeping a signature's transparency); None if unreadable."""
    if not data:
        return None
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.draft("RGB", (THUMB_PX, THUMB_PX))  # JPEG decodes straight at a reduced scale: ~10x faster
            small = ImageOps.exif_transpose(im)
            small.thumbnail((THUMB_PX, THUMB_PX))
            out = io.BytesIO()
            if keep_alpha:
                small.convert("RGBA").save(out, "PNG", optimize=True)
                mime = "image/png"
            else:
                small.convert("RGB").save(out, "JPEG", quality=80)
                mime = "image/jpeg"
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return f"data:{mime};base64,{base64.b64encode(out.getvalue()).decode()}"


def qr_data_uri(url: str) -> str:
    """The verification URL as an SVG QR code (vector, so it stays sharp when printed)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2,
                         image_factory=qrcode.image.svg.SvgPathImage)
    code.add_data(url)
    code.make(fit=True)
    svg = code.make_image().to_string()
    return f"data:image/svg+xml;base64,{base64.b64encode(svg).decode()}"


def _when_parts(value: datetime | None) -> tuple[str, str]:
    return evidence_time_parts(value) if value else ("—", "")


def _size(value: int) -> str:
    return f"{value / 1024:.1f} KB".replace(".", ",") if value >= 1024 else f"{value} bytes"


def _number(value: float | None, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}f}".replace(".", ",")


SENSITIVE = ("Fotos do documento, selfie e localização são dados pessoais, e os dados biométricos são dados sensíveis "
             "(Lei nº 13.709/2018, LGPD, art. 11); controlador: o provedor; operador: Firma.")


def privacy_sentence(data: ManifestData) -> str:
    """The LGPD paragraph, stating only what each signer's evidence shows about consent and collection."""
    def biometric(s) -> bool:  # without a consent entry (plain data), the images themselves tell
        return s.consent.before_collection is not None if s.consent else bool(s.document_front or s.selfie)
    collected = [s for s in data.signers if biometric(s)]
    if not collected:
        return ("Nenhum dado biométrico foi coletado neste envelope. Os dados pessoais registrados foram tratados "
                "somente para executar e comprovar a assinatura (Lei nº 13.709/2018, LGPD).")
    late = [s.name for s in collected if not (s.consent and s.consent.before_collection)]
    if not late:
        return (f"{SENSITIVE} Foram tratados com o consentimento específico e destacado de cada signatário, dado na "
                "etapa de consentimento antes da primeira coleta (horários na seção de cada signatário), somente "
                "para comprovar a assinatura.")
    others = " Para os demais, o consentimento foi dado antes da coleta." if len(late) < len(collected) else ""
    return (f"{SENSITIVE} Para {', '.join(late)}, não há registro de consentimento para dados biométricos anterior "
            f"à primeira coleta.{others}")


_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined,
)
_env.filters.update(when=evidence_time, when_parts=_when_parts, number=_number, size=_size)


def manifest_html(data: ManifestData, *, evidence_sha256: str | None = None) -> str:
    """The manifest as HTML with every image inlined as a data: URI (thumbnails made here) beside its SHA-256."""
    thumbs = [
        {
            EvidenceKind.DOCUMENT_FRONT: thumbnail(s.document_front),
            EvidenceKind.DOCUMENT_BACK: thumbnail(s.document_back),
            EvidenceKind.SELFIE: thumbnail(s.selfie), EvidenceKind.SIGNATURE: thumbnail(s.signature, keep_alpha=True),
        }
        for s in data.signers
    ]
    digests = [
        {EvidenceKind.DOCUMENT_FRONT: _sha(s.document_front), EvidenceKind.DOCUMENT_BACK: _sha(s.document_back),
         EvidenceKind.SELFIE: _sha(s.selfie), EvidenceKind.SIGNATURE: _sha(s.signature)}
        for s in data.signers
    ]
    return _env.get_template("manifest.html").render(
        m=data, signers=list(zip(data.signers, thumbs, digests)), qr=qr_data_uri(data.verification_url),
        evidence_sha256=evidence_sha256,
        not_collected=NOT_COLLECTED, automatic_note=AUTOMATIC_NOTE, thumb_rows=THUMB_ROWS,
        privacy=privacy_sentence(data),
    )


def render_manifest(data: ManifestData, *, evidence_sha256: str | None = None) -> bytes:
    """The manifest PDF (A4, "Manifesto de assinaturas"); evidence_sha256 is the attached evidence.json's digest."""
    return html_to_pdf(manifest_html(data, evidence_sha256=evidence_sha256))[0]


def _sha(content: bytes | None) -> str | None:
    return hashlib.sha256(content).hexdigest() if content else None
