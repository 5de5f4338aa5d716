"""The liveness selfie: a random challenge and the check of a burst of frames (mediapipe face mesh).

This is active challenge-response liveness (the signer turns the head or blinks on request, in a
short burst of frames); it is not certified presentation-attack detection (ISO/IEC 30107) and a
good replay or mask can beat it. It raises the cost of using someone else's photo.
"""
from __future__ import annotations

import random
import statistics
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import mediapipe as mp
import numpy as np

from firma.identity.faces import BadFrame, SharedGraph, decode_image
from firma.models import LivenessChallenge

CHALLENGES = tuple(LivenessChallenge)
# "Left" is the signer's own left: in the mirrored preview the signer sees the face move to the
# left of the screen. In the unmirrored camera frame the server receives, the nose then moves
# towards the image's right, so the yaw ratio below rises. Frames must be sent unmirrored.
PROMPTS = {  # the instruction the signer reads; the challenge's label is what the manifest reports
    LivenessChallenge.TURN_LEFT: "Vire devagar o rosto para a esquerda",
    LivenessChallenge.TURN_RIGHT: "Vire devagar o rosto para a direita",
    LivenessChallenge.BLINK: "Pisque devagar",
}

# FaceMesh landmarks (image-left/right): nose tip, the eyes as p1..p6 for the EAR formula.
NOSE_TIP = 1
RIGHT_EYE = (33, 160, 158, 133, 153, 144)
LEFT_EYE = (362, 385, 387, 263, 373, 380)
# Stable points for the identity signature (3D distances, so a head turn changes them little).
SIGNATURE_PAIRS = (
    (1, 152), (1, 10), (33, 133), (362, 263), (133, 362), (1, 61),
    (1, 291), (61, 291), (2, 152), (234, 454), (6, 1), (98, 327),
)
SKIN_POINTS = (151, 50, 280)  # forehead and both cheeks

# Thresholds calibrated on the synthetic frames of tests/faces.py (warped sample photos), not on
# real phone video: revisit them with real captures.
MIN_FRAMES = 4
MAX_FRAMES = 12


MIN_FACE_FRACTION = 0.18  # face width / frame width
MAX_CENTRE_OFFSET = 0.25  # face centre distance from the frame centre, per axis, in frame units
MIN_BRIGHTNESS = 50.0  # mean luma, 0..255
GOOD_FRAME_SHARE = 0.75  # "most frames" must be near enough and centred
BASELINE_FRAMES = 2  # the first frames give the signer's own resting yaw
BASELINE_YAW_SPAN = 0.08  # the resting yaw is clamped to 0.5 ± this (a frame mid-turn is no rest)
YAW_DELTA = 0.15  # a turn moves the yaw ratio at least this far from the resting yaw
OPEN_EAR_PERCENTILE = 75  # eyes are open in most frames: this percentile of EAR is "open"
BLINK_RATIO = 0.6  # a blink frame has EAR below this share of the open EAR
SAME_POSE_YAW = 0.05  # frames this close in yaw have comparable geometry
MAX_GEOMETRY_DIFF = 0.035  # median relative difference of the signature between same-pose frames
MAX_CHROMA_DIFF = 8.0  # skin Cr/Cb difference (0..255) between any two frames


MESSAGES = {
    "ok": "Prova de vida concluída.",
    "too_few_frames": "Não recebemos fotos suficientes: tente de novo.",
    "too_many_frames": "Recebemos fotos demais: tente de novo.",
    "bad_frame": "Uma das fotos chegou com defeito: tente de novo.",
    "too_dark": "Procure um lugar com mais luz e tente de novo.",
    "no_face": "Não encontramos seu rosto: olhe para a câmera e tente de novo.",
    "multiple_faces": "Apareceu mais de um rosto: fique sozinho na frente da câmera.",
    "too_far": "Aproxime o rosto da câmera.",
    "off_centre": "Centralize o rosto na moldura.",
    "different_faces": "O rosto mudou durante a captura: tente de novo sozinho na frente da câmera.",
    "challenge_not_met": "Não vimos o movimento pedido: tente de novo devagar.",
}


_mesh = SharedGraph(
    lambda: mp.solutions.face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=True, max_num_faces=2)
)


def new_challenge(rng: random.Random | None = None) -> list[str]:
    """Pick two distinct challenge steps in random order (a fresh one for every attempt)."""
    return (rng or random.SystemRandom()).sample(CHALLENGES, 2)


