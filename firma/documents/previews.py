"""Page images of a PDF: rendered in a job, one page at a time, within a pixel budget, cached per page in storage."""
from __future__ import annotations

import hashlib
import json
import math
import threading
from io import BytesIO

import pypdfium2 as pdfium

from firma.platform import jobs, storage

JPEG_QUALITY = 70
WIDTH = 900  # the signer's reading step
# No render grows past this many pixels, whatever page box a PDF declares (a 900 px A4 page is ~1.15 MP).
MAX_RENDER_PIXELS = 4_000_000
# PDFium is not thread-safe; renders in one process take turns.
_PDFIUM_LOCK = threading.Lock()


def render_scale(points_wide: float, points_high: float, width: int) -> float:
    """The pypdfium2 scale that makes a page `width` px wide, lowered so the image stays within MAX_RENDER_PIXELS."""
    if not (points_wide > 0 and points_high > 0 and math.isfinite(points_wide * points_high)):
        raise ValueError("page without a usable box")
    scale = width / points_wide
    pixels = points_wide * points_high * scale * scale
    if pixels > MAX_RENDER_PIXELS:
        scale *= math.sqrt(MAX_RENDER_PIXELS / pixels)
    return max(scale, 1e-4)


def _jpeg(page: pdfium.PdfPage, width: int) -> bytes:
    scale = render_scale(page.get_width(), page.get_height(), width)
    image = page.render(scale=scale).to_pil().convert("RGB")
    out = BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, progressive=True, optimize=True)
    return out.getvalue()


def preview_root(scope: str) -> str:
    """The storage folder of one scope's (an organization's) preview page images."""
    return f"cache/previews/{scope}"


def preview_folder(scope: str, pdf_sha256: str, width: int = WIDTH) -> str:
    """Where the page images of a preview PDF are cached in storage, per scope, the PDF's SHA-256 and width."""
    return f"{preview_root(scope)}/{pdf_sha256}/w{width}"


def _write_cached(relpath: str, data: bytes) -> None:
    try:
        storage.write_once(relpath, data)
    except storage.StorageUnavailable:
        raise
    except storage.StorageError:  # another host stored this name first (same PDF, same page): keep its copy
        pass


def preview_pages(pdf: bytes, scope: str, width: int = WIDTH) -> list[str]:
    """Storage names of the JPEGs of every page of a (small, our own) PDF, rendered once and written once."""
    folder = preview_folder(scope, hashlib.sha256(pdf).hexdigest(), width)
    index = f"{folder}/pages.json"
    if storage.exists(index):
        return json.loads(storage.read(index))
    names = []
    with _PDFIUM_LOCK:
        if storage.exists(index):  # another thread finished it while this one waited
            return json.loads(storage.read(index))
        document = pdfium.PdfDocument(pdf)
        try:
            for number, page in enumerate(document, start=1):
                relpath = f"{folder}/page-{number:04d}.jpg"
                try:
                    if not storage.exists(relpath):  # an interrupted render keeps the pages it stored
                        _write_cached(relpath, _jpeg(page, width))
                finally:
                    page.close()
                names.append(relpath)
        finally:
            document.close()
    # The index is written last: its presence means every page is stored.
    _write_cached(index, json.dumps(names).encode())
    return names


# --- the signer's pages: one job per page, cached in storage --------------------------------------------

def page_relpath(pdf_sha256: str, number: int, width: int = WIDTH) -> str:
    """Where page `number` of the PDF with this SHA-256 is cached in storage (a new PDF never reuses it)."""
    return f"cache/pages/{pdf_sha256}/w{width}/page-{number:04d}.jpg"


def cached_page(pdf_sha256: str, number: int, width: int = WIDTH) -> str | None:
    """The storage path of that page's image, or None while it is not rendered yet."""
    relpath = page_relpath(pdf_sha256, number, width)
    return relpath if storage.exists(relpath) else None


def request_page(pdf_relpath: str, pdf_sha256: str, number: int, width: int = WIDTH) -> None:
    """Queue the render of one page (after the commit); a page already cached costs the job one check."""
    jobs.enqueue("document.render_page", pdf_relpath, pdf_sha256, number, width)


def request_missing_pages(pdf_relpath: str, pdf_sha256: str, pages: int, width: int = WIDTH) -> None:
    """Queue the render of every page not cached yet, at once: the stored PDF needs no transaction of ours."""
    for number in range(1, pages + 1):
        if cached_page(pdf_sha256, number, width) is not None:
            continue
        jobs.dispatch("document.render_page", pdf_relpath, pdf_sha256, number, width)


@jobs.job("document.render_page", retries=1, retry_delay=10)
def render_page_job(pdf_relpath: str, pdf_sha256: str, number: int, width: int = WIDTH) -> bool:
    """Render page `number` of a stored PDF to a JPEG in storage, within the pixel budget."""
    relpath = page_relpath(pdf_sha256, number, width)
    if storage.exists(relpath):
        return False
    with _PDFIUM_LOCK:
        document = pdfium.PdfDocument(storage.read(pdf_relpath))
        try:
            page = document[number - 1]
            try:
                data = _jpeg(page, width)
            finally:
                page.close()
        finally:
            document.close()
    try:
        storage.write_once(relpath, data)
    except storage.StorageError:  # another worker stored this page first
        return False
    return True
