"""Hostile PDF uploads: extreme page boxes and page counts are refused; renders stay within a pixel budget, run in a
job one page at a time, and the reading step shows "gerando" placeholders instead of waiting."""
from io import BytesIO

import pypdfium2 as pdfium
import pytest
from PIL import Image

from firma.documents import previews
from firma.documents.rendering import MAX_PAGE_SIDE_PT, load_uploaded_pdf
from firma.envelopes import create
from firma.platform import jobs, storage
from firma.platform.errors import Refusal
from firma.platform.outbox import commit
from tests.flow import client_signer, link_for
from tests.test_documents import pypdf_pdf

MB = 1024 * 1024


def tiny_pdf(width: float, height: float) -> bytes:
    """A minimal hand-written PDF (a few hundred bytes) declaring a page box of width × height points."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] /Contents 4 0 R >>".encode(),
               b"<< /Length 25 >>\nstream\n0 0 m 100 100 l S\nendstream"]
    out, offsets = BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    out.write(b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets))
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def test_the_474_byte_pdf_with_an_extreme_box_is_refused():
    hostile = tiny_pdf(14_400_000, 14_400_000)
    assert len(hostile) < 600
    with pytest.raises(Refusal, match=f"o limite é {MAX_PAGE_SIDE_PT} pt"):
        load_uploaded_pdf(hostile, max_bytes=MB)


@pytest.mark.parametrize(("width", "height", "message"), [
    (20_000, 800, "o limite é 14400 pt"), (595, 10, "pequena ou estreita demais"),
    (14_000, 100, "pequena ou estreita demais")])
def test_unreadable_boxes_are_refused_in_portuguese(width, height, message):
    with pytest.raises(Refusal, match=message):
        load_uploaded_pdf(tiny_pdf(width, height), max_bytes=MB)


def test_common_paper_sizes_pass():
    assert load_uploaded_pdf(tiny_pdf(595, 842), max_bytes=MB) == 1
    assert load_uploaded_pdf(tiny_pdf(2384, 3370), max_bytes=MB) == 1  # A0


def test_the_api_answers_the_refusal(client, integration, branch, db):
    import base64

    from firma.org.api_tokens import rotate_token
    token = rotate_token(integration)
    commit()
    signers = [{"role": "client", "name": "Ana Souza", "cpf": "52998224725", "email": "ana@example.com",
                "channel": "email"}]
    response = client.post("/api/v1/envelopes", headers={"Authorization": f"Bearer {token}"}, json={
        "source": "upload", "branch_id": branch.id, "title": "Hostil", "signers": signers,
        "pdf_base64": base64.b64encode(tiny_pdf(14_400_000, 14_400_000)).decode()})
    assert response.status_code == 422 and "o limite é 14400 pt" in response.json["detail"]


@pytest.mark.parametrize(("width", "height"), [(14_400, 14_400), (14_400_000, 14_400_000), (36, 14_400)])
def test_no_render_exceeds_the_pixel_budget(app_context, width, height):
    document = pdfium.PdfDocument(tiny_pdf(width, height))  # straight to the renderer, past the upload check
    page = document[0]
    try:
        image = Image.open(BytesIO(previews._jpeg(page, previews.WIDTH)))
    finally:
        page.close()
        document.close()
    assert image.width * image.height <= previews.MAX_RENDER_PIXELS
    if width == 36:  # 900 px wide would be 360,000 px tall (324 MP): lowered to the budget, not to nothing
        assert image.width * image.height > previews.MAX_RENDER_PIXELS * 0.95


@pytest.fixture()
def long_envelope(db, branch, make_customer, integration):
    envelope = create.create_for_upload(pypdf_pdf([(595, 842)] * 40), title="Contrato longo", branch=branch,
                                        signers=[create.client_spec(make_customer(), integration)])
    commit()
    return envelope


def test_a_page_request_renders_that_page_only(client, long_envelope):
    token = link_for(client_signer(long_envelope))
    response = client.get(f"/s/{token}/pages/7.jpg")
    response.close()
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    cached = [n for n in range(1, 41) if previews.cached_page(long_envelope.original_sha256, n)]
    assert cached == [7]  # not the 39 others
    assert storage.exists(previews.page_relpath(long_envelope.original_sha256, 7))


def test_without_a_worker_the_reading_step_shows_placeholders(app, client, long_envelope):
    huey = jobs.queue(app)
    token = link_for(client_signer(long_envelope))
    huey.immediate = False  # the queue now holds jobs until a worker takes them
    try:
        image = client.get(f"/s/{token}/pages/3.jpg")
        part = client.get(f"/s/{token}/pages/3", headers={"HX-Request": "true"})
        pending = len(huey)
        while (task := huey.dequeue()) is not None:  # the worker's turn
            huey.execute(task)
    finally:
        huey.immediate = True
    assert image.status_code == 202 and image.mimetype == "image/svg+xml" and b"Gerando" in image.data
    assert image.headers["Cache-Control"] == "no-store"
    html = part.get_data(as_text=True)
    assert "Gerando a página 3" in html and 'hx-trigger="load delay:1500ms"' in html
    assert pending >= 1
    ready = client.get(f"/s/{token}/pages/3", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<img" in ready and "Gerando" not in ready
    served = client.get(f"/s/{token}/pages/3.jpg")
    served.close()
    assert served.mimetype == "image/jpeg"
    assert client.get(f"/s/{token}/pages/41.jpg").status_code == 404
