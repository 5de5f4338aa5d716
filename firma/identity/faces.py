"""Faces on images (mediapipe): decoding frames safely and finding the face on an ID document photo."""
from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import mediapipe as mp
import numpy as np
from PIL import Image

MAX_FRAME_BYTES = 2_000_000
MAX_FRAME_SIDE = 1920


TILE_MIN_SCORE = 0.65  # small tiles make detectors see faces in texture (0.53 on a coffee cup)


class SharedGraph:
    """One mediapipe graph per process, behind a lock (graphs are not safe to share across threads)."""

    def __init__(self, factory: Any) -> None:
        self._factory = factory
        self._instance: Any = None
        self._lock = threading.Lock()

    @contextmanager
    def use(self) -> Iterator[Any]:
        """Borrow the process's graph, built on first use, under its lock."""
        with self._lock:
            if self._instance is None:
                self._instance = self._factory()
            yield self._instance


_detect_full = SharedGraph(lambda: mp.solutions.face_detection.FaceDetection(model_selection=1))
_detect_short = SharedGraph(lambda: mp.solutions.face_detection.FaceDetection(model_selection=0))


class BadFrame(ValueError):
    """A frame that is not a decodable image of sane size."""


def decode_image(data: bytes) -> np.ndarray:
    """Decode JPEG/PNG bytes into an RGB array, refusing oversized input before decoding."""
    if len(data) > MAX_FRAME_BYTES:
        raise BadFrame("frame too large")
    try:
        with Image.open(io.BytesIO(data)) as img:
            if max(img.size) > MAX_FRAME_SIDE or img.format not in {"JPEG", "PNG", "WEBP"}:
                raise BadFrame("unexpected frame")
            return np.asarray(img.convert("RGB"))
    except (OSError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise BadFrame(str(exc)) from exc


@dataclass(frozen=True)
class FaceFinding:
    """Faces found on a document photo; boxes are normalised (x, y, w, h)."""

    found: bool
    count: int
    boxes: list[tuple[float, float, float, float]]
    largest_fraction: float  # widest box width / image width
    method: str  # "full_range", "tiled" or "none"

    def to_dict(self) -> dict[str, Any]:
        """The finding as stored in the evidence row's data."""
        return asdict(self)


def _detections(detector: Any, rgb: np.ndarray) -> list[tuple[float, float, float, float, float]]:
    result = detector.process(rgb)
    boxes = []
    for det in result.detections or ():
        b = det.location_data.relative_bounding_box
        boxes.append((b.xmin, b.ymin, b.width, b.height, det.score[0]))
    return boxes


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Intersection over the smaller box: tiles see the same face at two scales."""
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    smaller = min(a[2] * a[3], b[2] * b[3])
    return ix * iy / smaller if smaller else 0.0


def _tiles(h: int, w: int) -> Iterator[tuple[int, int, int]]:
    """Overlapping squares of the short side and of half of it: (x, y, side)."""
    for side in (min(h, w), min(h, w) // 2):
        step = max(1, side // 2)
        for y in sorted({*range(0, h - side + 1, step), h - side}):
            for x in sorted({*range(0, w - side + 1, step), w - side}):
                yield x, y, side


def _tiled(rgb: np.ndarray) -> list[tuple[float, float, float, float]]:
    """Run both detectors on overlapping squares, so a small face on an ID card fills more of the input."""
    h, w = rgb.shape[:2]
    found: list[tuple[float, float, float, float, float]] = []
    for x, y, side in _tiles(h, w):
        tile = np.ascontiguousarray(rgb[y : y + side, x : x + side])
        for shared in (_detect_full, _detect_short):
            with shared.use() as detector:
                for bx, by, bw, bh, score in _detections(detector, tile):
                    if score >= TILE_MIN_SCORE:
                        found.append(((x + bx * side) / w, (y + by * side) / h, bw * side / w, bh * side / h, score))
    kept: list[tuple[float, float, float, float, float]] = []
    for box in sorted(found, key=lambda b: -b[4]):
        if all(_overlap(box, k) < 0.5 for k in kept):
            kept.append(box)
    return [k[:4] for k in kept]


def detect_document_face(jpeg: bytes) -> FaceFinding:
    """Find faces on an ID document photo: full-range detector, then tiles for small card faces."""
    rgb = decode_image(jpeg)
    with _detect_full.use() as detector:
        boxes = [b[:4] for b in _detections(detector, rgb)]
    method = "full_range"
    if not boxes:
        boxes, method = _tiled(rgb), "tiled"
    if not boxes:
        return FaceFinding(False, 0, [], 0.0, "none")
    rounded = [tuple(round(v, 4) for v in b) for b in boxes]
    return FaceFinding(True, len(boxes), rounded, round(max(b[2] for b in boxes), 4), method)  # type: ignore[arg-type]
