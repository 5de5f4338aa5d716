"""Which steps a signer goes through, which are done, and which one opens next."""

from firma.evidence import store
from firma.identity import policy
from firma.models import EvidenceKind, Signer
from firma.platform.errors import Refusal


class Locked(Refusal):
    """Too many wrong CPF attempts: the link is locked."""


# --- where the signer is ----------------------------------------------------------------------------

def steps_for(signer: Signer) -> list[str]:
    """The signer's steps in order, from the envelope's requirements."""
    steps = ["welcome", "consent", "read"]  # consent comes before any biometric capture
    if signer.require_document_photo and not signer.biometrics_refused:
        steps.append("document")
    if signer.require_selfie and not signer.biometrics_refused:
        steps.append("selfie")
    if signer.role != "validator":
        steps.append("signature")
    return steps + ["confirm"]


def is_step_done(signer: Signer, step: str) -> bool:
    """Whether the signer has finished this step."""
    if step == "welcome":
        return signer.identity_confirmed_at is not None
    if step == "consent":
        return signer.consented_at is not None
    if step == "read":
        return signer.read_at is not None
    if step == "document":
        front = store.latest(signer, EvidenceKind.DOCUMENT_FRONT)
        back = store.latest(signer, EvidenceKind.DOCUMENT_BACK)
        return bool(front and front.data.get("face_found")) and back is not None
    if step == "selfie":
        result = store.latest(signer, EvidenceKind.LIVENESS)
        passed = bool(result and (result.data.get("passed") or result.data.get("accepted_fallback")))
        return passed and not policy.blocked(signer)
    if step == "signature":
        return store.latest(signer, EvidenceKind.SIGNATURE) is not None
    if step == "confirm":
        return signer.status == "signed"
    raise ValueError(step)


def current_step(signer: Signer) -> str:
    """The first unfinished step, so that reopening the link resumes where the signer stopped."""
    if signer.status in ("signed", "declined", "expired") or signer.envelope.status != "pending":
        return "done"
    for step in steps_for(signer):
        if not is_step_done(signer, step):
            return step
    return "confirm"


def may_open(signer: Signer, step: str) -> bool:
    """A step is reachable when every step before it is done (going back to redo one is allowed)."""
    if signer.is_done or step not in steps_for(signer):
        return False
    steps = steps_for(signer)
    return all(is_step_done(signer, s) for s in steps[: steps.index(step)])
