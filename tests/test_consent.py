"""Consent before biometrics: its own step, texts stored with their hash, refusal by policy, a truthful manifest."""
import hashlib
import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader

from firma.envelopes import create
from firma.evidence import audit, manifest, manifest_pdf, store
from firma.evidence.wording import Consent
from firma.models import EventType, EvidenceKind
from firma.platform import storage
from firma.platform.outbox import commit
from firma.signing import consent
from tests import faces
from tests.flow import PHONE_UA, client_signer, form_token, give_consent, link_for, sign, view_document
from tests.images import signature_data_url
from tests.test_signer_phone import CHALLENGE, Phone

HEADERS = {"User-Agent": PHONE_UA}
BIOMETRIC_KINDS = {"document_front", "document_back", "selfie", "liveness", "face_match"}
BIOMETRIC_EVENTS = {EventType.SIGNER_DOCUMENT_PHOTO, EventType.SIGNER_LIVENESS, EventType.SIGNER_PHOTO_REJECTED}
# Any sentence saying the biometric consent came first; allowed only where the evidence shows it.
BEFORE_CLAIM = re.compile(r"antes da (primeira )?coleta", re.IGNORECASE)


@pytest.fixture()
def biometric_signer(db, app, make_contract, monkeypatch):
    monkeypatch.setitem(app.config, "LIVENESS_CHALLENGE", ",".join(CHALLENGE))
    env = create.create_for_contract(make_contract(require_selfie="yes", require_document_photo="yes"))
    commit()
    return client_signer(env)


def pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages)


def walk_with_biometrics(client, signer) -> Phone:
    """Consent, read, ID photos (same face as the selfie), live selfie, signature, confirm."""
    phone = Phone(client, signer)
    phone.welcome_and_read()
    card = faces.id_card_jpeg(face_px=90, source="astronaut")
    assert phone.photo("front", card).status_code == 303
    assert phone.photo("back", faces.no_face_jpeg((1000, 630))).status_code == 303
    assert phone.good_selfie().status_code == 303
    assert phone.post("/signature", {"signature": signature_data_url()}).status_code == 303
    confirmed = phone.post("/confirm", {"consent": "yes", "document_sha256": signer.envelope.original_sha256})
    assert confirmed.status_code == 303, confirmed.text
    return phone


def test_the_consent_step_shows_the_terms_and_apart_the_biometric_consent(client, biometric_signer):
    token = link_for(biometric_signer)
    page = client.get(f"/s/{token}", headers=HEADERS)
    client.post(f"/s/{token}/welcome", data={"form_token": form_token(page.text), "cpf": biometric_signer.cpf})
    html = client.get(f"/s/{token}/consent", headers=HEADERS).text
    assert 'data-step="consent"' in html and "data-consent-terms" in html and "data-consent-biometric" in html
    texts = consent.texts_for(biometric_signer)
    assert "LGPD, art. 11" in texts.biometric and "Controlador:" in texts.biometric and "Operador: Firma" in texts.biometric
    assert "Finalidade" in texts.biometric and "Guarda" in texts.biometric
    # the document step cannot be reached before consenting
    photo = client.post(f"/s/{token}/document/front", headers=HEADERS, content_type="multipart/form-data",
                        data={"form_token": form_token(page.text), "photo": (io.BytesIO(faces.id_card_jpeg()), "a.jpg")})
    assert photo.status_code == 409 and store.latest(biometric_signer, "document_front") is None


def test_the_event_log_shows_consent_before_the_first_biometric_evidence(client, biometric_signer):
    walk_with_biometrics(client, biometric_signer)
    envelope = biometric_signer.envelope
    assert envelope.status == "completed"
    events = audit.events_of(envelope.id)
    types = [e.type for e in events]
    first_biometric = min(i for i, t in enumerate(types) if t in BIOMETRIC_EVENTS)
    assert types.index(EventType.SIGNER_CONSENTED) < first_biometric
    assert types.index(EventType.SIGNER_BIOMETRIC_CONSENT) < first_biometric
    rows = biometric_signer.evidence
    given = next(r for r in rows if r.kind == EvidenceKind.BIOMETRIC_CONSENT)
    assert given.captured_at < min(r.captured_at for r in rows if r.kind in BIOMETRIC_KINDS)
    # the exact text is stored as a file whose SHA-256 the event and the row carry
    stored = storage.read(given.path)
    assert hashlib.sha256(stored).hexdigest() == given.sha256 == given.data["text_sha256"]
    assert stored.decode() == consent.texts_for(biometric_signer).biometric
    event = next(e for e in events if e.type == EventType.SIGNER_BIOMETRIC_CONSENT)
    assert event.data["text_sha256"] == given.sha256 and event.data["version"] == consent.VERSION

    text = pdf_text(storage.read(envelope.final_path))
    assert "antes da primeira coleta" in text and "Textos de consentimento" in text
    assert given.sha256 in text and "Consentimento para tratamento de dados biométricos" in text
    assert "Autenticação" in text and "CPF/CNPJ confirmado" in text and "prova de vida aprovada" in text


