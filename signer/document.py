"""The document as the signer sees it: page images (rendered by a job, recorded when sent) and the PDF download."""
import io

from flask import abort, render_template, send_file

from firma.documents import previews
from firma.platform import storage
from firma.platform.outbox import commit
from firma.signing import served

from . import bp
from .views import MODES, info, load_signer

PENDING_PAGE = """<svg xmlns="http://www.w3.org/2000/svg" width="900" height="1273" viewBox="0 0 900 1273">\
<rect width="900" height="1273" fill="#f4f6f8"/><text x="450" y="636" font-family="sans-serif" font-size="36" \
text-anchor="middle" fill="#5b6675">Gerando a página…</text></svg>"""


def _page(signer, number: int):
    """The stored image of page `number`, asking a job for it when missing (404 outside the document)."""
    envelope = signer.envelope
    if not 1 <= number <= envelope.original_pages:
        abort(404)
    image = previews.cached_page(envelope.original_sha256, number)
    if image is None:
        previews.request_page(envelope.original_path, envelope.original_sha256, number)
        commit()  # queues the job (run inline when QUEUE_IMMEDIATE is set)
        image = previews.cached_page(envelope.original_sha256, number)
    return image


@bp.get(f"/{MODES}/pages/<int:number>.jpg")
def page_image(mode: str, token: str, number: int):
    """One page of the document as an image; while a job renders it, a "gerando" placeholder (never a wait).

    Each page sent is recorded (its SHA-256, once per version): what the signer saw is the server's record."""
    signer = load_signer(token, mode)
    image = _page(signer, number)
    if image is None:
        return PENDING_PAGE, 202, {"Content-Type": "image/svg+xml", "Cache-Control": "no-store", "Retry-After": "2"}
    data = storage.read(image)
    if served.page_image_served(signer, number, data, source_sha256=signer.envelope.original_sha256,
                                width=previews.WIDTH, info=info()):
        commit()
    response = send_file(io.BytesIO(data), mimetype="image/jpeg", max_age=3600)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.get(f"/{MODES}/pages/<int:number>")
def page_part(mode: str, token: str, number: int):
    """The reading step's picture of one page: the image once rendered, else a placeholder that polls again."""
    signer = load_signer(token, mode)
    ready = _page(signer, number) is not None
    return render_template("signer/_page_image.html", mode=mode, token=token, n=number, ready=ready,
                           envelope=signer.envelope)


@bp.get(f"/{MODES}/documento.pdf")
def original(mode: str, token: str):
    """The original PDF, as served to this signer."""
    signer = load_signer(token, mode)
    pdf = storage.read(signer.envelope.original_path)
    if served.pdf_served(signer, pdf, info=info()):
        commit()
    return send_file(io.BytesIO(pdf), mimetype="application/pdf",
                     download_name=f"{signer.envelope.public_code}-original.pdf")


# --- identity: document photo and liveness selfie ----------------------------------------------------
