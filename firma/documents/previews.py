"""Page images of a PDF for the signer's reading step: rendered once per PDF and width, then cached."""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import pypdfium2 as pdfium

JPEG_QUALITY = 70
# PDFium is not thread-safe; renders in one process take turns.
_PDFIUM_LOCK = threading.Lock()


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.part")
    tmp.write_bytes(data)
    os.replace(tmp, path)  # concurrent renders of the same page write the same bytes; last one wins


def _jpeg(page: pdfium.PdfPage, width: int) -> bytes:
    image = page.render(scale=width / page.get_width()).to_pil().convert("RGB")
    out = BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, progressive=True, optimize=True)
    return out.getvalue()


def _listed(index: Path) -> list[Path]:
    return [index.parent / name for name in json.loads(index.read_text())]


def preview_pdf_bytes(pdf: bytes, cache_dir: Path, width: int = 900) -> list[Path]:
    """JPEG paths of every page of a PDF, `width` pixels wide, keyed by the PDF's SHA-256."""
    folder = Path(cache_dir) / hashlib.sha256(pdf).hexdigest() / f"w{width}"
    index = folder / "pages.json"
    if index.exists():
        return _listed(index)
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    with _PDFIUM_LOCK:
        if index.exists():  # another thread finished it while this one waited
            return _listed(index)
        document = pdfium.PdfDocument(pdf)
        try:
            for number, page in enumerate(document, start=1):
                name = f"page-{number:04d}.jpg"
                try:
                    _atomic_write(folder / name, _jpeg(page, width))
                finally:
                    page.close()
                names.append(name)
        finally:
            document.close()
    # The index is written last: its presence means every page is on disk.
    _atomic_write(index, json.dumps(names).encode())
    return [folder / name for name in names]


def page_images(pdf_sha256: str, load_pdf: Callable[[], bytes], cache_dir: Path, *, width: int = 900) -> list[Path]:
    """Cached page images of a stored PDF known by its SHA-256: the bytes are loaded only on a cache miss."""
    index = Path(cache_dir) / pdf_sha256 / f"w{width}" / "pages.json"
    if index.exists():
        return _listed(index)
    return preview_pdf_bytes(load_pdf(), cache_dir, width)
