import re
from datetime import timedelta

import pytest

from firma.envelopes import lifecycle
from firma.evidence import audit, store
from firma.models import Evidence, utcnow
from firma.platform.errors import Refusal
from firma.platform.outbox import commit
from firma.signing import actions
from tests.flow import PHONE_UA, client_signer, form_token, give_consent, link_for, sign, view_document


def test_the_whole_flow_signs_and_records_evidence(client, envelope):
    signer = client_signer(envelope)
    response = sign(client, signer)
    assert response.status_code == 303 and response.location.endswith("/done")
    assert signer.status == "signed" and signer.document_sha256_seen == envelope.original_sha256
    kinds = {e.kind for e in signer.evidence}
    assert {"reading", "signature", "geolocation", "device", "consent"} <= kinds
    device = store.latest(signer, "device").data
    assert device["os"].startswith("Android") and device["mobile"] is True and device["ip"] == "127.0.0.1"
    assert store.latest(signer, "reading").data["last_page_reached"] is True
    done = client.get(response.location)
    assert "Pronto" in done.text


def test_the_envelope_is_sealed_when_the_last_signer_signs(client, envelope, app):
    signer = client_signer(envelope)
    sign(client, signer)
    assert envelope.status == "completed" and envelope.final_sha256
    assert envelope.contract.status == "active"
    done = client.get(f"/s/{link_for(signer)}/done")
    with client.get(re.search(r'href="([^"]+assinado\.pdf)"', done.text).group(1)) as final:
        assert final.status_code == 200 and final.data.startswith(b"%PDF")


def test_htmx_gets_the_next_step_as_a_fragment(client, envelope):
    signer = client_signer(envelope)
    token = link_for(signer)
    page = client.get(f"/s/{token}")
    r = client.post(f"/s/{token}/welcome", data={"form_token": form_token(page.text), "cpf": signer.cpf},
                    headers={"HX-Request": "true"})
    assert r.status_code == 200 and r.headers["HX-Push-Url"].endswith("/consent")
    assert "<html" not in r.text and 'data-step="consent"' in r.text


def test_plain_requests_get_the_whole_page(client, envelope):
    signer = client_signer(envelope)
    token = link_for(signer)
    page = client.get(f"/s/{token}")
    assert "<html" in page.text and "HX-Push-Url" not in page.headers
    r = client.post(f"/s/{token}/welcome", data={"form_token": form_token(page.text), "cpf": signer.cpf})
    assert r.status_code == 303 and r.headers["Location"].endswith("/consent") and "HX-Push-Url" not in r.headers


def test_wrong_cpf_counts_attempts_then_locks(client, envelope, app):
    signer = client_signer(envelope)
    token = link_for(signer)
    ft = form_token(client.get(f"/s/{token}").text)
    for attempt in range(1, app.config["CPF_ATTEMPTS"]):
        r = client.post(f"/s/{token}/welcome", data={"form_token": ft, "cpf": "111.444.777-35"})
        assert r.status_code == 422 and "não confere" in r.text
    r = client.post(f"/s/{token}/welcome", data={"form_token": ft, "cpf": "111.444.777-35"})
    assert "tentativas excedido" in r.text
    r = client.post(f"/s/{token}/welcome", data={"form_token": ft, "cpf": signer.cpf})
    assert "tentativas excedido" in r.text and signer.identity_confirmed_at is None


def test_form_token_is_bound_to_the_link(client, envelope):
    signer = client_signer(envelope)
    token = link_for(signer)
    r = client.post(f"/s/{token}/welcome", data={"form_token": "0" * 64, "cpf": signer.cpf})
    assert r.status_code == 400 and signer.identity_confirmed_at is None


def test_steps_cannot_be_skipped(client, envelope):
    signer = client_signer(envelope)
    token = link_for(signer)
    r = client.get(f"/s/{token}/confirm")
    assert r.status_code == 302 and r.location.endswith("/welcome")
    ft = form_token(client.get(f"/s/{token}").text)
    r = client.post(f"/s/{token}/signature", data={"form_token": ft, "typed_name": "Fulano de Tal"})
    assert r.status_code == 409


