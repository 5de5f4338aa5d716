"""Is this PDF an unaltered document that this instance sealed, and who signed it?"""
from dataclasses import dataclass

from sqlalchemy import select

from firma.extensions import db
from firma.models import Envelope
from firma.platform.tokens import sha256_hex
from firma.sealing import finalise, seal


@dataclass
class Verification:
    """What /verificar says of an uploaded PDF, and the envelope it belongs to."""

    ok: bool
    reason: str
    check: seal.SealCheck | None
    envelope: Envelope | None


def verify_pdf(pdf: bytes) -> Verification:
    """Check the seal cryptographically, then find the envelope whose final PDF has this exact hash."""
    check = seal.verify_sealed_pdf(pdf, finalise.sealer().certificate_sha256)
    envelope = db.session.scalar(select(Envelope).where(Envelope.final_sha256 == sha256_hex(pdf))) if pdf else None
    if check.ok and envelope is None:
        # Sealed by us and intact, but not a file we issued as final (e.g. an older seal of a resealed file).
        return Verification(False, "Selo íntegro, mas este arquivo não corresponde a nenhum documento final "
                                   "emitido por esta instância.", check, None)
    return Verification(check.ok, check.reason, check, envelope if check.ok else None)


def find_by_code(code: str) -> Envelope | None:
    """Envelope by its public code, typed loosely (case, spaces, missing dashes)."""
    cleaned = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    if cleaned.startswith("FRM"):
        cleaned = cleaned[3:]
    if len(cleaned) != 8:
        return None
    return db.session.scalar(select(Envelope).where(Envelope.public_code == f"FRM-{cleaned[:4]}-{cleaned[4:]}"))
