"""The audit manifest rendered from plain data: contents, size, escaping, QR code, footer, evidence.json."""
import base64
import hashlib
import io
import json
import threading
from dataclasses import fields, replace
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np
import pypdfium2
import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader
from skimage import data as sample_images

from firma.documents.rendering import html_to_pdf
from firma.evidence import audit
from firma.evidence.devices import describe_user_agent
from firma.evidence.manifest import (
    LIVENESS_ACTIVE, LIVENESS_FALLBACK, EventEntry, FaceMatch, Geolocation, Liveness, ManifestData, Reading,
    SignerEntry, event_entry, evidence_json,
)
from firma.evidence.manifest_pdf import THUMB_PX, manifest_html, render_manifest, thumbnail
from firma.models import Event

T0 = datetime(2025, 3, 5, 17, 0, 0, 123456, tzinfo=timezone.utc)
ANDROID = ("Mozilla/5.0 (Linux; Android 11; SM-A125F) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/120.0.0.0 Mobile Safari/537.36")
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.2 Mobile/15E148 Safari/604.1")
CPFS = ["529.982.247-25", "111.444.777-35", "390.533.447-05", "123.456.789-09"]
URL = "https://firma.example.com.br/verificar?codigo=AB12CD34"


def photo(seed: int, px: int = 1600) -> bytes:
    """A phone-sized JPEG (as the signing page uploads it after downsizing), different per seed."""
    img = Image.fromarray(sample_images.astronaut()).crop((seed * 7 % 100, 0, 512, 384)).resize((px, px * 3 // 4))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def signature_png(seed: int = 0) -> bytes:
    img = Image.new("RGBA", (1200, 400), (0, 0, 0, 0))
    points = [(50, 300), (300, 80 + 20 * seed), (500, 320), (800, 60), (1100, 300 - 30 * seed)]
    ImageDraw.Draw(img).line(points, fill=(0, 0, 90, 255), width=9)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def signer(i: int, **changes) -> SignerEntry:
    user_agent = ANDROID if i % 2 == 0 else IPHONE
    device, os_name, browser = describe_user_agent(user_agent)
    entry = SignerEntry(
        order=i + 1, role=["client", "client_witness", "provider_representative", "provider_witness"][i % 4],
        name=f"Signatária Número{i} Souza", cpf=CPFS[i % 4], email=f"pessoa{i}@exemplo.com.br",
        phone="(11) 98765-4321", channel="whatsapp", status="signed", ip=f"200.10.20.{30 + i}",
        user_agent=user_agent, device=device, os=os_name, browser=browser,
        geolocation=Geolocation("capturada", -23.550521, -46.633308, 18.0, T0) if i % 2 == 0 else Geolocation("negada"),
        viewed_at=T0, identity_confirmed_at=T0 + timedelta(seconds=40), read_at=T0 + timedelta(minutes=3),
        signed_at=T0 + timedelta(minutes=6), document_sha256_seen="ab" * 32,
        reading=Reading([12.0, 8.5, 30.0], True), require_selfie=True, require_document_photo=True,
        liveness=Liveness(LIVENESS_ACTIVE, "piscar, depois virar o rosto para a esquerda", "aprovada", 8),
        face_match=FaceMatch(True, "rostos compatíveis", 0.3141, 0.6), signature_method="drawn",
        document_front=photo(i), document_back=photo(i + 10), selfie=photo(i + 20), signature=signature_png(i),
    )
    return replace(entry, **changes)


def events(n: int = 12) -> list[EventEntry]:
    hashes = ["0" * 64] + [hashlib.sha256(f"evento {k}".encode()).hexdigest() for k in range(1, n + 1)]
    return [
        EventEntry(seq=k, time=T0 + timedelta(minutes=k), type="signer.viewed", signer_name="Signatária Número0 Souza",
                   ip="200.10.20.30", hash=hashes[k], prev_hash=hashes[k - 1])
        for k in range(1, n + 1)
    ]


def manifest(signers: list[SignerEntry], **changes) -> ManifestData:
    data = ManifestData(
        code="AB12CD34", title="Contrato 123 — Signatária Número0 Souza", kind="contract", status="pending",
        created_at=T0, completed_at=None, original_sha256="cd" * 32, original_pages=3,
        template_name="Contrato de internet", template_version=3, integration="Integração principal",
        branch_name="Provedor Exemplo Ltda", branch_cnpj="11.222.333/0001-81", verification_url=URL,
        signers=signers, events=events(),
    )
    return replace(data, **changes)


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def image_sizes(pdf: bytes) -> list[tuple[int, int]]:
    """Width and height of each distinct image XObject (pages may share one resource dictionary)."""
    images = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for ref in page["/Resources"].get("/XObject", {}).values():
            obj = ref.get_object()
            if obj["/Subtype"] == "/Image":
                images[ref.idnum] = (int(obj["/Width"]), int(obj["/Height"]))
    return list(images.values())


@pytest.fixture(scope="module")
def two_signers_pdf() -> tuple[ManifestData, bytes]:
    data = manifest([
        signer(0),
        signer(1, liveness=Liveness(LIVENESS_FALLBACK, "—", "não verificada", 1),
               face_match=FaceMatch(False, "Comparação facial não realizada (módulo não instalado)."),
               document_back=None, channel="email"),
    ])
    return data, render_manifest(data)


def test_manifest_shows_every_signer_detail(two_signers_pdf):
    data, pdf = two_signers_pdf
    text = pdf_text(pdf)
    flat = " ".join(text.split())
    assert "Manifesto de assinaturas" in flat
    assert PdfReader(io.BytesIO(pdf)).metadata.title == "Manifesto de assinaturas"
    for s in data.signers:
        for value in (s.name, s.cpf, s.ip, s.email, s.role.label):
            assert value in flat
    assert "Celular Samsung SM-A125F · Android 11 · Chrome Mobile 120.0.0" in flat
    assert "Celular Apple iPhone · iOS 17.2 · Mobile Safari 17.2" in flat
    assert "-23,55052, -46,63331 (precisão 18 m)" in flat
    assert "Localização negada" in flat
    assert ("prova de vida ativa por desafio; desafio: piscar, depois virar o rosto para a esquerda; "
            "resultado: aprovada; quadros analisados: 8") in flat
    assert "não verificada (sem câmera)" in flat
    assert "rostos compatíveis (distância 0,3141, limite 0,6000)" in flat
    assert "Comparação facial não realizada (módulo não instalado)." in flat
    assert "não coletado Documento (verso)" in flat  # the second signer's missing back photo
    assert "MP 2.200-2/2001" in flat or "Medida Provisória nº 2.200-2/2001" in flat
    assert "não é uma detecção de ataque de apresentação certificada" in flat
    for event in data.events:  # each hash whole on one line, so it can be copied from the PDF
        assert event.hash in text


def test_footer_numbers_the_manifest_pages(two_signers_pdf):
    _, pdf = two_signers_pdf
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        text = " ".join(page.extract_text().split())
        assert f"página {number} de {len(pages)}" in text
        assert "código AB12CD34" in text


def test_qr_code_decodes_to_the_verification_url(two_signers_pdf):
    _, pdf = two_signers_pdf
    document = pypdfium2.PdfDocument(pdf)
    try:
        first = document[0].render(scale=3).to_pil().convert("L")
    finally:
        document.close()
    decoded, _, _ = cv2.QRCodeDetector().detectAndDecode(np.asarray(first))
    assert decoded == URL


def test_four_signers_with_full_size_photos_stay_small():
    data = manifest([signer(i) for i in range(4)])
    assert sum(len(s.selfie) + len(s.document_front) + len(s.document_back) for s in data.signers) > 2_000_000
    pdf = render_manifest(data)
    assert len(pdf) < 500_000
    sizes = image_sizes(pdf)
    assert len(sizes) == 16  # 3 photos + 1 signature per signer; the QR code is vector
    assert all(max(w, h) <= THUMB_PX for w, h in sizes)


def test_thumbnail_keeps_aspect_and_refuses_garbage():
    uri = thumbnail(photo(1))
    assert uri.startswith("data:image/jpeg;base64,")
    with Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))) as img:
        assert img.size == (240, 180)
    assert thumbnail(signature_png(), keep_alpha=True).startswith("data:image/png;base64,")
    assert thumbnail(b"not an image") is None
    assert thumbnail(None) is None


