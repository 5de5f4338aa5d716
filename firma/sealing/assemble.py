"""Join the original PDF and its manifest into the final (pre-seal) PDF, with evidence files attached.

Everything goes in before the seal: appending to a sealed PDF would break its signature.
"""
from __future__ import annotations

import io
import mimetypes

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import NameObject, NumberObject

PRODUCER = "Firma"


def assemble(original_pdf: bytes, manifest_pdf: bytes, attachments: dict[str, bytes], *, title: str) -> bytes:
    """Original pages, then manifest pages, then embedded files; unencrypted and byte-for-byte reproducible."""
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(original_pdf)))
    writer.append(PdfReader(io.BytesIO(manifest_pdf)), import_outline=False)
    for name in sorted(attachments):
        embedded = writer.add_attachment(name, attachments[name])
        embedded.subtype = NameObject("/" + _mime(name))  # pypdf escapes the inner "/" as #2F
        embedded.size = NumberObject(len(attachments[name]))
    writer.add_metadata({"/Title": title, "/Producer": PRODUCER})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _mime(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def read_attachment(pdf_bytes: bytes, name: str) -> bytes | None:
    """The bytes of a PDF's embedded file by name; None when absent or when the input is not a readable PDF."""
    try:
        found = PdfReader(io.BytesIO(pdf_bytes)).attachments.get(name)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError):
        return None
    return found[0] if found else None
