"""Is this PDF an unaltered document that this instance sealed, and who signed it?"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Text, cast, select

from firma.config import ConfigError
from firma.extensions import db
from firma.models import Envelope
from firma.platform.tokens import sha256_hex
from firma.sealing import finalise, judgement, trust


@dataclass
class Verification:
    """What /verificar says of an uploaded PDF, and the envelope it belongs to."""

    ok: bool
    reason: str
    check: judgement.Judgement | None
    envelope: Envelope | None


def instance_trust() -> judgement.Trust:
    """Every seal certificate this instance has used (the current one too), the trust roots, the TSA roots."""
    try:
        current = finalise.sealer().chain
    except ConfigError:  # no usable seal key here: the kept certificates and the roots still decide
        current = None
    return trust.load(current=current)


def verify_pdf(pdf: bytes, now: datetime | None = None) -> Verification:
    """Check the seal cryptographically, then find the envelope whose final PDF has this exact hash."""
    check = judgement.judge(pdf, instance_trust(), now)
    envelope = find_by_final_hash(sha256_hex(pdf)) if pdf else None
    if check.ok and envelope is None:
        # Sealed by us and intact, but not a file we issued as final (e.g. an older seal of a resealed file).
        return Verification(False, "Selo íntegro, mas este arquivo não corresponde a nenhum documento final "
                                   "emitido por esta instância.", check, None)
    return Verification(check.ok, check.reason, check, envelope if check.ok else None)


def find_by_final_hash(digest: str) -> Envelope | None:
    """The envelope whose final PDF, current or an earlier version (before an LTA refresh), has this hash."""
    envelope = db.session.scalar(select(Envelope).where(Envelope.final_sha256 == digest))
    if envelope is None:  # rare: an older copy; a plain text search of the small JSON lists, then an exact check
        candidates = db.session.scalars(select(Envelope).where(
            Envelope.final_versions.is_not(None), cast(Envelope.final_versions, Text).contains(digest)))
        envelope = next((e for e in candidates if any(v.get("sha256") == digest for v in e.final_versions)), None)
    return envelope


def find_by_code(code: str) -> Envelope | None:
    """Envelope by its public code, typed loosely (case, spaces, missing dashes)."""
    cleaned = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    if cleaned.startswith("FRM"):
        cleaned = cleaned[3:]
    if len(cleaned) != 8:
        return None
    return db.session.scalar(select(Envelope).where(Envelope.public_code == f"FRM-{cleaned[:4]}-{cleaned[4:]}"))