def test_reopening_the_link_resumes_at_the_first_unfinished_step(client, envelope):
    signer = client_signer(envelope)
    token = link_for(signer)
    ft = form_token(client.get(f"/s/{token}").text)
    client.post(f"/s/{token}/welcome", data={"form_token": ft, "cpf": signer.cpf})
    again = client.get(f"/s/{token}")
    assert 'data-step="consent"' in again.text
    give_consent(client, f"/s/{token}", ft, signer)
    again = client.get(f"/s/{token}")
    assert 'data-step="read"' in again.text


def test_typed_signature_works_without_javascript(client, envelope):
    signer = client_signer(envelope)
    sign(client, signer, drawn=False)
    sig = store.latest(signer, "signature")
    assert sig.data["method"] == "typed" and sig.content_type == "image/png" and sig.size > 100


@pytest.mark.parametrize("bad, message", [
    ("", "nome completo"),  # neither drawn nor typed
    ("data:image/png;base64,not-base64!!", "inválida"),
    ("data:image/png;base64,iVBORw0KGgo=", "inválida"),
])
def test_bad_signature_images_are_refused(client, envelope, bad, message):
    signer = client_signer(envelope)
    token = link_for(signer)
    ft = form_token(client.get(f"/s/{token}").text)
    client.post(f"/s/{token}/welcome", data={"form_token": ft, "cpf": signer.cpf})
    give_consent(client, f"/s/{token}", ft, signer)
    view_document(client, f"/s/{token}")
    client.post(f"/s/{token}/read", data={"form_token": ft, "have_read": "yes"})
    r = client.post(f"/s/{token}/signature", data={"form_token": ft, "signature": bad})
    assert r.status_code == 422 and message in r.text
    assert store.latest(signer, "signature") is None


def test_blank_signature_is_refused(db, envelope):
    import base64
    import io

    from PIL import Image
    out = io.BytesIO()
    Image.new("RGBA", (400, 100), (0, 0, 0, 0)).save(out, "PNG")
    signer = client_signer(envelope)
    with pytest.raises(Refusal, match="em branco"):
        actions.save_drawn_signature(signer, "data:image/png;base64," + base64.b64encode(out.getvalue()).decode(),
                                     audit.RequestInfo())


def test_consent_is_required(client, envelope):
    signer = client_signer(envelope)
    token = link_for(signer)
    ft = form_token(client.get(f"/s/{token}").text)
    client.post(f"/s/{token}/welcome", data={"form_token": ft, "cpf": signer.cpf})
    give_consent(client, f"/s/{token}", ft, signer)
    view_document(client, f"/s/{token}")
    client.post(f"/s/{token}/read", data={"form_token": ft, "have_read": "yes"})
    client.post(f"/s/{token}/signature", data={"form_token": ft, "typed_name": signer.name})
    r = client.post(f"/s/{token}/confirm", data={"form_token": ft, "document_sha256": envelope.original_sha256})
    assert r.status_code == 422 and "concorda" in r.text and signer.status != "signed"
    r = client.post(f"/s/{token}/confirm", data={"form_token": ft, "consent": "yes", "document_sha256": "f" * 64})
    assert r.status_code == 303  # a posted hash is ignored: the server recorded what it served
    assert signer.document_sha256_seen == envelope.original_sha256


def test_denied_geolocation_is_recorded_not_hidden(client, envelope):
    signer = client_signer(envelope)
    token = link_for(signer)
    ft = form_token(client.get(f"/s/{token}").text)
    r = client.post(f"/s/{token}/geolocation", data={"form_token": ft, "status": "denied"})
    assert r.status_code == 200 and "não autorizou" in r.text
    assert store.latest(signer, "geolocation").data == {"status": "denied"}
    r = client.post(f"/s/{token}/geolocation", data={"form_token": ft, "status": "granted", "latitude": "999",
                                                     "longitude": "0"})
    assert r.status_code == 422


