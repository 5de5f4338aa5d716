"""The phone flow through its routes: photo upload limits, selfie attempts, resume, redo, decline, embedding."""
import io
from functools import lru_cache

import pytest
from PIL import Image

from firma.envelopes import create
from firma.envelopes.create import SignerSpec
from firma.evidence import store
from firma.identity import capture
from firma.models import Event
from firma.platform.outbox import commit
from tests import faces
from tests.flow import PHONE_UA, form_token, link_for, view_document

CHALLENGE = ["turn_left", "turn_right"]
HEADERS = {"User-Agent": PHONE_UA}


@lru_cache(maxsize=None)
def pose(name: str) -> bytes:
    yaw = {"left": faces.TURN_DEGREES, "right": -faces.TURN_DEGREES}.get(name, 0.0)
    return faces.face_jpeg("astronaut", yaw=yaw)


@lru_cache(maxsize=None)
def id_card() -> bytes:
    return faces.id_card_jpeg(face_px=90)


class Phone:
    """One signer's link driven through the test client, as a phone without JavaScript would."""

    def __init__(self, client, signer, mode="s"):
        self.client, self.signer = client, signer
        self.base = f"/{mode}/{link_for(signer)}"
        self.ft = form_token(client.get(self.base, headers=HEADERS).text)

    def post(self, path, data=None, **kw):
        return self.client.post(self.base + path, data={"form_token": self.ft, **(data or {})}, headers=HEADERS, **kw)

    def welcome_and_read(self):
        assert self.post("/welcome", {"cpf": self.signer.cpf}).status_code == 303
        assert self.post("/consent", {"terms": "yes", "biometric": "yes"}).status_code == 303
        view_document(self.client, self.base, HEADERS)
        assert self.post("/read", {"have_read": "yes", "last_page_reached": "yes"}).status_code == 303

    def photo(self, side, data, name="foto.jpg"):
        return self.post(f"/document/{side}", {"photo": (io.BytesIO(data), name)}, content_type="multipart/form-data")

    def selfie(self, frames):
        challenge = self.post("/selfie/challenge")
        assert challenge.status_code == 200, challenge.text
        files = [(io.BytesIO(f), f"f{n}.jpg") for n, f in enumerate(frames)]
        return self.post("/selfie", {"frame": files}, content_type="multipart/form-data")

    def good_selfie(self):
        return self.selfie([pose(p) for p in ("front", "front", "left", "left", "front", "right", "right", "front")])


@pytest.fixture()
def signer(db, app, make_contract, monkeypatch):
    monkeypatch.setitem(app.config, "LIVENESS_CHALLENGE", ",".join(CHALLENGE))
    env = create.create_for_contract(make_contract(require_selfie="yes", require_document_photo="yes"))
    commit()
    return next(s for s in env.signers if s.role == "client")


@pytest.fixture()
def phone(client, signer):
    return Phone(client, signer)


def png(size, mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (200, 200)).save(out, "GIF")
    return out.getvalue()


@pytest.mark.parametrize(("data", "message"), [
    (lambda: png((9000, 9000), "1"), "dimensões inválidas"),  # a tiny file that decodes to 81 Mpx
    (lambda: b"these are not the pixels you are looking for" * 50, "não é uma imagem"),
    (gif, "Formato de imagem não aceito"),
])
def test_bad_uploads_are_refused_with_a_clear_message(phone, data, message):
    phone.welcome_and_read()
    response = phone.photo("front", data())
    assert response.status_code == 422 and message in response.text
    assert store.latest(phone.signer, "document_front") is None


def test_an_oversized_upload_is_refused_before_the_body_is_read(phone, app, monkeypatch):
    phone.welcome_and_read()
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", 100_000)
    response = phone.photo("front", b"\xff\xd8" + b"0" * 400_000)
    assert response.status_code == 413 and "grande demais" in response.text


def test_front_without_a_face_asks_for_a_retake_and_keeps_the_record(phone):
    phone.welcome_and_read()
    response = phone.photo("front", faces.no_face_jpeg((1000, 700)))
    assert response.status_code == 422 and "Não encontramos o rosto" in response.text
    assert store.latest(phone.signer, "document_front").data["face_found"] is False
    assert phone.photo("front", id_card()).status_code == 303


def test_reopening_the_link_resumes_at_the_first_unfinished_step(client, phone):
    phone.welcome_and_read()
    phone.photo("front", id_card())
    again = client.get(phone.base, headers=HEADERS)
    assert 'data-step="document"' in again.text and "Passo 4 de 7" in again.text and "enviada" in again.text
    phone.photo("back", id_card())
    assert 'data-step="selfie"' in client.get(phone.base, headers=HEADERS).text