class _Recorder(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def loopback_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    _Recorder.hits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_markup_in_signer_data_is_text(loopback_server):
    hostile = f'<script>alert(1)</script><img src="{loopback_server}/x.png"><img src=file:///etc/passwd>'
    data = manifest([signer(0, name=hostile, document_front=None, document_back=None, selfie=None, signature=None)],
                    title=f"<link rel=stylesheet href='{loopback_server}/s.css'>")
    html = manifest_html(data)
    assert "<script>" not in html and "<img src=file" not in html and "<link rel" not in html
    assert "&lt;script&gt;" in html
    pdf = render_manifest(data)
    assert "<img src=file:///etc/passwd>" in " ".join(pdf_text(pdf).split())
    assert image_sizes(pdf) == []
    assert _Recorder.hits == []


def test_fetcher_refuses_files_and_network(loopback_server, tmp_path):
    # Even markup that does reach WeasyPrint cannot pull in a local file or call out.
    local = tmp_path / "local.png"
    local.write_bytes(base64.b64decode(thumbnail(signature_png(), keep_alpha=True).split(",", 1)[1]))
    pdf, _ = html_to_pdf(f'<img src="{loopback_server}/a.png"><link rel=stylesheet href="{loopback_server}/b.css">'
                      f'<img src="{local.as_uri()}"><p>ok</p>')
    assert _Recorder.hits == []
    assert image_sizes(pdf) == []


def test_evidence_json_is_canonical_and_complete():
    data = manifest([signer(0), signer(1, geolocation=Geolocation("negada"))])
    artifacts = [{"kind": "selfie", "file": "selfie-abc.jpg", "sha256": "ef" * 32, "size": 1234,
                  "content_type": "image/jpeg", "captured_at": T0.isoformat(), "signer_order": 1}]
    raw = evidence_json(data, variables={"cliente": {"nome": "Ana Íris"}},
                        template_version={"template": "Contrato de internet", "version": 3}, artifacts=artifacts)
    doc = json.loads(raw.decode("utf-8"))
    assert raw == json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    assert "Ana Íris" in raw.decode("utf-8")  # UTF-8, not \\u escapes
    assert doc["envelope"]["code"] == "AB12CD34" and doc["envelope"]["verification_url"] == URL
    assert doc["variables"] == {"cliente": {"nome": "Ana Íris"}}
    assert doc["template_version"]["version"] == 3 and doc["artifacts"] == artifacts
    first = doc["signers"][0]
    assert set(first) == {f.name for f in fields(SignerEntry)}
    assert first["cpf"] == CPFS[0] and first["liveness"]["frames"] == 8 and first["face_match"]["distance"] == 0.3141
    assert first["selfie"] == {"sha256": hashlib.sha256(data.signers[0].selfie).hexdigest(),
                               "size": len(data.signers[0].selfie)}
    assert doc["signers"][1]["geolocation"]["status"] == "negada"
    assert [e["hash"] for e in doc["events"]] == [e.hash for e in data.events]
    assert doc["events"][0]["time"] == T0.replace(minute=1).isoformat()


def test_event_chain_can_be_rechecked_from_evidence_json():
    prev, entries = audit.GENESIS, []
    for seq, type_ in enumerate(["envelope.created", "signer.viewed", "signer.signed"], start=1):
        event = Event(envelope_id=7, seq=seq, signer_id=None if seq == 1 else 3, type=type_,
                      created_at=T0 + timedelta(seconds=seq), ip="200.1.2.3", user_agent=ANDROID,
                      data={"n": seq, "nome": "Ana"}, prev_hash=prev)
        event.hash = prev = audit.chain_hash(prev, event)
        entries.append(event_entry(event))
    doc = json.loads(evidence_json(manifest([], events=entries, envelope_id=7), variables={}, template_version=None,
                                   artifacts=[]))
    prev = audit.GENESIS
    for item in doc["events"]:
        event = Event(envelope_id=doc["envelope"]["envelope_id"], seq=item["seq"], signer_id=item["signer_id"],
                      type=item["type"], created_at=datetime.fromisoformat(item["time"]), ip=item["ip"],
                      user_agent=item["user_agent"], data=item["data"])
        assert item["prev_hash"] == prev
        prev = audit.chain_hash(prev, event)
        assert item["hash"] == prev


@pytest.mark.parametrize("user_agent, expected", [
    (ANDROID, ("Celular Samsung SM-A125F", "Android 11", "Chrome Mobile 120.0.0")),
    ("Mozilla/5.0 (Linux; Android 12; M2101K6G Build/SKQ1.210908.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Version/4.0 Chrome/119.0 Mobile Safari/537.36 WhatsApp/2.23",
     ("Celular M2101K6G", "Android 12", "WhatsApp 2.23")),
    (None, ("não coletado",) * 3),
])
def test_describe_user_agent(user_agent, expected):
    assert describe_user_agent(user_agent) == expected


def test_event_type_is_a_member_with_its_label_and_an_unknown_one_is_refused():
    # Changed on purpose: an unknown type used to show its code; now it cannot get into a manifest at all.
    assert events(1)[0].type.label == "Link aberto pelo signatário"
    with pytest.raises(ValueError):
        replace(events(1)[0], type="x.novo")
