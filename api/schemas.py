"""JSON shapes of the API's resources (documented in api/openapi.py; tests check they agree)."""
from datetime import datetime

from flask import url_for

from firma.evidence import store
from firma.models import Batch, Contract, Customer, DocumentTemplate, Envelope, Signer


def when(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds").replace("+00:00", "Z") if value else None


def customer(c: Customer) -> dict:
    return {"id": c.id, "name": c.name, "cpf_cnpj": c.cpf_cnpj, "email": c.email, "phone": c.phone,
            "street": c.street, "number": c.number, "complement": c.complement, "district": c.district,
            "city": c.city, "state": c.state, "zip_code": c.zip_code, "created_at": when(c.created_at)}


def contract(c: Contract) -> dict:
    return {"id": c.id, "number": c.number, "status": c.status, "customer_cpf_cnpj": c.customer.cpf_cnpj,
            "branch_id": c.branch_id, "template_id": c.template_id, "plan": c.plan, "price": str(c.price),
            "due_day": c.due_day, "loyalty_months": c.loyalty_months,
            "installation_address": c.installation_address, "use_digital_signature": c.use_digital_signature,
            "activate_on_signature": c.activate_on_signature, "require_selfie": c.require_selfie,
            "require_document_photo": c.require_document_photo, "activated_at": when(c.activated_at),
            "created_at": when(c.created_at), "updated_at": when(c.updated_at)}


def template(t: DocumentTemplate) -> dict:
    current = t.current
    return {"id": t.id, "name": t.name, "kind": t.kind, "active": t.active,
            "version": current.number if current else None}


def evidence_summary(s: Signer) -> dict:
    """What was collected from a signer, without the personal data itself."""
    kinds = sorted({row.kind for row in s.evidence if not row.superseded})
    geo = store.latest(s, "geolocation")
    liveness = store.latest(s, "liveness")
    return {"collected": kinds, "geolocation": (geo.data or {}).get("status") if geo else None,
            "liveness_passed": (liveness.data or {}).get("passed") if liveness else None,
            "document_sha256_seen": s.document_sha256_seen}


def signer(s: Signer) -> dict:
    return {"id": s.id, "role": s.role, "name": s.name, "email": s.email, "phone": s.phone, "channel": s.channel,
            "status": s.status, "order": s.order, "require_document_photo": s.require_document_photo,
            "require_selfie": s.require_selfie, "require_geolocation": s.require_geolocation,
            "viewed_at": when(s.viewed_at), "signed_at": when(s.signed_at), "declined_at": when(s.declined_at),
            "decline_reason": s.decline_reason, "reminders_sent": s.reminders_sent,
            "last_sent_at": when(s.last_sent_at), "evidence": evidence_summary(s)}


def envelope_url(e: Envelope, document: str) -> str:
    return url_for("api.envelope_document", code=e.public_code, document=document, _external=True)


def envelope(e: Envelope, *, signers: bool = True) -> dict:
    body = {"id": e.id, "public_code": e.public_code, "kind": e.kind, "title": e.title, "status": e.status,
            "contract_number": e.contract.number if e.contract is not None else None,
            "service_order_number": e.service_order.number if e.service_order is not None else None,
            "original_sha256": e.original_sha256, "final_sha256": e.final_sha256,
            "finalise_state": e.finalise_state, "expires_at": when(e.expires_at), "created_at": when(e.created_at),
            "completed_at": when(e.completed_at), "cancelled_at": when(e.cancelled_at),
            "cancel_reason": e.cancel_reason,
            "documents": {"original": envelope_url(e, "original"),
                          "final": envelope_url(e, "final") if e.final_path else None,
                          "manifest": envelope_url(e, "manifest") if e.final_path else None}}
    if signers:
        body["signers"] = [signer(s) for s in e.signers]
    return body


def batch(b: Batch) -> dict:
    counts: dict[str, int] = {}
    for item in b.items:
        counts[item.status] = counts.get(item.status, 0) + 1
    return {"id": b.id, "action": b.action, "status": b.status, "total": b.total, "processed": b.processed,
            "items": counts, "created_at": when(b.created_at), "finished_at": when(b.finished_at),
            "url": url_for("api.get_batch", batch_id=b.id, _external=True)}