@dataclass(frozen=True)
class FrameMeasure:
    """What one selfie frame shows; geometry fields are None when there is no face."""

    face_count: int
    brightness: float
    box: tuple[float, float, float, float] | None = None  # normalised x, y, w, h
    face_fraction: float | None = None
    centred: bool | None = None
    yaw: float | None = None  # nose position between the outer eye corners: ~0.5 facing the camera
    ear: float | None = None  # eye aspect ratio, mean of both eyes: ~0.3 open, ~0.1 closed
    signature: tuple[float, ...] | None = None  # 3D landmark distances / outer-eye-corner distance
    skin_chroma: tuple[float, float] | None = None  # median Cr, Cb of forehead and cheeks

    def to_dict(self) -> dict[str, Any]:
        """The measure as stored in the evidence row's data."""
        return asdict(self)


def _ear(points: np.ndarray, eye: tuple[int, ...]) -> float:
    p = points[list(eye), :2]
    horizontal = float(np.linalg.norm(p[0] - p[3]))
    vertical = float(np.linalg.norm(p[1] - p[5]) + np.linalg.norm(p[2] - p[4]))
    return vertical / (2 * horizontal) if horizontal else 0.0


def _skin_chroma(rgb: np.ndarray, points: np.ndarray, face_width_px: float) -> tuple[float, float]:
    r = max(2, int(face_width_px * 0.03))
    h, w = rgb.shape[:2]
    crs, cbs = [], []
    for i in SKIN_POINTS:
        x, y = int(points[i, 0]), int(points[i, 1])
        patch = rgb[max(0, y - r) : min(h, y + r + 1), max(0, x - r) : min(w, x + r + 1)].reshape(-1, 3)
        if not len(patch):
            continue
        red, green, blue = patch.astype(np.float32).mean(axis=0)
        luma = 0.299 * red + 0.587 * green + 0.114 * blue
        crs.append(128 + 0.713 * (red - luma))
        cbs.append(128 + 0.564 * (blue - luma))
    return (round(statistics.median(crs), 2), round(statistics.median(cbs), 2)) if crs else (128.0, 128.0)


def _measure(rgb: np.ndarray) -> FrameMeasure:
    h, w = rgb.shape[:2]
    brightness = round(float((rgb[::4, ::4] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)).mean()), 1)
    with _mesh.use() as mesh:
        faces = mesh.process(rgb).multi_face_landmarks or []
    if not faces:
        return FrameMeasure(0, brightness)
    meshes = [np.array([(p.x * w, p.y * h, p.z * w) for p in f.landmark]) for f in faces]
    points = max(meshes, key=lambda p: np.ptp(p[:, 0]))
    x0, y0 = points[:, :2].min(axis=0)
    x1, y1 = points[:, :2].max(axis=0)
    box = (x0 / w, y0 / h, (x1 - x0) / w, (y1 - y0) / h)
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    span = points[263, 0] - points[33, 0]
    yaw = (points[NOSE_TIP, 0] - points[33, 0]) / span if span else 0.5
    eyes = float(np.linalg.norm(points[33] - points[263]))
    signature = tuple(round(float(np.linalg.norm(points[a] - points[b]) / eyes), 4) for a, b in SIGNATURE_PAIRS)
    return FrameMeasure(
        face_count=len(faces),
        brightness=brightness,
        box=tuple(round(float(v), 4) for v in box),  # type: ignore[arg-type]
        face_fraction=round(float(box[2]), 4),
        centred=bool(abs(cx - 0.5) <= MAX_CENTRE_OFFSET and abs(cy - 0.5) <= MAX_CENTRE_OFFSET),
        yaw=round(float(yaw), 4),
        ear=round((_ear(points, RIGHT_EYE) + _ear(points, LEFT_EYE)) / 2, 4),
        signature=signature,
        skin_chroma=_skin_chroma(rgb, points, x1 - x0),
    )


def measure_frame(jpeg: bytes) -> FrameMeasure:
    """Measure one selfie frame (face count, size, centring, yaw, eyes, light, identity signature)."""
    return _measure(decode_image(jpeg))


@dataclass
class LivenessResult:
    """Outcome of a liveness burst, with everything needed to explain it in the audit manifest."""

    passed: bool
    code: str
    message: str
    challenge: list[str]
    frames: list[dict[str, Any]] = field(default_factory=list)
    observed: dict[str, int | None] = field(default_factory=dict)  # step -> first frame index seen
    thresholds: dict[str, float] = field(default_factory=dict)
    elapsed_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The result as stored in the evidence row's data."""
        return asdict(self)


THRESHOLDS = {
    "min_frames": MIN_FRAMES,
    "max_frames": MAX_FRAMES,
    "min_face_fraction": MIN_FACE_FRACTION,
    "max_centre_offset": MAX_CENTRE_OFFSET,
    "min_brightness": MIN_BRIGHTNESS,
    "good_frame_share": GOOD_FRAME_SHARE,
    "baseline_yaw_span": BASELINE_YAW_SPAN,
    "yaw_delta": YAW_DELTA,
    "blink_ratio": BLINK_RATIO,
    "max_geometry_diff": MAX_GEOMETRY_DIFF,
    "max_chroma_diff": MAX_CHROMA_DIFF,
}


