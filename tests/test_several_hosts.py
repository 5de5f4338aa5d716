"""Two app hosts and two workers with no shared disk, sharing PostgreSQL, Redis and one S3 bucket.

A signer starts on host A, sends the ID photos to host B, confirms on host A; a worker seals; the signed
PDF downloads and verifies on host B. Every process is a real one (`firma run`, `firma worker`), each with
an instance folder of its own; the secret key and the seal certificate come from the environment.
"""
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from firma.config import ROOT
from firma.envelopes import create
from firma.extensions import db as _db
from firma.models import Envelope, Evidence
from firma.platform.outbox import commit
from firma.sealing import verification
from tests import faces
from tests.flow import PHONE_UA, form_token, link_for
from tests.images import signature_data_url
from tests.seaweed import CREDENTIALS

DATABASE_URL = os.environ.get("FIRMA_TEST_DATABASE_URL")
QUEUE_URL = os.environ.get("FIRMA_TEST_QUEUE_URL")
pytestmark = [
    pytest.mark.several_hosts,
    pytest.mark.skipif(not (DATABASE_URL and QUEUE_URL),
                       reason="several hosts share PostgreSQL and Redis: set FIRMA_TEST_DATABASE_URL and "
                              "FIRMA_TEST_QUEUE_URL (make test's second pass does)"),
]
HEADERS = {"User-Agent": PHONE_UA}
START_SECONDS = 180  # four processes importing mediapipe and WeasyPrint on two busy cores


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Host:
    """One `firma` process (server or worker) on an instance folder of its own."""

    def __init__(self, name: str, folder: Path, env: dict, args: list[str]) -> None:
        self.name, self.folder = name, folder
        folder.mkdir(parents=True)
        self.log = folder / "output.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from firma.app import main; main()", *args], cwd=ROOT,
                env={**env, "FIRMA_INSTANCE_PATH": str(folder)}, stdout=out, stderr=subprocess.STDOUT)

    def alive(self) -> None:
        if self.process.poll() is not None:
            raise AssertionError(f"{self.name} exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


class Server(Host):
    """`firma run` on a free loopback port."""

    def __init__(self, name: str, folder: Path, env: dict) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__(name, folder, env, ["run", "--host", "127.0.0.1", "--port", str(self.port), "--no-reload"])

    def wait_ready(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            self.alive()
            try:
                if requests.get(f"{self.url}/readyz", timeout=5).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"{self.name} not ready:\n{self.log.read_text()[-3000:]}")


@pytest.fixture()
def cluster(db, app, s3_storage, seaweed, seal_config, tmp_path):
    """Hosts A and B and workers 1 and 2, all on the test database, queue and bucket prefix."""
    env = {**os.environ, **CREDENTIALS, "PYTHONPATH": str(ROOT),
           "FIRMA_DATABASE_URL": DATABASE_URL, "FIRMA_QUEUE_URL": QUEUE_URL,
           "FIRMA_STORAGE_URL": s3_storage, "FIRMA_S3_ENDPOINT_URL": seaweed.endpoint,
           "FIRMA_SECRET_KEY": app.config["SECRET_KEY"], "FIRMA_SEAL_P12": seal_config["SEAL_P12"],
           "FIRMA_SEAL_PASSPHRASE": seal_config["SEAL_PASSPHRASE"], "FIRMA_PUBLIC_URL": "http://firma.test",
           "FIRMA_MAIL_SUPPRESS_SEND": "true", "FIRMA_OUTBOUND_ALLOW_LOOPBACK": "true"}
    env = {k: v for k, v in env.items() if not k.startswith("FIRMA_TEST_")}
    hosts = {"A": Server("host A", tmp_path / "host-a", env), "B": Server("host B", tmp_path / "host-b", env),
             "worker 1": Host("worker 1", tmp_path / "worker-1", env, ["worker", "--no-periodic"]),
             "worker 2": Host("worker 2", tmp_path / "worker-2", env, ["worker", "--no-periodic"])}
    try:
        deadline = time.monotonic() + START_SECONDS
        hosts["A"].wait_ready(deadline)
        hosts["B"].wait_ready(deadline)
        yield hosts
    finally:
        for host in hosts.values():
            host.stop()


def test_a_signer_moves_between_hosts_and_a_worker_seals(cluster, make_contract):
    envelope = create.create_for_contract(make_contract(require_document_photo="yes"))
    commit()
    signer = next(s for s in envelope.signers if s.role == "client")
    token = link_for(signer)
    a, b = (f"{cluster[h].url}/s/{token}" for h in ("A", "B"))
    phone = requests.Session()
    phone.headers.update(HEADERS)
    page = phone.get(a, timeout=30)
    assert page.status_code == 200, page.text
    ft = form_token(page.text)

    def post(base, step, expect=(303,), **kw):
        response = phone.post(f"{base}/{step}", data={"form_token": ft, **kw.pop("data", {})}, timeout=60,
                              allow_redirects=False, **kw)
        assert response.status_code in expect, (base, step, response.status_code, response.text[:2000])
        return response

    post(a, "welcome", data={"cpf": signer.cpf})
    post(a, "consent", data={"terms": "yes", "biometric": "yes"})  # asks the workers for the page images
    deadline = time.monotonic() + 60
    while True:  # host B serves page 1 once a worker stored it in the bucket (202 "gerando" until then)
        image = phone.get(f"{b}/pages/1.jpg", timeout=30)
        if image.status_code != 202 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/jpeg"
    post(a, "read", data={"have_read": "yes", "last_page_reached": "yes"})
    post(b, "document/front", expect=(200, 303), files={"photo": ("frente.jpg", faces.id_card_jpeg(face_px=90))})
    post(b, "document/back", files={"photo": ("verso.jpg", faces.no_face_jpeg((1000, 700)))})
    post(a, "signature", data={"signature": signature_data_url()})
    post(a, "geolocation", expect=(200,), data={"status": "granted", "latitude": "-22.9", "longitude": "-47.06",
                                                "accuracy": "25"})
    done = post(a, "confirm", data={"consent": "yes"})  # what was seen is host B's record of the page it sent
    assert done.headers["Location"].endswith("/done")

    deadline = time.monotonic() + 120
    while True:  # a worker (either) picks the finalisation from Redis and seals
        _db.session.expire_all()
        row = _db.session.get(Envelope, envelope.id)
        if row.status == "completed" or time.monotonic() > deadline:
            break
        for name in ("worker 1", "worker 2"):
            cluster[name].alive()
        time.sleep(0.5)
    assert row.status == "completed", (row.finalise_state, row.finalise_error)

    final = phone.get(f"{b}/assinado.pdf", timeout=60)
    assert final.status_code == 200 and final.headers["Content-Type"] == "application/pdf"
    check = verification.verify_pdf(final.content)
    assert check.ok, check.reason
    photos = _db.session.query(Evidence).filter_by(envelope_id=envelope.id).filter(Evidence.path.isnot(None)).all()
    assert len(photos) >= 3  # front, back, drawn signature
    for name in ("host-a", "host-b", "worker-1", "worker-2"):  # nothing on any host's disk
        assert not (cluster["A"].folder.parent / name / "storage" / "envelopes").exists()
