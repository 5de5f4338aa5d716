"""The signing flow on S3 storage: photos, signature and the sealed PDF live in the bucket; an outage is survivable."""
import re
import secrets
import time

import pytest

from firma.envelopes import create
from firma.extensions import db as _db
from firma.models import Evidence, EvidenceKind
from firma.platform import storage
from firma.platform.outbox import commit
from firma.sealing import finalise, verification
from tests import faces
from tests.flow import link_for
from tests.images import signature_data_url
from tests.seaweed import Weed
from tests.test_signer_phone import Phone as PhoneFlow
from tests.test_api import CUSTOMER, api  # noqa: F401  (fixture: an integration's API client)


class Phone(PhoneFlow):
    """A signer's link driven through the test client, to the end (document photos required, no selfie)."""

    def photos(self):
        assert self.photo("front", faces.id_card_jpeg(face_px=90)).status_code in (200, 303)
        assert self.photo("back", faces.no_face_jpeg((1000, 700))).status_code == 303

    def sign_and_locate(self):
        assert self.post("/signature", {"signature": signature_data_url()}).status_code == 303
        assert self.post("/geolocation", {"status": "granted", "latitude": "-22.9", "longitude": "-47.06",
                                          "accuracy": "25"}).status_code == 200

    def confirm(self):
        response = self.post("/confirm", {"consent": "yes", "document_sha256": self.signer.envelope.original_sha256})
        assert response.status_code == 303 and response.location.endswith("/done"), response.text
        return response


def client_of(envelope):
    return next(s for s in envelope.signers if s.role == "client")


def document_photos(envelope) -> list[Evidence]:
    kinds = (EvidenceKind.DOCUMENT_FRONT, EvidenceKind.DOCUMENT_BACK)
    return [e for e in _db.session.query(Evidence).filter_by(envelope_id=envelope.id) if e.kind in kinds]


def bucket_keys(seaweed, url) -> set[str]:
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    listing = seaweed.client().list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/")
    return {item["Key"].removeprefix(f"{prefix}/") for item in listing.get("Contents", [])}


def test_a_whole_flow_seals_into_the_bucket_and_downloads_verified(client, make_contract, s3_storage, seaweed, app):
    envelope = create.create_for_contract(make_contract(require_document_photo="yes"))
    commit()
    phone = Phone(client, client_of(envelope))
    phone.welcome_and_read()
    phone.photos()
    phone.sign_and_locate()
    phone.confirm()
    _db.session.expire_all()
    assert envelope.status == "completed" and envelope.final_path
    keys = bucket_keys(seaweed, s3_storage)
    assert envelope.original_path in keys and envelope.final_path in keys
    photos = document_photos(envelope)
    assert len(photos) == 2 and all(p.path in keys for p in photos)
    assert not (app.config["STORAGE_DIR"] / "envelopes" / envelope.public_code).exists()  # nothing on local disk
    done = client.get(f"/s/{link_for(phone.signer)}/done")
    with client.get(re.search(r'href="([^"]+assinado\.pdf)"', done.text).group(1)) as final:
        assert final.status_code == 200 and final.content_length == len(final.data)
        assert verification.verify_pdf(final.data).ok
    with client.get(f"/s/{link_for(phone.signer)}/documento.pdf", headers={"Range": "bytes=0-7"}) as part:
        assert part.status_code == 206 and part.data == storage.read(envelope.original_path)[:8]


@pytest.fixture()
def own_weed(app, tmp_path):
    """A SeaweedFS of this test's own (it will be stopped and started again), with the app pointed at it."""
    from tests.seaweed import set_credentials

    set_credentials()
    server = Weed(tmp_path / "weed").start()
    server.bucket("outage")
    saved = {key: app.config.get(key) for key in ("STORAGE_URL", "S3_ENDPOINT_URL")}
    app.config.update(STORAGE_URL=f"s3://outage/t-{secrets.token_hex(4)}", S3_ENDPOINT_URL=server.endpoint)
    yield server
    server.stop()
    app.config.update(saved)


