"""Identity evidence on the signer's phone: ID document photos, the liveness selfie, its fallback, face match.

Every function records what it saw (even a rejection the signer must retake) as evidence plus an audit
event, and never commits: the view does, once.
"""
from __future__ import annotations

from flask import current_app

from firma.evidence import audit, store
from firma.evidence.audit import RequestInfo
from firma.identity import burst, facematch, faces, liveness, photos, policy
from firma.models import EventType, Evidence, EvidenceKind, Signer
from firma.platform import storage
from firma.platform.errors import Refusal
from firma.signing.claims import count_attempt
from firma.signing.steps import Locked

SIDES = ("front", "back")
MAX_LIVENESS_ATTEMPTS = 5
FALLBACK_MESSAGE = "Prova de vida não verificada: a câmera ao vivo não estava disponível neste navegador."
NO_FACE_ON_DOCUMENT = ("Não encontramos o rosto na foto do documento. Fotografe a frente do documento, "
                       "com a foto bem visível, sem reflexo, e envie de novo.")
NO_FACE_ON_SELFIE = "Não encontramos seu rosto na foto. Fotografe seu rosto de frente, com boa luz."

NO_ATTEMPTS_LEFT = "Você usou todas as tentativas da selfie. Peça um novo link ao provedor."


class LivenessLocked(Locked):
    """The signer used every liveness attempt of this link."""


def _photo(signer: Signer, data: bytes) -> photos.ProcessedPhoto:
    try:
        return photos.process_photo(data, max_bytes=current_app.config["MAX_UPLOAD_BYTES"])
    except photos.ImageRejected as exc:
        audit.record(signer.envelope, EventType.SIGNER_PHOTO_REJECTED, signer=signer, code=exc.code)
        raise Refusal(str(exc)) from None


def save_document_photo(signer: Signer, side: str, data: bytes, info: RequestInfo) -> Evidence:
    """Store one side of the ID document; the front is checked for a face (result kept either way)."""
    if side not in SIDES:
        raise ValueError(side)
    photo = _photo(signer, data)
    record: dict = {"side": side, "width": photo.width, "height": photo.height, "original": photo.original}
    if side == "front":
        finding = faces.detect_document_face(photo.jpeg)
        record.update(face_found=finding.found, face=finding.to_dict())
    row = store.save(signer, EvidenceKind(f"document_{side}"), info=info, content=photo.jpeg, content_type="image/jpeg",
                         data=record)
    audit.record(signer.envelope, EventType.SIGNER_DOCUMENT_PHOTO, signer=signer, info=info, side=side,
                 sha256=photo.sha256, face_found=record.get("face_found"))
    if side == "front" and record["face_found"] and store.latest(signer, EvidenceKind.SELFIE) is not None:
        match_faces(signer, info)  # a retaken document after the selfie is compared again
    return row


def attempts_left(signer: Signer) -> int:
    """How many liveness attempts the signer still has."""
    return max(0, MAX_LIVENESS_ATTEMPTS - signer.liveness_attempts)


def start_liveness(signer: Signer) -> list[str]:
    """Issue a fresh challenge for one attempt (fixed by LIVENESS_CHALLENGE in tests and demos)."""
    if attempts_left(signer) <= 0:
        raise LivenessLocked(NO_ATTEMPTS_LEFT)
    fixed = current_app.config.get("LIVENESS_CHALLENGE")
    challenge = [c.strip() for c in fixed.split(",") if c.strip()] if fixed else liveness.new_challenge()
    if count_attempt(signer, Signer.liveness_attempts) > MAX_LIVENESS_ATTEMPTS:  # a racing start took the last one
        raise LivenessLocked(NO_ATTEMPTS_LEFT)
    signer.liveness_challenge = challenge
    return challenge


def check_selfie_burst(signer: Signer, frames: list[bytes], info: RequestInfo) -> liveness.LivenessResult:
    """Check the burst against the challenge issued for this attempt; the challenge is spent either way."""
    challenge = signer.liveness_challenge
    if not challenge:
        raise Refusal("A verificação expirou. Toque em “Começar” para tentar de novo.")
    signer.liveness_challenge = None
    result = liveness.check_burst(frames, challenge)
    data = result.to_dict() | {"attempt": signer.liveness_attempts, "method": "active_challenge"}
    content = burst.frames_zip(frames) if 0 < len(frames) <= liveness.MAX_FRAMES else None
    store.save(signer, EvidenceKind.LIVENESS, info=info, content=content,
                   content_type="application/zip" if content else None, data=data)
    if result.passed:
        store.save(signer, EvidenceKind.SELFIE, info=info, content=_representative(frames, result),
                       content_type="image/jpeg", data={"method": "burst", "challenge": challenge})
    audit.record(signer.envelope, EventType.SIGNER_LIVENESS, signer=signer, info=info, passed=result.passed,
                 code=result.code, challenge=challenge, attempt=signer.liveness_attempts)
    if result.passed:
        match_faces(signer, info)
    return result


def _representative(frames: list[bytes], result: liveness.LivenessResult) -> bytes:
    """The frame facing the camera most squarely, eyes open, for the manifest thumbnail."""
    def score(item: tuple[int, dict]) -> float:
        yaw, ear = item[1].get("yaw"), item[1].get("ear")
        return abs((yaw if yaw is not None else 0.0) - 0.5) - 0.1 * (ear or 0.0)
    best = min(enumerate(result.frames), key=score)[0] if result.frames else 0
    return photos.process_photo(frames[best]).jpeg


def save_fallback_selfie(signer: Signer, data: bytes, info: RequestInfo) -> Evidence:
    """Without a camera stream, a single photo: recorded honestly as liveness not verified."""
    if not policy.allows_fallback(signer):
        raise Refusal("Este documento exige a selfie com a câmera ao vivo. Abra o link no navegador do "
                        "celular (Chrome ou Safari) e permita o uso da câmera.")
    photo = _photo(signer, data)
    finding = faces.detect_document_face(photo.jpeg)
    if not finding.found:
        raise Refusal(NO_FACE_ON_SELFIE)
    row = store.save(signer, EvidenceKind.SELFIE, info=info, content=photo.jpeg, content_type="image/jpeg",
                         data={"method": "fallback_photo", "face": finding.to_dict(), "original": photo.original})
    store.save(signer, EvidenceKind.LIVENESS, info=info, data={
        "passed": False, "accepted_fallback": True, "code": "not_verified", "method": "fallback_photo",
        "message": FALLBACK_MESSAGE, "challenge": [], "frames": [],
    })
    audit.record(signer.envelope, EventType.SIGNER_LIVENESS, signer=signer, info=info, passed=False,
                 code="not_verified", fallback=True)
    match_faces(signer, info)
    return row


def match_faces(signer: Signer, info: RequestInfo) -> Evidence | None:
    """Compare the selfie with the document's face when both exist (without the extra, say so), then judge it."""
    selfie, front = store.latest(signer, EvidenceKind.SELFIE), store.latest(signer, EvidenceKind.DOCUMENT_FRONT)
    if selfie is None:
        return None
    row = None
    if front is not None and front.data.get("face_found"):
        result = facematch.match_faces(storage.read(selfie.path), storage.read(front.path))
        row = store.save(signer, EvidenceKind.FACE_MATCH, info=info, data=result.to_dict())
    policy.assess(signer, info)
    return row