def test_a_photo_can_be_redone_before_confirming(client, phone):
    phone.welcome_and_read()
    phone.photo("front", id_card())
    phone.photo("back", id_card())
    assert phone.good_selfie().status_code == 303
    assert 'data-step="signature"' in client.get(phone.base, headers=HEADERS).text
    first = store.latest(phone.signer, "document_back")
    assert client.get(phone.base + "/document", headers=HEADERS).status_code == 200
    response = phone.photo("back", id_card())
    assert response.status_code == 303 and response.location.endswith("/signature")
    assert first.superseded and store.latest(phone.signer, "document_back").id != first.id


def test_selfie_attempts_are_limited(phone):
    phone.welcome_and_read()
    phone.photo("front", id_card())
    phone.photo("back", id_card())
    for _ in range(capture.MAX_LIVENESS_ATTEMPTS):
        failed = phone.selfie([pose("front")] * 8)
        assert failed.status_code == 422 and "movimento pedido" in failed.text
    locked = phone.post("/selfie/challenge")
    assert locked.status_code == 422 and "todas as tentativas" in locked.json["error"]
    assert "todas as tentativas" in phone.client.get(phone.base + "/selfie", headers=HEADERS).text


def test_no_camera_fallback_photo_passes_as_not_verified(phone):
    phone.welcome_and_read()
    phone.photo("front", id_card())
    phone.photo("back", id_card())
    response = phone.post("/selfie/photo", {"photo": (io.BytesIO(pose("front")), "selfie.jpg")},
                          content_type="multipart/form-data")
    assert response.status_code == 303 and response.location.endswith("/signature")
    assert store.latest(phone.signer, "liveness").data["accepted_fallback"] is True


@pytest.mark.parametrize("steps_done", [0, 2, 3])
def test_decline_at_any_step(phone, db, steps_done):
    if steps_done:
        phone.welcome_and_read()
    if steps_done == 3:
        phone.photo("front", id_card())
        phone.photo("back", id_card())
    response = phone.post("/decline", {"reason": "Não contratei este plano"})
    assert response.status_code == 303 and response.location.endswith("/done")
    assert phone.signer.status == "declined" and phone.signer.envelope.status == "declined"
    assert db.session.query(Event).filter_by(type="signer.declined", signer_id=phone.signer.id).count() == 1


def test_a_validator_approves_without_drawing_a_signature(client, db, branch):
    env = create.create_for_upload(
        faces_pdf(), title="Termo de validação", branch=branch,
        signers=[SignerSpec(role="validator", name="Vera Validadora", cpf="52998224725", email="v@example.com")])
    commit()
    signer = env.signers[0]
    phone = Phone(client, signer)
    phone.welcome_and_read()
    page = client.get(phone.base, headers=HEADERS)
    assert 'data-step="confirm"' in page.text and "Passo 4 de 4" in page.text and ">Aprovar<" in page.text
    response = phone.post("/confirm", {"consent": "yes", "document_sha256": env.original_sha256})
    assert response.status_code == 303 and signer.status == "signed"
    assert store.latest(signer, "signature") is None and store.latest(signer, "consent") is not None


def faces_pdf() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (595, 842), "white").save(out, "PDF")
    return out.getvalue()


def test_embed_is_framable_only_by_the_integrations_origins_and_sets_no_cookie(client, signer):
    token = link_for(signer)
    # /s/ first: the db fixture's app context (hence flask.g) is shared by the test client's requests
    direct = client.get(f"/s/{token}", headers=HEADERS)
    assert "frame-ancestors 'none'" in direct.headers["Content-Security-Policy"]
    assert direct.headers["X-Frame-Options"] == "DENY"
    embedded = client.get(f"/embed/{token}", headers=HEADERS)
    assert embedded.status_code == 200 and "X-Frame-Options" not in embedded.headers
    assert embedded.headers["Content-Security-Policy"].endswith("frame-ancestors http://portal.test:8080")
    assert 'data-origins="http://portal.test:8080"' in embedded.text
    ft = form_token(embedded.text)
    posted = client.post(f"/embed/{token}/welcome", data={"form_token": ft, "cpf": signer.cpf}, headers=HEADERS)
    assert posted.status_code == 303
    assert not any("Set-Cookie" in r.headers for r in (embedded, direct, posted))


def test_pwa_worker_and_offline_page(client, db):
    with client.get("/sw.js") as worker:
        assert worker.status_code == 200 and worker.mimetype == "text/javascript"
        assert "/offline" in worker.text
    assert "Sem conexão" in client.get("/offline").text
    with client.get("/static/manifest.webmanifest") as manifest:
        assert manifest.json["lang"] == "pt-BR" and len(manifest.json["icons"]) == 3
