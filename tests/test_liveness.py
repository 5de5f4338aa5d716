"""Face checks on synthetic frames: document faces, per-frame measures and whole liveness bursts."""

import itertools
import json
import random
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from firma.identity import liveness
from firma.identity.faces import detect_document_face
from firma.identity.liveness import CHALLENGES, check_burst, measure_frame, new_challenge
from tests import faces

LOOP = ["turn_left", "turn_right", "blink"]
PAIRS = [list(p) for p in itertools.permutations(CHALLENGES, 2)]


@lru_cache(maxsize=None)
def loop_jpegs(source: str) -> tuple[bytes, ...]:
    """One loop of the simulated signer video, as the JPEG frames a browser would send."""
    return tuple(faces.to_jpeg(f) for f in faces.liveness_video_frames(LOOP, source))


@lru_cache(maxsize=None)
def pose(source: str = "astronaut", **kwargs: object) -> bytes:
    return faces.face_jpeg(source, **kwargs)


def burst(source: str, phase: int, count: int = 8, seconds: float = 3.0) -> list[bytes]:
    """Sample count frames over seconds of the looping 15 fps video, starting at a given frame."""
    loop = loop_jpegs(source)
    step = seconds * 15 / count
    return [loop[int(phase + k * step) % len(loop)] for k in range(count)]


def test_prompts_cover_every_challenge() -> None:
    assert set(liveness.PROMPTS) == set(CHALLENGES)
    assert liveness.PROMPTS["turn_left"] == "Vire devagar o rosto para a esquerda"


def test_new_challenge_is_two_distinct_steps_in_random_order() -> None:
    seen = {tuple(new_challenge(random.Random(seed))) for seed in range(200)}
    assert seen == {tuple(p) for p in PAIRS}
    assert new_challenge(random.Random(7)) == new_challenge(random.Random(7))
    fresh = new_challenge()
    assert len(set(fresh)) == 2 and set(fresh) <= set(CHALLENGES)


@pytest.mark.parametrize("source", ["astronaut", "grace_hopper"])
def test_frontal_face_measures(source: str) -> None:
    m = measure_frame(pose(source))
    assert m.face_count == 1 and m.centred
    assert 0.42 < m.yaw < 0.58
    assert m.ear > 0.22
    assert 0.3 < m.face_fraction < 0.5
    assert m.brightness > liveness.MIN_BRIGHTNESS
    assert len(m.signature) == len(liveness.SIGNATURE_PAIRS)


@pytest.mark.parametrize("source", ["astronaut", "grace_hopper"])
def test_signers_left_turn_raises_yaw_and_right_turn_lowers_it(source: str) -> None:
    rest = measure_frame(pose(source)).yaw
    assert measure_frame(pose(source, yaw=30.0)).yaw > rest + liveness.YAW_DELTA
    assert measure_frame(pose(source, yaw=-30.0)).yaw < rest - liveness.YAW_DELTA


@pytest.mark.parametrize("source", ["astronaut", "grace_hopper"])
def test_blink_lowers_eye_aspect_ratio(source: str) -> None:
    assert measure_frame(pose(source, blink=True)).ear < liveness.BLINK_RATIO * measure_frame(pose(source)).ear


def test_two_faces_no_face_far_off_centre_and_dark_frames() -> None:
    assert measure_frame(faces.two_faces_jpeg()).face_count == 2
    empty = measure_frame(faces.no_face_jpeg())
    assert empty.face_count == 0 and empty.yaw is None and empty.brightness > 0
    assert measure_frame(pose(face_frac=0.12)).face_fraction < liveness.MIN_FACE_FRACTION
    assert measure_frame(pose(face_frac=0.25, centre=(0.15, 0.5))).centred is False
    assert measure_frame(pose(brightness=0.15)).brightness < liveness.MIN_BRIGHTNESS


def test_document_face_full_range_and_tiled() -> None:
    big = detect_document_face(faces.id_card_jpeg(face_px=120))
    assert (big.found, big.count, big.method) == (True, 1, "full_range")
    small = detect_document_face(faces.id_card_jpeg(face_px=30))
    assert (small.found, small.count, small.method) == (True, 1, "tiled")
    x, y, w, h = small.boxes[0]
    assert 0.02 < w < 0.05 and x < 0.15  # the photo sits at the card's left
    assert detect_document_face(faces.two_faces_jpeg()).count == 2
    none = detect_document_face(faces.no_face_jpeg((1000, 630)))
    assert (none.found, none.count, none.method) == (False, 0, "none")
    json.dumps(none.to_dict())


@pytest.mark.parametrize("challenge", PAIRS, ids="-".join)
def test_simulated_video_passes_every_challenge(challenge: list[str]) -> None:
    for source, phase in (("astronaut", 0), ("astronaut", 9), ("astronaut", 17), ("grace_hopper", 5)):
        result = check_burst(burst(source, phase), challenge)
        assert (result.passed, result.code) == (True, "ok"), (source, phase, result.observed)
        first, second = (result.observed[step] for step in challenge)
        assert first < second


def test_result_is_explained_and_serialisable() -> None:
    result = check_burst(burst("astronaut", 0), ["turn_left", "blink"])
    data = json.loads(json.dumps(result.to_dict()))
    assert data["message"] == "Prova de vida concluída."
    assert len(data["frames"]) == 8 and data["frames"][0]["face_count"] == 1
    assert data["thresholds"]["yaw_delta"] == liveness.YAW_DELTA
    assert data["challenge"] == ["turn_left", "blink"]
    assert 0 < data["elapsed_ms"] < 5000