def test_a_signer_without_biometric_steps_sees_no_biometric_wording(client, envelope):
    signer = client_signer(envelope)
    token = link_for(signer)
    page = client.get(f"/s/{token}", headers=HEADERS)
    client.post(f"/s/{token}/welcome", data={"form_token": form_token(page.text), "cpf": signer.cpf})
    html = client.get(f"/s/{token}/consent", headers=HEADERS).text
    assert "data-consent-terms" in html and "biométric" not in html.lower()
    assert give_consent(client, f"/s/{token}", form_token(page.text), signer).status_code == 303
    assert store.latest(signer, EvidenceKind.BIOMETRIC_CONSENT) is None
    sign(client, signer, token=token)
    text = pdf_text(storage.read(envelope.final_path))
    assert "Nenhum dado biométrico foi coletado" in text and not BEFORE_CLAIM.search(text)


def test_terms_are_required(client, envelope):
    signer = client_signer(envelope)
    token = link_for(signer)
    ft = form_token(client.get(f"/s/{token}").text)
    client.post(f"/s/{token}/welcome", data={"form_token": ft, "cpf": signer.cpf})
    r = client.post(f"/s/{token}/consent", data={"form_token": ft})
    assert r.status_code == 422 and "termos da assinatura" in r.text and signer.consented_at is None


def test_refusing_biometrics_declines_when_the_integration_says_so(client, biometric_signer):
    assert biometric_signer.envelope.integration.biometric_refusal == "decline"
    phone = Phone(client, biometric_signer)
    assert phone.post("/welcome", {"cpf": biometric_signer.cpf}).status_code == 303
    r = phone.post("/consent", {"terms": "yes", "biometric": "no"})
    assert r.status_code == 303 and r.location.endswith("/done")
    assert biometric_signer.status == "declined" and biometric_signer.envelope.status == "declined"
    refused = store.latest(biometric_signer, EvidenceKind.BIOMETRIC_CONSENT)
    assert refused.data["granted"] is False
    assert EventType.SIGNER_BIOMETRIC_REFUSED in [e.type for e in audit.events_of(biometric_signer.envelope_id)]


def test_refusing_biometrics_signs_without_them_where_allowed(client, db, biometric_signer):
    biometric_signer.envelope.integration.biometric_refusal = "without_biometrics"
    db.session.commit()
    phone = Phone(client, biometric_signer)
    assert phone.post("/welcome", {"cpf": biometric_signer.cpf}).status_code == 303
    r = phone.post("/consent", {"terms": "yes", "biometric": "no"})
    assert r.status_code == 303 and r.location.endswith("/read")
    view_document(client, phone.base, {"User-Agent": PHONE_UA})
    assert phone.post("/read", {"have_read": "yes", "last_page_reached": "yes"}).status_code == 303
    signature = phone.post("/signature", {"signature": signature_data_url()})
    assert signature.status_code == 303 and signature.location.endswith("/confirm")  # photo and selfie skipped
    phone.post("/confirm", {"consent": "yes", "document_sha256": biometric_signer.envelope.original_sha256})
    envelope = biometric_signer.envelope
    assert envelope.status == "completed" and biometric_signer.biometrics_refused
    assert not any(r.kind in BIOMETRIC_KINDS for r in biometric_signer.evidence)
    text = pdf_text(storage.read(envelope.final_path))
    assert "sem biometria" in text and "não autorizado" in text and not BEFORE_CLAIM.search(text)


def test_no_manifest_sentence_claims_consent_before_collection_when_it_came_after(client, biometric_signer):
    walk_with_biometrics(client, biometric_signer)
    data = manifest.collect(biometric_signer.envelope, public_url="https://firma.test")
    entry = next(s for s in data.signers if s.role == "client")
    assert entry.consent.before_collection is True
    assert BEFORE_CLAIM.search(pdf_text(manifest_pdf.render_manifest(data)))
    # The same envelope as the old flow recorded it: consent at confirm, after the photos and the selfie.
    late = entry.consent.first_biometric_at + timedelta(minutes=3)
    entry.consent = Consent(terms_at=late, terms_sha256=None, biometric="autorizado", biometric_at=late,
                            biometric_sha256=None, first_biometric_at=entry.consent.first_biometric_at,
                            before_collection=False)
    text = pdf_text(manifest_pdf.render_manifest(data))
    assert not BEFORE_CLAIM.search(text.replace("não há consentimento registrado antes da primeira coleta", "")
                                   .replace("anterior à primeira coleta", ""))
    assert "não há consentimento registrado antes da primeira coleta" in text
    assert f"Para {entry.name}, não há registro de consentimento" in text


def test_consent_is_given_once(client, biometric_signer):
    phone = Phone(client, biometric_signer)
    phone.welcome_and_read()
    again = phone.post("/consent", {"terms": "yes", "biometric": "no"})  # back on the consent page later
    assert again.status_code == 303 and not biometric_signer.biometrics_refused
    types = [e.type for e in audit.events_of(biometric_signer.envelope_id)]
    assert types.count(EventType.SIGNER_CONSENTED) == 1 and EventType.SIGNER_BIOMETRIC_REFUSED not in types
