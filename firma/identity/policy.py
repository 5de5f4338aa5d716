"""The identity-check policy: what a failed face match or an unverified liveness does (block, review, record).

The policy is resolved once per envelope when it is created (the contract's override, else the integration's);
each assessment of a signer is an audit event carrying the outcome, the policy and the decision taken.
"""
from firma.evidence import audit, store
from firma.evidence.audit import RequestInfo
from firma.models import (
    Envelope, EventType, EvidenceKind, IdentityCheckDecision, IdentityCheckOutcome, IdentityCheckPolicy, Signer,
)

FAILURES = (IdentityCheckOutcome.FACE_MISMATCH, IdentityCheckOutcome.LIVENESS_NOT_VERIFIED)
BLOCKED_MESSAGE = ("Não conseguimos confirmar que o rosto da selfie é o mesmo da foto do documento. "
                   "Faça a selfie de novo, de frente e com boa luz, ou refaça a foto do documento.")
BLOCKED_REASON = "Verificação de identidade reprovada: rosto da selfie diferente do documento em todas as tentativas."
DECISIONS = {
    IdentityCheckPolicy.BLOCK: IdentityCheckDecision.BLOCKED,
    IdentityCheckPolicy.REVIEW: IdentityCheckDecision.REVIEW,
    IdentityCheckPolicy.RECORD: IdentityCheckDecision.RECORDED,
}


def resolve(override: str | None, integration) -> IdentityCheckPolicy:
    """A contract's override ("default" or a policy) resolved against the integration's policy."""
    if override in tuple(IdentityCheckPolicy):
        return IdentityCheckPolicy(override)
    value = integration.identity_policy
    return IdentityCheckPolicy(value) if value in tuple(IdentityCheckPolicy) else IdentityCheckPolicy.REVIEW


def outcome(signer: Signer) -> IdentityCheckOutcome | None:
    """What the signer's current evidence shows; None while there is nothing to judge yet."""
    if signer.biometrics_refused:
        return IdentityCheckOutcome.WITHOUT_BIOMETRICS
    match = store.latest(signer, EvidenceKind.FACE_MATCH)
    if match is not None and match.data.get("performed") and match.data.get("same_person") is False:
        return IdentityCheckOutcome.FACE_MISMATCH
    liveness = store.latest(signer, EvidenceKind.LIVENESS)
    if liveness is not None and liveness.data.get("accepted_fallback"):
        return IdentityCheckOutcome.LIVENESS_NOT_VERIFIED
    if (liveness is not None and liveness.data.get("passed")) or match is not None:
        return IdentityCheckOutcome.PASSED
    return None


def decision_for(policy: IdentityCheckPolicy, found: IdentityCheckOutcome | None) -> IdentityCheckDecision | None:
    """What the policy does with an outcome (None when there is nothing to decide)."""
    if found is None:
        return None
    return DECISIONS[IdentityCheckPolicy(policy)] if found in FAILURES else IdentityCheckDecision.ACCEPTED


def assess(signer: Signer, info: RequestInfo) -> IdentityCheckDecision | None:
    """Judge the signer's identity evidence under the envelope's policy and record the decision as an event."""
    found = outcome(signer)
    decision = decision_for(signer.envelope.identity_policy, found)
    if decision is not None:
        audit.record(signer.envelope, EventType.SIGNER_IDENTITY_CHECK, signer=signer, info=info, outcome=found,
                     policy=signer.envelope.identity_policy, decision=decision)
    return decision


def blocked(signer: Signer) -> bool:
    """Whether the policy blocks this signer until a new attempt passes."""
    return (signer.envelope.identity_policy == IdentityCheckPolicy.BLOCK
            and outcome(signer) == IdentityCheckOutcome.FACE_MISMATCH)


def allows_fallback(signer: Signer) -> bool:
    """Whether a selfie photo without verified liveness may stand in (the integration allows it, no blocking)."""
    return signer.allow_liveness_fallback and signer.envelope.identity_policy != IdentityCheckPolicy.BLOCK


def needs_review(envelope: Envelope) -> bool:
    """Whether a signed envelope must wait for a manual decision before its contract is activated."""
    return (envelope.identity_policy == IdentityCheckPolicy.REVIEW
            and any(outcome(s) in FAILURES for s in envelope.signers))
