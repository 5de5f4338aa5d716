"""Offline face images and fake-camera videos for the identity-evidence tests."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter

FRAME_SIZE = (640, 480)


@dataclass(frozen=True)
class FaceSource:
    """A sample photo with its face and eye boxes, measured once with FaceMesh (pixels)."""

    face: tuple[float, float, float, float]
    nose: tuple[float, float]
    eyes: tuple[tuple[float, float, float, float], ...]
    skin: tuple[int, int, int]


SOURCES = {
    "astronaut": FaceSource(
        face=(179, 71, 271, 177),
        nose=(223, 130),
        eyes=((195.2, 97.6, 213.3, 104.3), (237.0, 99.7, 255.8, 106.7)),
        skin=(222, 186, 160),
    ),
    "grace_hopper": FaceSource(
        face=(173, 132, 356, 334),
        nose=(268, 246),
        eyes=((205.0, 185.5, 243.6, 197.7), (288.1, 182.4, 323.6, 192.4)),
        skin=(214, 140, 103),
    ),
}


@lru_cache(maxsize=None)
def source_image(name: str) -> Image.Image:
    """Load a bundled sample photo (scikit-image's astronaut or matplotlib's Grace Hopper)."""
    if name == "astronaut":
        from skimage import data

        return Image.fromarray(data.astronaut())
    if name == "grace_hopper":
        import matplotlib.cbook

        with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as fh:
            return Image.open(fh).convert("RGB")
    raise KeyError(name)


def _close_eyes(img: Image.Image, src: FaceSource) -> Image.Image:
    """Paint skin over both eyes and draw a lid line, so the eyes read as closed."""
    out = img.copy()
    layer = Image.new("RGB", out.size, src.skin)
    mask = Image.new("L", out.size, 0)
    lines = ImageDraw.Draw(layer)
    draw = ImageDraw.Draw(mask)
    for x0, y0, x1, y1 in src.eyes:
        w, h = x1 - x0, y1 - y0
        draw.ellipse((x0 - 0.15 * w, y0 - 0.6 * h, x1 + 0.15 * w, y1 + 0.5 * h), fill=255)
        lines.line((x0, y1, (x0 + x1) / 2, y1 + 0.25 * h, x1, y1), fill=(70, 45, 40), width=max(1, round(h / 5)))
    mask = mask.filter(ImageFilter.GaussianBlur(max(1.0, (src.eyes[0][3] - src.eyes[0][1]) / 4)))
    out.paste(layer, (0, 0), mask)
    return out


def _turn_head(frame: np.ndarray, box: tuple[float, float, float, float], nose_y: float, degrees: float) -> np.ndarray:
    """Rotate the face about the vertical axis, modelled as a cylinder with a protruding nose."""
    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    radius = (x1 - x0) / 2 * 1.15
    half_h = (y1 - y0) / 2 * 1.25
    h, w = frame.shape[:2]
    xs = np.arange(w, dtype=np.float64)
    u = (xs[None, :] - cx) / radius
    v = (np.arange(h, dtype=np.float64)[:, None] - cy) / half_h
    window = np.clip(1 - u**2 - v**2, 0, 1) ** 1.5
    nose_v = (nose_y - cy) / half_h
    depth = np.sqrt(np.clip(1 - u**2, 0, 1)) + 0.35 * np.exp(-((u / 0.2) ** 2) - ((v - nose_v + 0.1) / 0.3) ** 2)
    theta = math.radians(degrees)
    # Forward map: where each source pixel lands; the far side folds behind the near side.
    landed = xs[None, :] + radius * window * (u * (math.cos(theta) - 1) + depth * math.sin(theta))
    if theta > 0:
        landed = np.maximum.accumulate(landed, axis=1)
        map_x = np.stack([np.interp(xs, row, xs) for row in landed])
    else:
        landed = np.minimum.accumulate(landed[:, ::-1], axis=1)[:, ::-1]
        map_x = np.stack([np.interp(xs, row, xs) for row in landed])
    map_y = np.broadcast_to(np.arange(h, dtype=np.float32)[:, None], (h, w))
    return cv2.remap(frame, map_x.astype(np.float32), np.ascontiguousarray(map_y), cv2.INTER_LINEAR)


def face_image(
    source: str = "astronaut",
    *,
    size: tuple[int, int] = FRAME_SIZE,
    face_frac: float = 0.38,
    centre: tuple[float, float] = (0.5, 0.5),
    yaw: float = 0.0,
    blink: bool = False,
    brightness: float = 1.0,
) -> Image.Image:
    """A frame with one face: face width = face_frac of the frame; yaw > 0 is the signer's left."""
    src = SOURCES[source]
    img = source_image(source)
    if blink:
        img = _close_eyes(img, src)
    fx0, fy0, fx1, fy1 = src.face
    scale = face_frac * size[0] / (fx1 - fx0)
    big = img.resize((round(img.width * scale), round(img.height * scale)), Image.LANCZOS)
    canvas = Image.new("RGB", size, (128, 128, 128))
    ox = round(centre[0] * size[0] - (fx0 + fx1) / 2 * scale)
    oy = round(centre[1] * size[1] - (fy0 + fy1) / 2 * scale)
    canvas.paste(big, (ox, oy))
    arr = np.asarray(canvas)
    if yaw:
        box = (fx0 * scale + ox, fy0 * scale + oy, fx1 * scale + ox, fy1 * scale + oy)
        arr = _turn_head(arr, box, src.nose[1] * scale + oy, yaw)
    if brightness != 1.0:
        arr = np.clip(arr.astype(np.float32) * brightness, 0, 255).astype(np.uint8)
    return Image.fromarray(arr)


