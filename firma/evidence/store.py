"""Store captured evidence: a write-once file plus one Evidence row; retakes supersede, never overwrite."""
import secrets

from sqlalchemy import select
from user_agents import parse as parse_user_agent

from firma.evidence.audit import RequestInfo
from firma.extensions import db
from firma.models import Evidence, Signer, utcnow
from firma.platform import storage
from firma.platform.tokens import sha256_hex

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "application/json": "json", "application/zip": "zip",
              "text/plain": "txt"}


class EvidenceLocked(RuntimeError):
    """The signer has finished: their evidence can no longer change."""


def save(signer: Signer, kind: str, *, info: RequestInfo, content: bytes | None = None,
          content_type: str | None = None, data: dict | None = None) -> Evidence:
    """Record one item; an earlier item of the same kind is marked superseded (a retake)."""
    if signer.is_done:
        raise EvidenceLocked("evidence of a finished signer is immutable")
    for old in current(signer, kind):
        old.superseded = True
    row = Evidence(envelope_id=signer.envelope_id, signer_id=signer.id, kind=kind, data=data or {},
                   ip=info.ip, port=info.port if info.ip else None, user_agent=info.user_agent,
                   captured_at=utcnow())
    if content is not None:
        ext = EXTENSIONS.get(content_type or "", "bin")
        name = f"{kind}-{secrets.token_hex(6)}.{ext}"
        row.path = storage.write_once(f"envelopes/{signer.envelope.public_code}/signer-{signer.id}/{name}", content)
        row.sha256, row.size, row.content_type = sha256_hex(content), len(content), content_type
    db.session.add(row)
    db.session.flush()
    return row


def current(signer: Signer, kind: str) -> list[Evidence]:
    """The signer's evidence of a kind that no retake has superseded."""
    query = select(Evidence).where(Evidence.signer_id == signer.id, Evidence.kind == kind,
                                   Evidence.superseded.is_(False)).order_by(Evidence.id)
    return list(db.session.scalars(query))


def latest(signer: Signer, kind: str) -> Evidence | None:
    """The signer's newest current evidence of a kind, or None."""
    items = current(signer, kind)
    return items[-1] if items else None


def device(info: RequestInfo) -> dict:
    """The parsed device, OS and browser of a user agent, kept beside the full string."""
    ua = parse_user_agent(info.user_agent or "")
    return {
        "user_agent": info.user_agent,
        "ip": info.ip,
        "port": info.port,
        "device": " ".join(filter(None, [ua.device.brand, ua.device.model])) or ua.device.family,
        "os": f"{ua.os.family} {ua.os.version_string}".strip(),
        "browser": f"{ua.browser.family} {ua.browser.version_string}".strip(),
        "mobile": ua.is_mobile,
        "in_app": any(k in (info.user_agent or "") for k in ("WhatsApp", "FBAN", "FBAV", "Instagram", "; wv)")),
    }
