"""Sign on a 360-px phone in real Chromium: CPF, reading, ID photos, live selfie, signature, location, PDF."""
import io
import subprocess
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image
from pypdf import PdfReader

from firma.evidence import store
from firma.extensions import db
from firma.models import Envelope
from firma.sealing import verification
from tests import faces
from tests.e2e.drawing import draw_signature

pytestmark = pytest.mark.e2e


def big_photo(jpeg: bytes, width: int = 3200) -> dict:
    """A phone-sized original (the page must shrink it to ≤ 1600 px before upload)."""
    with Image.open(io.BytesIO(jpeg)) as img:
        large = img.resize((width, round(img.height * width / img.width)), Image.BICUBIC)
    out = io.BytesIO()
    large.save(out, "JPEG", quality=95)
    return {"name": "IMG_2024.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def walk_to_selfie(page, live) -> None:
    page.goto(live.url)
    page.fill("#cpf", live.cpf)
    page.click("text=Continuar")
    give_consent(page)
    page.locator("[data-page]").last.scroll_into_view_if_needed()
    page.check("input[name=have_read]")
    page.click("form button[type=submit]")
    page.wait_for_selector('[data-step="document"]')
    page.set_input_files("#photo-front", big_photo(faces.id_card_jpeg(face_px=90)))
    page.wait_for_selector('form[data-capture="front"].sent')
    page.set_input_files("#photo-back", big_photo(faces.no_face_jpeg((1000, 630))))
    page.wait_for_selector('[data-step="selfie"]')


def give_consent(page) -> None:
    """The consent step: the signature terms, then the highlighted biometric consent."""
    page.wait_for_selector('[data-step="consent"]')
    page.check("input[name=terms]")
    page.click("button:has-text('Autorizo e continuar')")


def sign_rest(page, *, share_location: bool) -> None:
    page.click("[data-live-start]")
    page.wait_for_selector('[data-step="signature"]', timeout=30_000)
    draw_signature(page)
    page.click("text=Salvar assinatura")
    page.wait_for_selector('[data-step="confirm"]')
    page.check("input[name=consent]")
    page.click("[data-geo-button]")
    page.wait_for_selector("#geo-status:has-text('registr')")
    page.click("button:has-text('Assinar')")
    page.wait_for_selector('[data-step="done"]', timeout=30_000)


def final_pdf(live_server, live) -> bytes:
    with urllib.request.urlopen(f"{live_server.url}/s/{live.token}/assinado.pdf", timeout=30) as response:
        return response.read()


def verify(live_server, pdf: bytes) -> tuple[bool, int | None]:
    """verification.verify_pdf in a worker thread: pyHanko calls asyncio.run, Playwright owns this thread's loop."""
    def run():
        with live_server.app_context():
            result = verification.verify_pdf(pdf)
            return result.ok, result.envelope.id if result.envelope else result.reason
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def manifest_text(pdf: bytes) -> str:
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages)


def pdfsig(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "final.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60).stdout


@pytest.mark.parametrize("share_location", [True, False], ids=["location-granted", "location-denied"])
def test_sign_on_a_phone_from_link_to_sealed_pdf(live_server, make_envelope, launch_phone, tmp_path,
                                                  share_location):
    live = make_envelope()
    page = launch_phone(faces.challenge_loop_y4m(tmp_path / "face.y4m"), geolocation=share_location)
    walk_to_selfie(page, live)
    assert "Passo 5 de 7" in page.text_content("#step")
    sign_rest(page, share_location=share_location)
    assert "Pronto" in page.text_content("#step")
    page.wait_for_selector("text=Baixar documento assinado")

    pdf = final_pdf(live_server, live)
    assert verify(live_server, pdf) == (True, live.envelope_id)
    with live_server.app_context():
        envelope = db.session.get(Envelope, live.envelope_id)
        client = next(s for s in envelope.signers if s.role == "client")
        front = store.latest(client, "document_front")
        assert front.data["original"]["width"] <= 1600 and front.data["face_found"]  # shrunk on the phone
        assert front.data["original"]["bytes"] <= 400_000
    assert "Signature is Valid" in pdfsig(pdf, tmp_path)
    text = manifest_text(pdf)
    assert live.client_name in text and live.representative_name in text
    assert "prova de vida ativa por desafio" in text and "aprovada" in text
    if share_location:
        assert "-22,90560" in text and "-47,06080" in text
    else:
        assert "negada" in text


def test_a_camera_without_a_face_gets_a_clear_message(live_server, make_envelope, launch_phone, tmp_path):
    live = make_envelope()
    page = launch_phone(faces.no_face_y4m(tmp_path / "cup.y4m"))
    walk_to_selfie(page, live)
    page.click("[data-live-start]")
    error = page.wait_for_selector('[data-step="selfie"] .error', timeout=30_000)
    assert "Não encontramos seu rosto" in error.text_content()
    assert page.locator("[data-attempts]").text_content().strip() == "4"