def to_jpeg(img: Image.Image, quality: int = 90) -> bytes:
    """Encode an image as JPEG bytes."""
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def face_jpeg(source: str = "astronaut", **kwargs: object) -> bytes:
    """A JPEG frame with one face; keyword arguments as face_image."""
    return to_jpeg(face_image(source, **kwargs))  # type: ignore[arg-type]


def no_face_image(size: tuple[int, int] = FRAME_SIZE) -> Image.Image:
    """A photo without a face (scikit-image's coffee cup)."""
    from skimage import data

    return Image.fromarray(data.coffee()).resize(size, Image.LANCZOS)


def no_face_jpeg(size: tuple[int, int] = FRAME_SIZE) -> bytes:
    """A JPEG without a face."""
    return to_jpeg(no_face_image(size))


def two_faces_jpeg(size: tuple[int, int] = FRAME_SIZE) -> bytes:
    """A JPEG with two people side by side."""
    canvas = Image.new("RGB", size, (128, 128, 128))
    half = (size[0] // 2, size[1])
    canvas.paste(face_image("astronaut", size=half, face_frac=0.6), (0, 0))
    canvas.paste(face_image("grace_hopper", size=half, face_frac=0.6), (half[0], 0))
    return to_jpeg(canvas)


def id_card_jpeg(face_px: int = 60, size: tuple[int, int] = (1000, 630), source: str = "grace_hopper") -> bytes:
    """A synthetic ID card: coloured background, text-like bars and a small photo of face_px width."""
    card = Image.new("RGB", size, (205, 225, 210))
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, size[0], size[1] // 8), fill=(40, 110, 70))
    photo_w = round(face_px / 0.6)
    photo = face_image(source, size=(photo_w, round(photo_w * 4 / 3)), face_frac=0.6, centre=(0.5, 0.45))
    left, top = size[0] // 20, size[1] // 5
    card.paste(photo, (left, top))
    x = left + photo_w + size[0] // 20
    for i in range(7):
        y = top + i * size[1] // 10
        draw.rectangle((x, y, x + (size[0] - x) * (0.9 - 0.08 * (i % 3)), y + size[1] // 40), fill=(60, 60, 70))
    return to_jpeg(card)


def _y4m_planes(img: Image.Image) -> bytes:
    """One 4:2:0 frame in limited range (Y 16..235, C 16..240), as Chromium's fake camera reads it."""
    rgb = np.asarray(img.convert("RGB"), dtype=np.float32)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = 128 + 0.564 * (b - y)
    cr = 128 + 0.713 * (r - y)

    def half(c: np.ndarray) -> np.ndarray:
        return (c[0::2, 0::2] + c[1::2, 0::2] + c[0::2, 1::2] + c[1::2, 1::2]) / 4

    planes = [16 + 219 * y / 255, 16 + 224 * half(cb) / 255, 16 + 224 * half(cr) / 255]
    return b"".join(np.clip(np.rint(p), 0, 255).astype(np.uint8).tobytes() for p in planes)


def write_y4m(frames: list[Image.Image], path: str | Path, fps: int = 15) -> Path:
    """Write frames as a .y4m video for --use-file-for-fake-video-capture (Chromium loops it)."""
    path = Path(path)
    w, h = frames[0].size
    with path.open("wb") as fh:
        fh.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            fh.write(b"FRAME\n" + _y4m_planes(frame.resize((w, h))))
    return path


TURN_DEGREES = 30.0
HOLD_FRAMES = 6  # at 15 fps a pose lasts 400 ms: longer than the gap between 8 captures in 3 s


@lru_cache(maxsize=32)
def _pose(source: str, pose: str) -> Image.Image:
    yaw = {"turn_left": TURN_DEGREES, "turn_right": -TURN_DEGREES}.get(pose, 0.0)
    return face_image(source, yaw=yaw, blink=pose == "blink")


def liveness_video_frames(challenge_sequence: list[str], source: str = "astronaut") -> list[Image.Image]:
    """Frames of a simulated signer: frontal, then each step held HOLD_FRAMES, back to frontal."""
    frames = [_pose(source, "frontal")]
    for step in challenge_sequence:
        frames += [_pose(source, step)] * HOLD_FRAMES + [_pose(source, "frontal")]
    return frames


def challenge_loop_y4m(path: str | Path) -> Path:
    """A 22-frame (1.47 s) loop at 15 fps: left, right, blink; any 2-step challenge fits in 3 s."""
    return write_y4m(liveness_video_frames(["turn_left", "turn_right", "blink"]), path)


def static_face_y4m(path: str | Path) -> Path:
    """A still frontal face: never meets a challenge."""
    return write_y4m([_pose("astronaut", "frontal")] * 15, path)


def no_face_y4m(path: str | Path) -> Path:
    """A camera pointed at a coffee cup."""
    return write_y4m([no_face_image()] * 15, path)
