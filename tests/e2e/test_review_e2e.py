"""A face mismatch under manual review, in real Chromium: the phone signs, the contract waits, staff approves it."""
import secrets

import pytest
from werkzeug.security import generate_password_hash

from firma.evidence import audit
from firma.extensions import db
from firma.models import Envelope, EventType, User
from firma.platform.outbox import commit
from tests import faces
from tests.e2e.test_admin_e2e import PASSWORD, log_in
from tests.e2e.test_signer_e2e import sign_rest, walk_to_selfie

pytestmark = pytest.mark.e2e


def test_a_face_mismatch_waits_for_review_and_an_approval_activates_the_contract(
        live_server, make_envelope, launch_phone, desk, tmp_path):
    live = make_envelope()  # the integration's default policy: manual review
    page = launch_phone(faces.challenge_loop_y4m(tmp_path / "face.y4m"))  # the astronaut's live face
    walk_to_selfie(page, live)  # ... and Grace Hopper's ID card
    sign_rest(page, share_location=True)
    page.wait_for_selector("text=Baixar documento assinado")
    with live_server.app_context():
        envelope = db.session.get(Envelope, live.envelope_id)
        assert envelope.status == "completed" and envelope.review_state == "required"
        assert envelope.contract.status == "awaiting_signature"
        code = envelope.public_code
        email = f"revisor-{secrets.token_hex(3)}@isp.test"
        db.session.add(User(name="Rita Revisora", email=email, role="admin",
                            password_hash=generate_password_hash(PASSWORD)))
        commit()

    log_in(desk, live_server.url, email)
    desk.locator(f"#awaiting-review a:has-text('{code}')").click()
    desk.wait_for_selector("text=Revisão da identificação")
    assert "rostos diferentes na comparação facial" in desk.text_content("section.review")
    desk.click("summary:has-text('Decidir a revisão')")
    desk.check("input[name=decision][value=approve]")
    desk.fill("#review-reason", "Cliente conferido por videochamada")
    desk.click("button:has-text('Confirmar decisão')")  # refused by the browser: the confirmation box is unticked
    assert desk.locator("section.review").count() == 1
    desk.check("input[name=confirm_review]")
    desk.click("button:has-text('Confirmar decisão')")
    desk.wait_for_selector("text=Revisão registrada.")
    assert "Aprovado na revisão" in desk.text_content("[data-review-state]")

    with live_server.app_context():
        envelope = db.session.get(Envelope, live.envelope_id)
        assert envelope.review_state == "approved" and envelope.contract.status == "active"
        types = [e.type for e in audit.events_of(envelope.id)]
        assert types.index(EventType.ENVELOPE_REVIEW_REQUIRED) < types.index(EventType.ENVELOPE_REVIEW_DECIDED) \
            < types.index(EventType.CONTRACT_ACTIVATED)