def _same_person(measures: list[FrameMeasure], open_ear: float) -> bool:
    """Skin colour must agree across all frames, and face geometry across frames of the same pose."""
    chroma = [m.skin_chroma for m in measures if m.skin_chroma]
    for i, a in enumerate(chroma):
        for b in chroma[i + 1 :]:
            if max(abs(a[0] - b[0]), abs(a[1] - b[1])) > MAX_CHROMA_DIFF:
                return False
    still = [m for m in measures if m.signature and m.ear and m.ear >= 0.75 * open_ear]
    for i, a in enumerate(still):
        for b in still[i + 1 :]:
            if abs(a.yaw - b.yaw) <= SAME_POSE_YAW:  # type: ignore[operator]
                diff = statistics.median(abs(x / y - 1) for x, y in zip(a.signature, b.signature) if y)  # type: ignore[arg-type]
                if diff > MAX_GEOMETRY_DIFF:
                    return False
    return True


def _observe(measures: list[FrameMeasure], challenge: list[str]) -> dict[str, int | None]:
    """Find each step in order: step n must appear in a frame after the one where step n-1 appeared."""
    rest = statistics.median(m.yaw for m in measures[:BASELINE_FRAMES])  # type: ignore[type-var]
    rest = min(max(rest, 0.5 - BASELINE_YAW_SPAN), 0.5 + BASELINE_YAW_SPAN)
    open_ear = float(np.percentile([m.ear for m in measures], OPEN_EAR_PERCENTILE))
    tests = {
        LivenessChallenge.TURN_LEFT: lambda m: m.yaw >= rest + YAW_DELTA,
        LivenessChallenge.TURN_RIGHT: lambda m: m.yaw <= rest - YAW_DELTA,
        LivenessChallenge.BLINK: lambda m: m.ear <= BLINK_RATIO * open_ear,
    }
    observed: dict[str, int | None] = dict.fromkeys(challenge)
    start = 0
    for step in challenge:
        hit = next((i for i in range(start, len(measures)) if tests[step](measures[i])), None)
        if hit is None:
            break
        observed[step] = hit
        start = hit + 1
    return observed


def _verdict(measures: list[FrameMeasure], challenge: list[str]) -> tuple[str, dict[str, int | None]]:
    if any(m.face_count > 1 for m in measures):
        return "multiple_faces", {}
    faceless = [m for m in measures if m.face_count == 0]
    if faceless:
        return ("too_dark" if min(m.brightness for m in faceless) < MIN_BRIGHTNESS else "no_face"), {}
    if statistics.median(m.brightness for m in measures) < MIN_BRIGHTNESS:
        return "too_dark", {}
    needed = GOOD_FRAME_SHARE * len(measures)
    if sum(m.face_fraction >= MIN_FACE_FRACTION for m in measures) < needed:  # type: ignore[operator]
        return "too_far", {}
    if sum(bool(m.centred) for m in measures) < needed:
        return "off_centre", {}
    open_ear = float(np.percentile([m.ear for m in measures], OPEN_EAR_PERCENTILE))
    if not _same_person(measures, open_ear):
        return "different_faces", {}
    observed = _observe(measures, challenge)
    if any(v is None for v in observed.values()):
        return "challenge_not_met", observed
    return "ok", observed


def check_burst(frames: list[bytes], challenge: list[str]) -> LivenessResult:
    """Check a selfie burst: one steady, near, centred face that performs the challenge in order."""
    unknown = [c for c in challenge if c not in CHALLENGES]
    if unknown or not challenge or len(set(challenge)) != len(challenge):
        raise ValueError(f"invalid challenge: {challenge!r}")
    started = time.perf_counter()
    measures: list[FrameMeasure] = []
    observed: dict[str, int | None] = {}
    if len(frames) < MIN_FRAMES:
        code = "too_few_frames"
    elif len(frames) > MAX_FRAMES:
        code = "too_many_frames"
    else:
        try:
            measures = [_measure(decode_image(f)) for f in frames]
        except BadFrame:
            code = "bad_frame"
        else:
            code, observed = _verdict(measures, challenge)
    return LivenessResult(
        passed=code == "ok",
        code=code,
        message=MESSAGES[code],
        challenge=list(challenge),
        frames=[m.to_dict() for m in measures],
        observed=observed,
        thresholds=dict(THRESHOLDS),
        elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
    )
