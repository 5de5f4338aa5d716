"""The manual review of an envelope whose identity check failed: approve (activate) or reject, with a reason."""
from firma.evidence import audit
from firma.evidence.audit import SYSTEM, RequestInfo
from firma.extensions import db
from firma.models import ContractStatus, Envelope, EventType, ReviewDecision, ReviewState, utcnow
from firma.platform.errors import Refusal
from firma.sealing import finalise


def decide(envelope: Envelope, decision: str, reason: str, *, by: str, info: RequestInfo = SYSTEM) -> Envelope:
    """Record the reviewer's decision; approval puts the envelope into effect, rejection leaves it inactive.

    `by` names the reviewer as recorded (a staff e-mail, or the API integration). The caller checks permission.
    """
    reason = " ".join((reason or "").split())
    if decision not in tuple(ReviewDecision):
        raise Refusal("Decisão inválida: use aprovar ou reprovar.", "decision")
    if len(reason) < 3:
        raise Refusal("Informe o motivo da decisão.", "reason")
    audit.lock_envelope(envelope.id)
    db.session.refresh(envelope)  # a concurrent decision committed first: judge the current state
    if envelope.review_state != ReviewState.REQUIRED:
        raise Refusal("Esta assinatura não está aguardando revisão.", "decision")
    now = utcnow()
    approved = decision == ReviewDecision.APPROVE
    envelope.review_state = ReviewState.APPROVED if approved else ReviewState.REJECTED
    envelope.review_reason, envelope.reviewed_at, envelope.reviewed_by = reason[:1000], now, by[:254]
    audit.record(envelope, EventType.ENVELOPE_REVIEW_DECIDED, info=info, decision=ReviewDecision(decision),
                 reason=reason[:1000], by=by[:254])
    if approved:
        finalise.activate(envelope, now)
    elif envelope.contract is not None and envelope.kind == "contract" \
            and envelope.contract.status == ContractStatus.AWAITING_SIGNATURE:
        envelope.contract.status = ContractStatus.DRAFT  # not in effect; staff may correct and send again
    return envelope

