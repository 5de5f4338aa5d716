"""The stored liveness burst: smaller frames, each original's SHA-256, refused frames kept as a hash only."""
import hashlib
import io
import json
import zipfile

from PIL import Image

from firma.identity import burst
from tests import faces


def test_frames_are_downscaled_once_and_the_originals_are_listed_by_hash():
    frames = [faces.face_jpeg("astronaut", size=(640, 480)), faces.face_jpeg("astronaut", size=(480, 640))]
    stored = burst.frames_zip(frames)
    assert stored == burst.frames_zip(frames)  # the same frames always give the same file
    with zipfile.ZipFile(io.BytesIO(stored)) as archive:
        index = json.loads(archive.read(burst.INDEX))
        sizes = [Image.open(io.BytesIO(archive.read(f["name"]))).size for f in index["frames"]]
    assert sizes == [(320, 240), (240, 320)]
    assert [f["original"] for f in index["frames"]] == [
        {"sha256": hashlib.sha256(f).hexdigest(), "bytes": len(f), "format": "JPEG", "width": w, "height": h}
        for f, (w, h) in zip(frames, [(640, 480), (480, 640)])]
    assert len(stored) < sum(map(len, frames)) / 2


def test_a_frame_that_is_not_an_image_is_kept_as_its_hash_only():
    frames = [faces.face_jpeg("astronaut"), b"not a jpeg", faces.face_jpeg("astronaut")[:500]]
    with zipfile.ZipFile(io.BytesIO(burst.frames_zip(frames))) as archive:
        index = json.loads(archive.read(burst.INDEX))
        assert archive.namelist() == ["frame-01.jpg", burst.INDEX]
    assert [(f["name"], f.get("rejected")) for f in index["frames"]] == [
        ("frame-01.jpg", None), (None, "not_image"), (None, "corrupt")]
    assert index["frames"][1]["original"] == {"sha256": hashlib.sha256(b"not a jpeg").hexdigest(), "bytes": 10}
