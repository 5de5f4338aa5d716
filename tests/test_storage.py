"""Storage: the same write-once contract on local disk and on a real S3 server (SeaweedFS), and the copy command."""
import hashlib
import secrets
import threading

import pytest

from firma.platform import storage
from firma.platform.storage import StorageError


def test_write_read_open_and_exists(store):
    data = secrets.token_bytes(300_000)
    assert not store.exists("envelopes/FRM-1/original.pdf")
    store.write_once("envelopes/FRM-1/original.pdf", data)
    assert store.exists("envelopes/FRM-1/original.pdf")
    assert store.read("envelopes/FRM-1/original.pdf") == data
    stored = store.open("envelopes/FRM-1/original.pdf")
    try:
        assert stored.size == len(data) and stored.etag
        chunks = iter(lambda: stored.stream.read(64 * 1024), b"")
        assert b"".join(chunks) == data
    finally:
        stored.stream.close()


def test_an_identical_rewrite_is_fine_a_different_one_is_refused(store):
    store.write_once("envelopes/FRM-2/final.pdf", b"sealed bytes")
    store.write_once("envelopes/FRM-2/final.pdf", b"sealed bytes")
    with pytest.raises(StorageError, match="refusing to overwrite"):
        store.write_once("envelopes/FRM-2/final.pdf", b"other bytes")
    assert store.read("envelopes/FRM-2/final.pdf") == b"sealed bytes"


