"""The liveness burst as stored: every frame downscaled once at capture, with each original frame's SHA-256.

The liveness check runs on the frames exactly as the phone sent them; what is kept (and later embedded in the
final PDF byte for byte) is a zip of smaller JPEGs, enough to see the face turn and blink, plus `frames.json`
describing each original frame (SHA-256, size, dimensions) and each stored one.
"""
from __future__ import annotations

import hashlib
import io
import json
import zipfile

from firma.identity import photos

FRAME_MAX_SIDE = 320  # a 640x480 frame is kept at 320x240: the face ~120 px wide, a closed eye still plain
FRAME_QUALITY = 65
INDEX = "frames.json"
_STAMP = (2020, 1, 1, 0, 0, 0)  # fixed zip member times: the same frames give the same bytes


def frames_zip(frames: list[bytes]) -> bytes:
    """The burst as one stored file (frames in order, then frames.json), so retakes supersede it as a whole."""
    listed, stored = [], []
    for number, frame in enumerate(frames, start=1):
        name = f"frame-{number:02d}.jpg"
        entry: dict = {"name": name, "original": {"sha256": hashlib.sha256(frame).hexdigest(), "bytes": len(frame)}}
        try:
            photo = photos.process_photo(frame, max_side=FRAME_MAX_SIDE, quality=FRAME_QUALITY)
        except photos.ImageRejected as exc:  # a frame the check refused too: only its hash is kept
            entry |= {"name": None, "rejected": exc.code}
        else:
            entry["original"] |= {k: photo.original[k] for k in ("format", "width", "height")}
            entry["stored"] = {"width": photo.width, "height": photo.height, "sha256": photo.sha256,
                               "bytes": len(photo.jpeg)}
            stored.append((name, photo.jpeg))
        listed.append(entry)
    index = {
        "description": ("Quadros da prova de vida, reduzidos na captura; a verificação usou os quadros originais, "
                        "cujo SHA-256 está em original.sha256."),
        "stored_max_side": FRAME_MAX_SIDE, "stored_jpeg_quality": FRAME_QUALITY, "frames": listed,
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name, jpeg in stored:
            archive.writestr(zipfile.ZipInfo(name, _STAMP), jpeg)
        archive.writestr(zipfile.ZipInfo(INDEX, _STAMP), json.dumps(index, ensure_ascii=False, indent=1))
    return out.getvalue()
