"""The identity-check policy end to end: a face mismatch under block, manual review (staff and API) and record only."""
import io

import pytest
from pypdf import PdfReader

from firma.envelopes import create
from firma.evidence import audit, store
from firma.identity import capture, policy
from firma.models import EventType, EvidenceKind
from firma.org import api_tokens
from firma.platform import storage
from firma.platform.outbox import commit
from tests import faces
from tests.admin_client import log_in, post
from tests.conftest import PASSWORD
from tests.flow import client_signer
from tests.http_stub import HttpStub
from tests.images import signature_data_url
from tests.test_signer_phone import CHALLENGE, Phone

SECRET = "whsec_revisao_12345"


@pytest.fixture()
def erp():
    with HttpStub() as server:
        yield server


@pytest.fixture()
def make_photo_envelope(db, app, integration, make_contract, monkeypatch):
    monkeypatch.setitem(app.config, "LIVENESS_CHALLENGE", ",".join(CHALLENGE))

    def make(policy_name: str = "default", **integration_fields):
        for key, value in integration_fields.items():
            setattr(integration, key, value)
        db.session.commit()
        env = create.create_for_contract(make_contract(require_selfie="yes", require_document_photo="yes",
                                                       identity_policy=policy_name))
        commit()
        return client_signer(env)
    return make


def id_card(source: str) -> bytes:
    return faces.id_card_jpeg(face_px=90, source=source)


def sign_with_card(client, signer, card_face: str) -> Phone:
    """The phone flow with an ID card of `card_face` and a live selfie of the astronaut."""
    phone = Phone(client, signer)
    phone.welcome_and_read()
    assert phone.photo("front", id_card(card_face)).status_code == 303
    assert phone.photo("back", faces.no_face_jpeg((1000, 630))).status_code == 303
    selfie = phone.good_selfie()
    if selfie.status_code != 303:
        return phone
    assert phone.post("/signature", {"signature": signature_data_url()}).status_code == 303
    assert phone.post("/confirm", {"consent": "yes",
                                   "document_sha256": signer.envelope.original_sha256}).status_code == 303
    return phone


def event_types(envelope):
    return [e.type for e in audit.events_of(envelope.id)]


def test_the_policy_defaults_to_manual_review_and_a_contract_can_override_it(make_photo_envelope):
    assert make_photo_envelope().envelope.identity_policy == "review"
    assert make_photo_envelope("block").envelope.identity_policy == "block"
    assert make_photo_envelope(identity_policy="record").envelope.identity_policy == "record"


def test_a_face_mismatch_under_review_waits_for_an_approval(client, db, app, make_photo_envelope, make_user, erp):
    signer = make_photo_envelope(webhook_url=f"{erp.url}/erp", webhook_secret=SECRET)
    sign_with_card(client, signer, "grace_hopper")
    envelope, contract = signer.envelope, signer.envelope.contract
    assert store.latest(signer, EvidenceKind.FACE_MATCH).data["same_person"] is False
    assert envelope.status == "completed" and envelope.final_path  # signed and sealed
    assert envelope.review_state == "required" and contract.status == "awaiting_signature"
    types = event_types(envelope)
    assert EventType.ENVELOPE_REVIEW_REQUIRED in types and EventType.CONTRACT_ACTIVATED not in types
    check = next(e for e in audit.events_of(envelope.id) if e.type == EventType.SIGNER_IDENTITY_CHECK)
    assert check.data == {"outcome": "face_mismatch", "policy": "review", "decision": "review"}
    hooks = [r.json()["type"] for r in erp.requests]
    assert "envelope.review_required" in hooks and "contract.activated" not in hooks
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(storage.read(envelope.final_path))).pages)
    text = " ".join(text.split())
    assert "Revisão manual exigida" in text and "rostos diferentes na comparação facial" in text

    staff = app.test_client()
    make_user(email="revisora@isp.test")
    log_in(staff, "revisora@isp.test", PASSWORD)
    dashboard = staff.get("/admin/").get_data(as_text=True)
    assert "Aguardando revisão" in dashboard and envelope.public_code in dashboard.split('id="awaiting-review"')[1]
    listed = staff.get("/admin/historico?revisao=required").get_data(as_text=True)
    assert envelope.public_code in listed
    assert envelope.public_code not in staff.get("/admin/historico?revisao=approved").get_data(as_text=True)
    page = staff.get(f"/admin/assinaturas/{envelope.id}").get_data(as_text=True)
    assert "Decidir a revisão" in page and "Confirmar decisão" in page

    refused = post(staff, f"/admin/assinaturas/{envelope.id}/revisao", {"decision": "approve", "reason": ""})
    assert refused.status_code == 422 and envelope.review_state == "required"
    approved = post(staff, f"/admin/assinaturas/{envelope.id}/revisao",
                    {"decision": "approve", "reason": "Documento conferido por telefone com o cliente"})
    assert approved.status_code == 302
    db.session.expire_all()
    assert envelope.review_state == "approved" and envelope.reviewed_by == "revisora@isp.test"
    assert contract.status == "active" and contract.activated_at is not None
    decided = next(e for e in audit.events_of(envelope.id) if e.type == EventType.ENVELOPE_REVIEW_DECIDED)
    assert decided.data["decision"] == "approve" and "telefone" in decided.data["reason"]
    assert audit.verify_chain(envelope.id) is None
    hooks = [r.json()["type"] for r in erp.requests]
    assert "envelope.review_decided" in hooks and "contract.activated" in hooks
    again = post(staff, f"/admin/assinaturas/{envelope.id}/revisao", {"decision": "reject", "reason": "de novo"})
    assert again.status_code == 422 and "não está aguardando revisão" in again.get_data(as_text=True)


