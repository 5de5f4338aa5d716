"""Join the original PDF and its manifest into the final (pre-seal) PDF, with evidence files attached.

Everything goes in before the seal: appending to a sealed PDF would break its signature. Each file is an
associated file of the document (PDF 2.0 / PDF/A-3 style): listed in the catalog's /AF and in the
EmbeddedFiles name tree, with /UF, /Desc, /AFRelationship /Supplement, its MIME /Subtype, size and MD5 checksum.
"""
from __future__ import annotations

import hashlib
import io
import mimetypes
from collections.abc import Iterable, Mapping

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, ByteStringObject, NameObject, NumberObject, TextStringObject

from firma.evidence.attachments import RELATIONSHIP, Attachment

PRODUCER = "Firma"


def assemble(original_pdf: bytes, manifest_pdf: bytes, attachments: Iterable[Attachment] | Mapping[str, bytes], *,
             title: str) -> bytes:
    """Original pages, then manifest pages, then associated files; unencrypted and byte-for-byte reproducible."""
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(original_pdf)))
    writer.append(PdfReader(io.BytesIO(manifest_pdf)), import_outline=False)
    associated = ArrayObject()
    for item in sorted(_attachments(attachments), key=lambda a: a.name):
        embedded = writer.add_attachment(item.name, item.content)
        embedded.alternative_name = TextStringObject(item.name)  # /UF: the Unicode file name readers show
        embedded.description = TextStringObject(item.description)
        embedded.associated_file_relationship = NameObject("/" + RELATIONSHIP)
        embedded.subtype = NameObject("/" + item.mime)  # pypdf escapes the inner "/" as #2F
        embedded.size = NumberObject(len(item.content))
        embedded.checksum = ByteStringObject(hashlib.md5(item.content).digest())  # noqa: S324 - PDF's /CheckSum
        associated.append(embedded.pdf_object.indirect_reference)
    if associated:
        writer.root_object[NameObject("/AF")] = associated
    writer.add_metadata({"/Title": title, "/Producer": PRODUCER})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _attachments(given: Iterable[Attachment] | Mapping[str, bytes]) -> list[Attachment]:
    """Attachments as given, or built from a name → bytes mapping (MIME type guessed from the name)."""
    if isinstance(given, Mapping):
        return [Attachment(name=name, mime=mimetypes.guess_type(name)[0] or "application/octet-stream", kind="file",
                           signer_order=None, description=name, content=content) for name, content in given.items()]
    return list(given)


def read_attachment(pdf_bytes: bytes, name: str) -> bytes | None:
    """The bytes of a PDF's embedded file by name; None when absent or when the input is not a readable PDF."""
    try:
        found = PdfReader(io.BytesIO(pdf_bytes)).attachments.get(name)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError):
        return None
    return found[0] if found else None
