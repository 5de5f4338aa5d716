"""Benchmarks: liveness burst check against bare FaceMesh, and photo size after downsizing."""

from __future__ import annotations

import io
import statistics
import time
from collections.abc import Callable

import mediapipe as mp
import numpy as np
from PIL import Image

from bench.report import row
from firma.identity.liveness import check_burst
from firma.identity.photos import process_photo
from tests import faces

RUNS = 7


def _median_ms(work: Callable[[], object], runs: int = RUNS) -> float:
    work()  # warm: graphs built, models loaded
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _burst() -> list[bytes]:
    """8 frames over 3 s of the simulated signer video (640x480), as a browser would send them."""
    loop = faces.liveness_video_frames(["turn_left", "turn_right", "blink"])
    return [faces.to_jpeg(loop[int(k * 45 / 8) % len(loop)], quality=85) for k in range(8)]


def _phone_photo() -> bytes:
    """A 4000x3000 JPEG with sensor-like noise, the size of a cheap phone's original (several MB)."""
    big = np.asarray(faces.face_image(size=(4000, 3000)), dtype=np.float32)
    noisy = big + np.random.default_rng(1).normal(0, 6, big.shape)
    buf = io.BytesIO()
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=92)
    return buf.getvalue()


def main() -> None:
    """Print the liveness and upload-size rows of `make bench`."""
    frames = _burst()
    mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=True, max_num_faces=2)

    def bare() -> None:
        for jpeg in frames:
            mesh.process(np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB")))

    def ours() -> None:
        assert check_burst(frames, ["turn_left", "turn_right"]).passed

    baseline = _median_ms(bare)
    row("Liveness check, 8-frame 640x480 burst (server)", _median_ms(ours), baseline, "ms", "<= 1.3x, <= 150 ms")
    original = _phone_photo()
    stored = process_photo(original).jpeg
    row("Photo upload after downsizing (process_photo of a 4000x3000 JPEG)",
        len(stored) / 1000, len(original) / 1000, "KB", "<= 400 KB")


if __name__ == "__main__":
    main()
