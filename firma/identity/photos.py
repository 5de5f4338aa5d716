"""Uploaded photos: refuse anything that is not a sane image, then store a clean, small JPEG."""
from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass, field
from typing import Any

from PIL import ExifTags, Image, ImageFile, ImageOps

from firma.platform.errors import Refusal

# Decoders we accept, whatever the file name or content type claims. MPO is how Pillow names the
# multi-picture JPEGs many phones write; HEIF only opens when a Pillow HEIF plugin is installed.
ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "HEIF"}
MIN_SIDE = 64
# What is kept of an ID document photo or a selfie: 1280 px on the long side at JPEG quality 75 (4:2:0) keeps
# 1.2-mm print on a card photographed across the frame legible, at ~half the bytes of 1600 px at quality 85.
MAX_SIDE = 1280
JPEG_QUALITY = 75
EXIF_KEPT = {
    ExifTags.Base.Make: "Make",
    ExifTags.Base.Model: "Model",
    ExifTags.Base.Software: "Software",
    ExifTags.Base.Orientation: "Orientation",
}
EXIF_KEPT_SUB = {ExifTags.Base.DateTimeOriginal: "DateTimeOriginal"}


class ImageRejected(Refusal):
    """An upload we will not store; str() is a message for the signer, code is for logs and tests."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ProcessedPhoto:
    """The stored JPEG (re-encoded, upright, without metadata) and facts about the original."""

    jpeg: bytes
    width: int
    height: int
    sha256: str
    original: dict[str, Any] = field(default_factory=dict)


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Open, verify and reopen an image, enforcing the pixel limit from the header, before decoding."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                _check_header(probe, max_pixels)
                probe.verify()
            img = Image.open(io.BytesIO(data))
    except ImageRejected:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise ImageRejected("dimensions", "Imagem com dimensões inválidas.") from exc
    except Image.UnidentifiedImageError as exc:
        raise ImageRejected("not_image", "O arquivo enviado não é uma imagem.") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageRejected("corrupt", "A foto chegou incompleta ou corrompida: envie de novo.") from exc
    return img


def _check_header(img: Image.Image, max_pixels: int) -> None:
    if img.format not in ACCEPTED_FORMATS:
        raise ImageRejected("format", "Formato de imagem não aceito: envie uma foto JPEG, PNG ou WEBP.")
    w, h = img.size
    if min(w, h) < MIN_SIDE or w * h > max_pixels:
        raise ImageRejected("dimensions", "Imagem com dimensões inválidas.")


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).replace("\x00", "").strip()[:100]


def _exif_summary(img: Image.Image) -> dict[str, str]:
    """The few EXIF fields worth keeping as evidence (device, capture time), as plain strings."""
    exif = img.getexif()
    kept = {name: _text(exif[tag]) for tag, name in EXIF_KEPT.items() if tag in exif}
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    kept |= {name: _text(sub[tag]) for tag, name in EXIF_KEPT_SUB.items() if tag in sub}
    return {k: v for k, v in kept.items() if v}


def _to_rgb(img: Image.Image) -> Image.Image:
    """Flatten transparency onto white and bring CMYK, palette and grey images to RGB."""
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return img if img.mode == "RGB" else img.convert("RGB")


def _encode(img: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, optimize=True, subsampling="4:2:0")
    return buf.getvalue()


def _decode_upright(img: Image.Image, max_side: int) -> Image.Image:
    """Decode (JPEG at a reduced DCT scale when it is much larger), apply EXIF orientation, shrink."""
    w, h = img.size
    scale = max_side / max(w, h)
    if scale < 1:
        img.draft("RGB", (round(w * scale), round(h * scale)))
    # WeasyPrint switches Pillow's process-wide LOAD_TRUNCATED_IMAGES on when imported; a half-uploaded
    # photo must still be refused here (WeasyPrint only ever gets our own complete, re-encoded images).
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        img.load()
        upright = ImageOps.exif_transpose(img)
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageRejected("corrupt", "A foto chegou incompleta ou corrompida: envie de novo.") from exc
    upright = _to_rgb(upright)
    upright.thumbnail((max_side, max_side), Image.LANCZOS)
    upright.info = {}  # Pillow would carry a JPEG comment or ICC profile into the new file
    return upright


def process_photo(
    data: bytes, *, max_bytes: int = 10_000_000, max_side: int = MAX_SIDE, max_pixels: int = 40_000_000,
    quality: int = JPEG_QUALITY,
) -> ProcessedPhoto:
    """Check an uploaded photo and re-encode it as an upright JPEG of at most max_side, metadata removed."""
    if len(data) > max_bytes:
        raise ImageRejected("too_large", f"A foto é grande demais (máximo {max_bytes / 1_000_000:g} MB).")
    if not data:
        raise ImageRejected("not_image", "O arquivo enviado não é uma imagem.")
    with _open(data, max_pixels) as img:
        original = {
            "format": img.format,
            "bytes": len(data),
            "width": img.width,
            "height": img.height,
            "sha256": hashlib.sha256(data).hexdigest(),
            "exif": _exif_summary(img),
        }
        photo = _decode_upright(img, max_side)
    jpeg = _encode(photo, quality)
    return ProcessedPhoto(jpeg, photo.width, photo.height, hashlib.sha256(jpeg).hexdigest(), original)