def test_required_geolocation_blocks_confirmation(client, db, envelope):
    signer = client_signer(envelope)
    signer.require_geolocation = True
    db.session.commit()
    token = link_for(signer)
    ft = form_token(client.get(f"/s/{token}").text)
    client.post(f"/s/{token}/welcome", data={"form_token": ft, "cpf": signer.cpf})
    give_consent(client, f"/s/{token}", ft, signer)
    view_document(client, f"/s/{token}")
    client.post(f"/s/{token}/read", data={"form_token": ft, "have_read": "yes"})
    client.post(f"/s/{token}/signature", data={"form_token": ft, "typed_name": signer.name})
    client.post(f"/s/{token}/geolocation", data={"form_token": ft, "status": "denied"})
    r = client.post(f"/s/{token}/confirm", data={"form_token": ft, "consent": "yes",
                                                 "document_sha256": envelope.original_sha256})
    assert r.status_code == 422 and "exige sua localização" in r.text


def test_unknown_used_and_expired_links_show_clear_pages(client, db, envelope):
    assert "não é válido" in client.get("/s/not-a-real-token").text
    signer = client_signer(envelope)
    old = link_for(signer)
    new = link_for(signer)
    r = client.get(f"/s/{old}")
    assert r.status_code == 404 and "substituído" in r.text
    signer.token_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    r = client.get(f"/s/{new}")
    assert r.status_code == 410 and "expirou" in r.text


def test_a_signed_link_only_shows_the_done_page(client, envelope):
    signer = client_signer(envelope)
    token = link_for(signer)
    sign(client, signer, token=token)
    r = client.get(f"/s/{token}/read")
    assert r.status_code == 302 and r.location.endswith("/done")
    ft = form_token(client.get(f"/s/{token}/done").text) if "form_token" in client.get(f"/s/{token}/done").text else ""
    r = client.post(f"/s/{token}/confirm", data={"form_token": ft})
    assert r.status_code == 302


def test_decline_with_a_reason_closes_the_envelope(client, envelope):
    signer = client_signer(envelope)
    token = link_for(signer)
    page = client.get(f"/s/{token}/decline")
    ft = form_token(page.text)
    r = client.post(f"/s/{token}/decline", data={"form_token": ft, "reason": "x"})
    assert r.status_code == 422 and "por que" in r.text
    r = client.post(f"/s/{token}/decline", data={"form_token": ft, "reason": "O valor está errado"})
    assert r.status_code == 303
    assert signer.status == "declined" and envelope.status == "declined"
    assert envelope.contract.status == "draft"


def test_evidence_of_a_signed_signer_is_immutable(client, envelope):
    signer = client_signer(envelope)
    sign(client, signer)
    with pytest.raises(store.EvidenceLocked):
        store.save(signer, "signature", info=audit.RequestInfo(), data={})


def test_cancelled_envelope_link_is_gone(client, db, envelope):
    signer = client_signer(envelope)
    token = link_for(signer)
    lifecycle.cancel(envelope, reason="Cliente desistiu")
    commit()
    r = client.get(f"/s/{token}")
    assert r.status_code in (404, 410)
    assert envelope.status == "cancelled"
    assert db.session.query(Evidence).count() == 0


def test_pages_render_as_cached_images(client, envelope):
    token = link_for(client_signer(envelope))
    with client.get(f"/s/{token}/pages/1.jpg") as r:
        assert r.status_code == 200 and r.mimetype == "image/jpeg" and r.data[:2] == b"\xff\xd8"
    assert client.get(f"/s/{token}/pages/99.jpg").status_code == 404
    with client.get(f"/s/{token}/documento.pdf") as r:
        assert r.data.startswith(b"%PDF")


def test_security_headers(client, envelope):
    token = link_for(client_signer(envelope))
    page = client.get(f"/s/{token}", headers={"User-Agent": PHONE_UA})
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["Cache-Control"] == "no-store"
    embed = client.get(f"/embed/{token}")
    assert "frame-ancestors http://portal.test:8080" in embed.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in embed.headers
    assert "script-src 'self'" in embed.headers["Content-Security-Policy"]