def readable_again(name: str, seconds: float = 60) -> None:
    """Wait until a file written before a restart reads again (SeaweedFS reloads its volumes after S3 answers)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            storage.read(name)
            return
        except storage.StorageUnavailable:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def back_to_ready(client, seconds: float = 90) -> None:
    """Poll /readyz until it is 200 again (a restarted SeaweedFS takes a few seconds to accept writes)."""
    deadline = time.monotonic() + seconds
    while (answer := ready(client))[0] != 200:
        assert time.monotonic() < deadline, answer
        time.sleep(0.5)
    assert answer[1] == {"database": "ok", "queue": "ok", "storage": "ok"}


def ready(client) -> tuple[int, dict, float]:
    started = time.perf_counter()
    response = client.get("/readyz")
    return response.status_code, response.json["checks"], time.perf_counter() - started


def test_readyz_names_the_stopped_object_store_and_nothing_written_meanwhile_is_lost(client, make_contract, own_weed):
    envelope = create.create_for_contract(make_contract(require_document_photo="yes"))
    commit()
    assert ready(client)[:2] == (200, {"database": "ok", "queue": "ok", "storage": "ok"})
    phone = Phone(client, client_of(envelope))
    phone.welcome_and_read()

    own_weed.stop()
    status, checks, seconds = ready(client)
    assert (status, checks) == (503, {"database": "ok", "queue": "ok", "storage": "fail"}) and seconds < 5
    refused = phone.photo("front", faces.id_card_jpeg(face_px=90))  # a request that writes: a clear refusal
    assert refused.status_code == 503 and refused.headers["Retry-After"]
    assert "armazenamento de arquivos não respondeu" in refused.text
    _db.session.expire_all()
    assert document_photos(envelope) == []  # no evidence row without its file

    own_weed.start()
    back_to_ready(client)
    phone.photos()  # the signer simply sends the photo again
    phone.sign_and_locate()

    own_weed.stop()  # down again while the last signer confirms: the finalisation job fails and is retried
    phone.confirm()
    _db.session.expire_all()
    assert envelope.status == "pending" and envelope.finalise_state == "failed"
    assert "object storage" in envelope.finalise_error

    own_weed.start()
    back_to_ready(client)
    readable_again(envelope.original_path)  # Huey's retry comes 60 s later; a restarted volume needs a moment
    assert finalise.finalise_job(envelope.id) is True  # what Huey's retry runs
    _db.session.expire_all()
    assert envelope.status == "completed"
    assert verification.verify_pdf(storage.read(envelope.final_path)).ok
    photos = document_photos(envelope)
    assert all(storage.exists(p.path) for p in photos) and storage.exists(envelope.original_path)


def test_an_api_write_while_the_store_is_down_is_a_503_problem_and_leaves_nothing(api, client, make_template,
                                                                                  branch, own_weed):
    api("POST", "/customers", json={**CUSTOMER, "phone": None})
    body = {"number": "API-S3", "customer_cpf_cnpj": "52998224725", "branch_id": branch.id,
            "template_id": make_template().id, "plan": "Fibra 500", "price": "99.90", "use_digital_signature": True}
    own_weed.stop()
    refused = api("POST", "/contracts", json=body, headers={"Idempotency-Key": "s3-1"}, check=False)
    assert refused.status_code == 503 and refused.mimetype == "application/problem+json"
    assert "armazenamento de arquivos não respondeu" in refused.json["detail"] and refused.headers["Retry-After"]
    assert api("GET", "/contracts/API-S3", check=False).status_code == 404  # nothing half-created
    own_weed.start()
    back_to_ready(client)
    created = api("POST", "/contracts", json=body, headers={"Idempotency-Key": "s3-1"})
    assert created.status_code == 201, created.json
    assert storage.read(f"envelopes/{created.json['envelope']['public_code']}/original.pdf").startswith(b"%PDF")
