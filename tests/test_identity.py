"""Identity services on generated images: document photos, liveness attempts, fallback selfie, face match."""
import hashlib
import io
import json
import zipfile
from functools import lru_cache

import pytest
from PIL import Image

from firma.envelopes import create
from firma.evidence import manifest, store
from firma.evidence.audit import RequestInfo
from firma.identity import burst, capture, facematch
from firma.platform import storage
from firma.platform.errors import Refusal
from firma.platform.outbox import commit
from firma.signing import steps
from tests import faces

INFO = RequestInfo(ip="127.0.0.1", user_agent="pytest")
CHALLENGE = ["turn_left", "turn_right"]


@lru_cache(maxsize=None)
def pose(name: str) -> bytes:
    yaw = {"left": faces.TURN_DEGREES, "right": -faces.TURN_DEGREES}.get(name, 0.0)
    return faces.face_jpeg("astronaut", yaw=yaw)


def good_burst() -> list[bytes]:
    """A signer who rests, turns to their left, back, then to their right."""
    return [pose(p) for p in ("front", "front", "left", "left", "front", "right", "right", "front")]


@pytest.fixture()
def signer(db, make_contract, app, monkeypatch):
    monkeypatch.setitem(app.config, "LIVENESS_CHALLENGE", ",".join(CHALLENGE))
    env = create.create_for_contract(make_contract(require_selfie="yes", require_document_photo="yes"))
    commit()
    return next(s for s in env.signers if s.role == "client")


def test_document_front_records_the_face_check_either_way(signer):
    row = capture.save_document_photo(signer, "front", faces.no_face_jpeg((1000, 700)), INFO)
    assert row.data["face_found"] is False and row.data["face"]["method"] == "none"
    assert not steps.is_step_done(signer, "document")
    card = capture.save_document_photo(signer, "front", faces.id_card_jpeg(face_px=90), INFO)
    assert card.data["face_found"] is True and row.superseded
    assert storage.read(card.path)[:2] == b"\xff\xd8" and card.data["original"]["format"] == "JPEG"
    capture.save_document_photo(signer, "back", faces.no_face_jpeg((1000, 700)), INFO)
    assert steps.is_step_done(signer, "document")


def test_a_rejected_upload_is_a_step_error_in_portuguese(signer):
    with pytest.raises(Refusal, match="não é uma imagem"):
        capture.save_document_photo(signer, "back", b"%PDF-1.7 not a photo", INFO)


def test_a_challenge_is_spent_by_its_check_and_attempts_are_limited(signer):
    assert capture.start_liveness(signer) == CHALLENGE
    result = capture.check_selfie_burst(signer, [pose("front")] * 8, INFO)
    assert not result.passed and result.code == "challenge_not_met"
    with pytest.raises(Refusal, match="expirou"):
        capture.check_selfie_burst(signer, good_burst(), INFO)  # a replay without a fresh challenge
    for _ in range(capture.MAX_LIVENESS_ATTEMPTS - 1):
        capture.start_liveness(signer)
    assert capture.attempts_left(signer) == 0
    with pytest.raises(capture.LivenessLocked):
        capture.start_liveness(signer)


def test_a_passing_burst_keeps_frames_measurements_and_a_selfie(signer):
    capture.start_liveness(signer)
    frames = good_burst()
    result = capture.check_selfie_burst(signer, frames, INFO)
    assert result.passed, result.message
    row = store.latest(signer, "liveness")
    assert row.data["passed"] and row.data["challenge"] == CHALLENGE and len(row.data["frames"]) == 8
    with zipfile.ZipFile(io.BytesIO(storage.read(row.path))) as archive:
        assert archive.namelist() == [f"frame-{n:02d}.jpg" for n in range(1, 9)] + ["frames.json"]
        index = json.loads(archive.read("frames.json"))
        # The originals the check saw are proven by hash; the stored frames are smaller, in the same order.
        assert [f["original"]["sha256"] for f in index["frames"]] == [hashlib.sha256(f).hexdigest() for f in frames]
        for entry, original in zip(index["frames"], frames):
            kept = archive.read(entry["name"])
            assert entry["stored"]["sha256"] == hashlib.sha256(kept).hexdigest() and len(kept) < len(original)
            with Image.open(io.BytesIO(kept)) as img:
                assert max(img.size) == burst.FRAME_MAX_SIDE == entry["stored"]["width"]
    assert store.latest(signer, "selfie").content_type == "image/jpeg"
    assert steps.is_step_done(signer, "selfie")


def test_face_match_runs_after_the_selfie_or_says_it_was_not_performed(signer):
    capture.save_document_photo(signer, "front", faces.face_jpeg("astronaut", size=(1000, 700), face_frac=0.3),
                                 INFO)
    capture.start_liveness(signer)
    assert capture.check_selfie_burst(signer, good_burst(), INFO).passed
    match = store.latest(signer, "face_match").data
    assert match["performed"] is facematch.is_available()
    if match["performed"]:
        assert match["same_person"] is True and match["threshold"] == facematch.THRESHOLD
    else:
        assert "não realizada" in match["detail"]


def test_fallback_selfie_is_recorded_as_not_verified(signer):
    capture.save_fallback_selfie(signer, pose("front"), INFO)
    assert steps.is_step_done(signer, "selfie")
    entry = manifest.collect(signer.envelope, public_url="http://firma.test").signers[0]
    assert entry.liveness.method == manifest.LIVENESS_FALLBACK and entry.selfie is not None


def test_fallback_is_refused_when_the_integration_requires_a_live_camera(signer):
    signer.allow_liveness_fallback = False
    with pytest.raises(Refusal, match="câmera ao vivo"):
        capture.save_fallback_selfie(signer, pose("front"), INFO)


def test_fallback_photo_without_a_face_is_refused(signer):
    with pytest.raises(Refusal, match="rosto"):
        capture.save_fallback_selfie(signer, faces.no_face_jpeg(), INFO)
    assert store.latest(signer, "liveness") is None