def test_a_staff_member_without_the_permission_cannot_review(client, app, make_photo_envelope, make_user):
    signer = make_photo_envelope()
    sign_with_card(client, signer, "grace_hopper")
    operator = app.test_client()
    make_user(email="operador@isp.test", role="operator")
    log_in(operator, "operador@isp.test", PASSWORD)
    r = post(operator, f"/admin/assinaturas/{signer.envelope_id}/revisao", {"decision": "approve", "reason": "ok ok"})
    assert r.status_code == 403 and signer.envelope.review_state == "required"
    assert "Decidir a revisão" not in operator.get(f"/admin/assinaturas/{signer.envelope_id}").get_data(as_text=True)


def test_the_erp_sees_and_decides_the_review_through_the_api(client, db, integration, make_photo_envelope):
    signer = make_photo_envelope()
    sign_with_card(client, signer, "grace_hopper")
    token = api_tokens.rotate_token(integration)
    commit()
    auth = {"Authorization": f"Bearer {token}"}
    code = signer.envelope.public_code
    shown = client.get(f"/api/v1/envelopes/{code}", headers=auth)
    assert shown.json["review_state"] == "required" and shown.json["identity_policy"] == "review"
    bad = client.post(f"/api/v1/envelopes/{code}/review", headers=auth, json={"decision": "maybe", "reason": "x"})
    assert bad.status_code == 422 and bad.content_type == "application/problem+json"
    r = client.post(f"/api/v1/envelopes/{code}/review", headers=auth,
                    json={"decision": "reject", "reason": "Selfie de outra pessoa"})
    assert r.status_code == 200 and r.json["review_state"] == "rejected", r.text
    db.session.expire_all()
    assert signer.envelope.contract.status == "draft" and signer.envelope.reviewed_by.startswith("api:")
    assert "/envelopes/{code}/review" in client.get("/api/v1/openapi.json").json["paths"]


def test_block_asks_for_a_new_selfie_then_declines(client, make_photo_envelope):
    signer = make_photo_envelope("block")
    phone = sign_with_card(client, signer, "grace_hopper")
    resumed = phone.client.get(phone.base, headers={"User-Agent": "x"})
    assert 'data-step="selfie"' in resumed.text and signer.status != "signed"
    assert phone.post("/signature", {"signature": signature_data_url()}).status_code == 409  # no way around it
    assert policy.blocked(signer) and not policy.allows_fallback(signer)
    for _ in range(capture.attempts_left(signer) - 1):
        again = phone.good_selfie()
        assert again.status_code == 422 and policy.BLOCKED_MESSAGE[:40] in again.text
    last = phone.good_selfie()
    assert last.status_code == 303 and signer.status == "declined" and signer.envelope.status == "declined"
    assert signer.decline_reason == policy.BLOCKED_REASON
    decisions = [e.data["decision"] for e in audit.events_of(signer.envelope_id)
                 if e.type == EventType.SIGNER_IDENTITY_CHECK]
    assert decisions and set(decisions) == {"blocked"}


def test_block_lets_the_same_face_through(client, make_photo_envelope):
    signer = make_photo_envelope("block")
    sign_with_card(client, signer, "astronaut")
    assert signer.status == "signed" and signer.envelope.contract.status == "active"


def test_record_only_completes_and_activates(client, make_photo_envelope):
    signer = make_photo_envelope("record")
    sign_with_card(client, signer, "grace_hopper")
    envelope = signer.envelope
    assert envelope.review_state == "none" and envelope.contract.status == "active"
    check = next(e for e in audit.events_of(envelope.id) if e.type == EventType.SIGNER_IDENTITY_CHECK)
    assert check.data["decision"] == "recorded"


def test_settings_refuse_unknown_policies(db, integration, make_contract):
    from firma.org.integrations import save_integration
    from firma.platform.errors import Refusal
    from firma.records import contracts

    with pytest.raises(Refusal) as refused:
        save_integration(integration, {"identity_policy": "maybe"})
    assert refused.value.field == "identity_policy"
    with pytest.raises(Refusal):
        save_integration(integration, {"biometric_refusal": "ignore"})
    save_integration(integration, {"identity_policy": "block", "biometric_refusal": "without_biometrics"})
    assert integration.identity_policy == "block" and integration.biometric_refusal == "without_biometrics"
    contract = make_contract()
    data = {"number": contract.number, "customer_id": contract.customer_id, "branch_id": contract.branch_id,
            "template_id": contract.template_id, "identity_policy": "sometimes"}
    with pytest.raises(Refusal) as refused:
        contracts.save_contract(contract, data)
    assert refused.value.field == "identity_policy"


def test_an_unverified_liveness_under_review_also_waits(client, make_photo_envelope):
    from tests.test_signer_phone import pose

    signer = make_photo_envelope()
    phone = Phone(client, signer)
    phone.welcome_and_read()
    phone.photo("front", id_card("astronaut"))
    phone.photo("back", faces.no_face_jpeg((1000, 630)))
    fallback = phone.post("/selfie/photo", {"photo": (io.BytesIO(pose("front")), "selfie.jpg")},
                          content_type="multipart/form-data")
    assert fallback.status_code == 303
    phone.post("/signature", {"signature": signature_data_url()})
    phone.post("/confirm", {"consent": "yes", "document_sha256": signer.envelope.original_sha256})
    envelope = signer.envelope
    assert envelope.status == "completed" and envelope.review_state == "required"
    assert envelope.contract.status == "awaiting_signature"
    required = next(e for e in audit.events_of(envelope.id) if e.type == EventType.ENVELOPE_REVIEW_REQUIRED)
    assert required.data["signers"][0]["outcome"] == "liveness_not_verified"
