"""Optional selfie-to-document face comparison (dlib ResNet descriptors), with the face-match extra.

The extra is `dlib-bin` + `face_recognition_models`. The models package is located with find_spec
and never imported (its __init__ imports pkg_resources, which new setuptools removed). We use the
5-point shape predictor: the 68-point model's training data forbids commercial use.
"""
from __future__ import annotations

import importlib
import importlib.util
import io
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from firma.identity.faces import detect_document_face

THRESHOLD = 0.6  # dlib's usual distance threshold for the ResNet descriptor
CROP_SIDE = 320  # the face is scaled to ~half of this before landmarks and descriptor
SHAPE_MODEL = "shape_predictor_5_face_landmarks.dat"
ENCODER_MODEL = "dlib_face_recognition_resnet_model_v1.dat"

_lock = threading.Lock()
_models: dict[str, Any] = {}


@dataclass(frozen=True)
class MatchResult:
    """Whether the comparison ran and, if so, the descriptor distance and verdict."""

    performed: bool
    distance: float | None
    threshold: float
    same_person: bool | None
    detail: str  # pt-BR, for the audit manifest

    def to_dict(self) -> dict[str, Any]:
        """The result as stored in the evidence row's data."""
        return asdict(self)


def _model_dir() -> Path | None:
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "models"
    return folder if (folder / SHAPE_MODEL).is_file() and (folder / ENCODER_MODEL).is_file() else None


def is_available() -> bool:
    """True when dlib and the model files are installed (the face-match extra)."""
    return importlib.util.find_spec("dlib") is not None and _model_dir() is not None


def _load() -> dict[str, Any]:
    """Load dlib's detector, 5-point predictor and encoder once per process (~0.2 s)."""
    if not _models:
        dlib = importlib.import_module("dlib")
        folder = _model_dir()
        assert folder is not None
        _models.update(
            dlib=dlib,
            detector=dlib.get_frontal_face_detector(),
            shape=dlib.shape_predictor(str(folder / SHAPE_MODEL)),
            encoder=dlib.face_recognition_model_v1(str(folder / ENCODER_MODEL)),
        )
    return _models


def _face_crop(jpeg: bytes) -> np.ndarray | None:
    """Find the largest face (mediapipe, tiles for ID cards) and return it centred in a square crop."""
    finding = detect_document_face(jpeg)
    if not finding.found:
        return None
    with Image.open(io.BytesIO(jpeg)) as img:
        rgb = img.convert("RGB")
    x, y, w, h = max(finding.boxes, key=lambda b: b[2] * b[3])
    cx, cy = (x + w / 2) * rgb.width, (y + h / 2) * rgb.height
    half = max(w * rgb.width, h * rgb.height)  # crop twice the face size
    box = (round(cx - half), round(cy - half), round(cx + half), round(cy + half))
    return np.asarray(rgb.crop(box).resize((CROP_SIDE, CROP_SIDE), Image.LANCZOS))


def _descriptor(models: dict[str, Any], crop: np.ndarray) -> np.ndarray:
    found = models["detector"](crop, 0)
    if len(found):
        rect = max(found, key=lambda r: r.area())
    else:  # HOG missed it; the crop is centred on mediapipe's face box
        quarter = CROP_SIDE // 4
        rect = models["dlib"].rectangle(quarter, quarter, CROP_SIDE - quarter, CROP_SIDE - quarter)
    shape = models["shape"](crop, rect)
    return np.asarray(models["encoder"].compute_face_descriptor(crop, shape))


def _not_performed(detail: str) -> MatchResult:
    return MatchResult(False, None, THRESHOLD, None, detail)


def _decimal(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def match_faces(selfie_jpeg: bytes, document_jpeg: bytes) -> MatchResult:
    """Compare the selfie face with the document photo face; a score, not a certified verdict."""
    if not is_available():
        return _not_performed("Comparação facial não realizada (módulo não instalado).")
    selfie, document = _face_crop(selfie_jpeg), _face_crop(document_jpeg)
    if selfie is None:
        return _not_performed("Comparação facial não realizada: rosto não encontrado na selfie.")
    if document is None:
        return _not_performed("Comparação facial não realizada: rosto não encontrado na foto do documento.")
    with _lock:
        models = _load()
        distance = float(np.linalg.norm(_descriptor(models, selfie) - _descriptor(models, document)))
    same = distance <= THRESHOLD
    verdict = "Rostos compatíveis" if same else "Rostos diferentes"
    return MatchResult(
        True, round(distance, 4), THRESHOLD, same,
        f"{verdict} (distância {_decimal(distance)}; limite {_decimal(THRESHOLD)}).",
    )