def test_static_face_does_not_meet_the_challenge() -> None:
    result = check_burst([pose()] * 8, ["turn_left", "blink"])
    assert (result.passed, result.code) == (False, "challenge_not_met")
    assert result.message == "Não vimos o movimento pedido: tente de novo devagar."
    assert result.observed == {"turn_left": None, "blink": None}


def test_steps_must_happen_in_the_order_asked() -> None:
    front, left, right = pose(), pose(yaw=30.0), pose(yaw=-30.0)
    frames = [front, front, right, right, left, left, front, front]
    assert check_burst(frames, ["turn_right", "turn_left"]).passed
    wrong = check_burst(frames, ["turn_left", "turn_right"])
    assert wrong.code == "challenge_not_met"
    assert wrong.observed == {"turn_left": 4, "turn_right": None}


def test_a_different_person_mid_burst_is_caught() -> None:
    frames = burst("astronaut", 0)[:4] + burst("grace_hopper", 10)[4:]
    result = check_burst(frames, ["turn_left", "turn_right"])
    assert (result.passed, result.code) == (False, "different_faces")


@pytest.mark.parametrize(
    ("frames", "code", "message"),
    [
        (lambda: [pose()] * 3, "too_few_frames", "Não recebemos fotos suficientes: tente de novo."),
        (lambda: [pose()] * 13, "too_many_frames", "Recebemos fotos demais: tente de novo."),
        (lambda: [pose()] * 5 + [b"not a jpeg"], "bad_frame", "Uma das fotos chegou com defeito: tente de novo."),
        (lambda: [pose()] * 5 + [faces.two_faces_jpeg()], "multiple_faces", "Apareceu mais de um rosto: fique sozinho na frente da câmera."),
        (lambda: [pose()] * 5 + [faces.no_face_jpeg()], "no_face", "Não encontramos seu rosto: olhe para a câmera e tente de novo."),
        (lambda: [pose(brightness=0.15)] * 6, "too_dark", "Procure um lugar com mais luz e tente de novo."),
        (lambda: [pose(brightness=0.02)] * 6, "too_dark", "Procure um lugar com mais luz e tente de novo."),
        (lambda: [pose(face_frac=0.12)] * 6, "too_far", "Aproxime o rosto da câmera."),
        (lambda: [pose(face_frac=0.25, centre=(0.15, 0.5))] * 6, "off_centre", "Centralize o rosto na moldura."),
    ],
    ids=["few", "many", "bad", "two-faces", "no-face", "dim", "black", "far", "off-centre"],
)
def test_rejections_say_what_to_do(frames, code: str, message: str) -> None:  # type: ignore[no-untyped-def]
    result = check_burst(frames(), ["turn_left", "blink"])
    assert (result.passed, result.code, result.message) == (False, code, message)


def test_one_far_frame_is_tolerated() -> None:
    frames = burst("astronaut", 0)
    frames[-1] = pose(face_frac=0.12)
    assert check_burst(frames, ["turn_left", "turn_right"]).passed


@pytest.mark.parametrize("challenge", [[], ["smile"], ["blink", "blink"]])
def test_invalid_challenge_is_a_programming_error(challenge: list[str]) -> None:
    with pytest.raises(ValueError):
        check_burst([pose()] * 6, challenge)


def read_y4m(path: Path) -> list[bytes]:
    """Decode a 4:2:0 limited-range .y4m back into JPEG frames, as Chromium's fake camera would show."""
    header, _, body = path.read_bytes().partition(b"\n")
    fields = dict((f[:1], f[1:]) for f in header.split()[1:])
    w, h = int(fields[b"W"]), int(fields[b"H"])
    size = w * h * 3 // 2
    chunks = body.split(b"FRAME\n")[1:]
    assert all(len(c) == size for c in chunks)
    frames = []
    for chunk in chunks:
        planes = np.frombuffer(chunk, dtype=np.uint8).astype(np.float32)
        y = (planes[: w * h].reshape(h, w) - 16) * 255 / 219
        cb, cr = ((p.reshape(h // 2, w // 2) - 16) * 255 / 224 - 128 for p in np.split(planes[w * h :], 2))
        cb, cr = (c.repeat(2, axis=0).repeat(2, axis=1) for c in (cb, cr))
        rgb = np.stack([y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb], axis=-1)
        frames.append(faces.to_jpeg(Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))))
    return frames


def test_fake_camera_videos(tmp_path: Path) -> None:
    loop = read_y4m(faces.challenge_loop_y4m(tmp_path / "loop.y4m"))
    assert len(loop) == 22  # 1.47 s at 15 fps: two loops fit in a 3 s burst
    assert (tmp_path / "loop.y4m").read_bytes().startswith(b"YUV4MPEG2 W640 H480 F15:1 Ip A1:1 C420jpeg\n")
    frames = [loop[int(4 + k * 45 / 8) % len(loop)] for k in range(8)]
    assert check_burst(frames, ["blink", "turn_right"]).passed
    still = read_y4m(faces.static_face_y4m(tmp_path / "still.y4m"))
    assert check_burst(still[:8], ["turn_left", "blink"]).code == "challenge_not_met"
    empty = read_y4m(faces.no_face_y4m(tmp_path / "empty.y4m"))
    assert check_burst(empty[:8], ["turn_left", "blink"]).code == "no_face"