def test_racing_writers_of_one_name_leave_exactly_one_file(store):
    name, results = "envelopes/FRM-3/race.bin", {}
    payloads = [secrets.token_bytes(50_000) for _ in range(6)]
    barrier = threading.Barrier(len(payloads))

    def write(i):
        barrier.wait()
        try:
            store.write_once(name, payloads[i])
            results[i] = "ok"
        except StorageError:
            results[i] = "refused"

    threads = [threading.Thread(target=write, args=(i,)) for i in range(len(payloads))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [i for i, r in results.items() if r == "ok"]
    assert len(winners) == 1
    assert store.read(name) == payloads[winners[0]]


@pytest.mark.parametrize("name", ["../outside", "/etc/passwd", "a/../../b", "a//b", "", "a\\..\\b"])
def test_names_that_climb_out_are_refused(store, name):
    with pytest.raises(StorageError, match="escapes"):
        store.write_once(name, b"x")


def test_a_missing_file_is_a_storage_error(store):
    with pytest.raises(StorageError):
        store.read("envelopes/none/missing.pdf")
    with pytest.raises(StorageError):
        store.open("envelopes/none/missing.pdf")


def test_keys_list_stored_files_but_not_probes(store):
    store.write_once("envelopes/FRM-4/a.jpg", b"a")
    store.write_once("envelopes/FRM-4/signer-1/b.png", b"b")
    store.probe()
    assert sorted(store.keys()) == ["envelopes/FRM-4/a.jpg", "envelopes/FRM-4/signer-1/b.png"]


def test_keys_under_a_folder(store):
    store.write_once("seal-certificates/aa.pem", b"a")
    store.write_once("seal-certificatesX/bb.pem", b"b")
    store.write_once("envelopes/FRM-5/c.pdf", b"c")
    assert list(store.keys("seal-certificates/")) == ["seal-certificates/aa.pem"]
    assert list(store.keys("nothing-here/")) == []
    with pytest.raises(StorageError):
        list(store.keys("../"))


def test_s3_objects_carry_a_server_checked_sha256(seaweed):
    store = storage.for_url(f"s3://firma-test/t-{secrets.token_hex(6)}", seaweed.endpoint)
    data = secrets.token_bytes(10_000)
    store.write_once("envelopes/FRM-5/photo.jpg", data)
    assert store.sha256("envelopes/FRM-5/photo.jpg") == hashlib.sha256(data).hexdigest()


def test_the_app_uses_the_configured_storage(app_context, app, s3_storage, seaweed):
    storage.write_once("envelopes/FRM-6/original.pdf", b"%PDF-1.7 test")
    prefix = s3_storage.removeprefix("s3://firma-test/")
    body = seaweed.client().get_object(Bucket="firma-test", Key=f"{prefix}/envelopes/FRM-6/original.pdf")["Body"]
    assert body.read() == b"%PDF-1.7 test"
    assert not (app.config["STORAGE_DIR"] / "envelopes/FRM-6").exists()


def test_a_bad_storage_url_stops_the_start_up(tmp_path, seal_config):
    from firma import create_app
    from firma.config import ConfigError

    with pytest.raises(ConfigError, match="FIRMA_STORAGE_URL"):
        create_app({"ENV_NAME": "testing", "STORAGE_URL": "ftp://files", **seal_config},
                   instance_path=str(tmp_path / "instance"))


# --- firma storage copy --to URL ---------------------------------------------------------------------

@pytest.fixture()
def disk_instance(app, tmp_path):
    """The session app on a local folder of its own holding three stored files."""
    saved = app.config.get("STORAGE_URL")
    app.config["STORAGE_URL"] = (tmp_path / "storage").as_uri()
    source = storage.for_url(app.config["STORAGE_URL"])
    files = {f"envelopes/FRM-7/file-{n}.bin": secrets.token_bytes(20_000 + n) for n in range(3)}
    for name, data in files.items():
        source.write_once(name, data)
    source.probe()
    (tmp_path / "storage" / "cache").mkdir()
    (tmp_path / "storage" / "cache" / "page.jpg").write_bytes(b"a cache, not evidence")
    yield files
    app.config["STORAGE_URL"] = saved


def test_copy_migrates_every_file_once_and_verifies_it(app, disk_instance, seaweed):
    target_url = f"s3://firma-test/t-{secrets.token_hex(6)}"
    runner = app.test_cli_runner()
    first = runner.invoke(args=["storage", "copy", "--to", target_url, "--endpoint-url", seaweed.endpoint])
    assert first.exit_code == 0, first.output
    assert "copied 3, already there 0, different there 0" in first.output
    target = storage.for_url(target_url, seaweed.endpoint)
    assert {name: target.read(name) for name in target.keys()} == disk_instance
    again = runner.invoke(args=["storage", "copy", "--to", target_url, "--endpoint-url", seaweed.endpoint])
    assert again.exit_code == 0 and "copied 0, already there 3, different there 0" in again.output


def test_copy_never_overwrites_a_different_file_at_the_target(app, disk_instance, seaweed):
    target_url = f"s3://firma-test/t-{secrets.token_hex(6)}"
    target = storage.for_url(target_url, seaweed.endpoint)
    target.write_once("envelopes/FRM-7/file-1.bin", b"something else")
    result = app.test_cli_runner().invoke(
        args=["storage", "copy", "--to", target_url, "--endpoint-url", seaweed.endpoint])
    assert result.exit_code == 1
    assert "copied 2, already there 0, different there 1" in result.output
    assert "envelopes/FRM-7/file-1.bin" in result.output
    assert target.read("envelopes/FRM-7/file-1.bin") == b"something else"


def test_copy_to_a_folder_works_too(app, disk_instance, tmp_path):
    result = app.test_cli_runner().invoke(args=["storage", "copy", "--to", (tmp_path / "copy").as_uri()])
    assert result.exit_code == 0 and "copied 3" in result.output
    assert (tmp_path / "copy" / "envelopes/FRM-7/file-2.bin").read_bytes() == disk_instance["envelopes/FRM-7/file-2.bin"]
    assert not (tmp_path / "copy" / "cache").exists() and not (tmp_path / "copy" / ".probe").exists()


def test_readyz_gives_up_fast_on_an_object_store_that_never_answers(app, client, seaweed):
    import socket
    import time

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # connections are queued by the kernel and never answered
    saved = {key: app.config.get(key) for key in ("STORAGE_URL", "S3_ENDPOINT_URL")}
    app.config.update(STORAGE_URL="s3://silent/prefix", S3_ENDPOINT_URL=f"http://127.0.0.1:{silent.getsockname()[1]}")
    try:
        started = time.perf_counter()
        response = client.get("/readyz")
        elapsed = time.perf_counter() - started
    finally:
        app.config.update(saved)
        silent.close()
    assert response.status_code == 503 and response.json["checks"]["storage"] == "fail"
    assert elapsed < 5
