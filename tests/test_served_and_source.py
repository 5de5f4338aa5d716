"""What the signer saw is recorded by the server; the real client IP and source port behind trusted proxies."""
import hashlib
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from firma.br.dates import evidence_time
from firma.evidence import audit, manifest
from firma.models import Event
from firma.platform import clients, storage
from firma.signing.served import NOTHING_SERVED
from tests.flow import PHONE_UA, client_signer, form_token, give_consent, link_for, sign, view_document


def served_events(signer):
    return [e for e in audit.events_of(signer.envelope_id)
            if e.type == "signer.document_served" and e.signer_id == signer.id]


def test_page_images_are_recorded_once_with_the_bytes_sent(client, envelope):
    signer = client_signer(envelope)
    base = f"/s/{link_for(signer)}"
    with client.get(f"{base}/pages/1.jpg") as first:
        sent = first.get_data()
    view_document(client, base)  # the same page again: nothing new to record
    [event] = served_events(signer)
    assert event.data["format"] == "page_images" and event.data["source_sha256"] == envelope.original_sha256
    assert event.data["sha256"] == hashlib.sha256(sent).hexdigest() and event.data["page"] == 1
    if envelope.original_pages > 1:
        client.get(f"{base}/pages/2.jpg")
        assert [e.data["page"] for e in served_events(signer)] == [1, 2]  # one event per page sent


def test_the_pdf_download_is_recorded_with_its_digest(client, envelope):
    signer = client_signer(envelope)
    base = f"/s/{link_for(signer)}"
    with client.get(f"{base}/documento.pdf") as response:
        body = response.get_data()
    assert body == storage.read(envelope.original_path)
    [event] = served_events(signer)
    assert event.data["format"] == "pdf" and event.data["sha256"] == hashlib.sha256(body).hexdigest()


def test_confirming_without_anything_served_is_refused_and_a_posted_hash_changes_nothing(client, envelope):
    signer = client_signer(envelope)
    token = link_for(signer)
    ft = form_token(client.get(f"/s/{token}").text)
    client.post(f"/s/{token}/welcome", data={"form_token": ft, "cpf": signer.cpf})
    assert give_consent(client, f"/s/{token}", ft, signer).status_code == 303
    client.post(f"/s/{token}/read", data={"form_token": ft, "have_read": "yes"})
    client.post(f"/s/{token}/signature", data={"form_token": ft, "typed_name": signer.name})
    r = client.post(f"/s/{token}/confirm", data={"form_token": ft, "consent": "yes",
                                                 "document_sha256": envelope.original_sha256})
    assert r.status_code == 422 and NOTHING_SERVED in r.text and signer.status != "signed"


def test_the_manifest_shows_what_was_served(client, envelope):
    signer = client_signer(envelope)
    sign(client, signer)
    entry = next(s for s in manifest.collect(envelope, public_url="https://firma.test").signers if s.order == 1)
    [served] = entry.served
    assert served.format == "page_images" and served.source_sha256 == envelope.original_sha256
    assert entry.document_sha256_seen == envelope.original_sha256


@pytest.fixture()
def behind_proxy(app, monkeypatch):
    """The app as deployed behind one nginx hop."""
    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", 1)
    monkeypatch.setattr(app, "wsgi_app", app.wsgi_app)  # restored after the test
    clients.init_app(app)
    return app


def test_behind_a_trusted_proxy_the_client_address_and_port_come_from_its_headers(behind_proxy, client, envelope):
    signer = client_signer(envelope)
    headers = {"User-Agent": PHONE_UA, "X-Forwarded-For": "100.64.12.34", "X-Real-Port": "51234",
               "X-Forwarded-Proto": "https"}
    client.get(f"/s/{link_for(signer)}", headers=headers)
    viewed = next(e for e in audit.events_of(envelope.id) if e.type == "signer.viewed")
    assert (viewed.ip, viewed.port) == ("100.64.12.34", 51234)
    assert audit.verify_chain(envelope.id) is None  # the port is part of the hashed event


def test_directly_forwarded_headers_are_ignored_and_the_connection_port_is_kept(client, envelope):
    signer = client_signer(envelope)
    client.environ_base["REMOTE_PORT"] = "40999"
    client.get(f"/s/{link_for(signer)}", headers={"X-Forwarded-For": "6.6.6.6", "X-Real-Port": "1"})
    viewed = next(e for e in audit.events_of(envelope.id) if e.type == "signer.viewed")
    assert (viewed.ip, viewed.port) == ("127.0.0.1", 40999)


@pytest.mark.parametrize("raw, port", [("443", 443), ("0", None), ("65536", None), ("abc", None), ("", None),
                                       (" 8080 ", 8080), ("123456", None)])
def test_ports_are_parsed_strictly(raw, port):
    assert clients.parse_port(raw) == port


def test_a_port_changes_the_event_hash_and_an_event_without_one_hashes_as_before(db, envelope):
    event = db.session.scalars(select(Event).where(Event.envelope_id == envelope.id)).first()
    assert event.port is None and audit.chain_hash(event.prev_hash, event) == event.hash
    event.port = 5000
    assert audit.chain_hash(event.prev_hash, event) != event.hash


def test_evidence_times_show_local_offset_and_utc():
    moment = datetime(2026, 12, 1, 12, 57, 40, 123456, tzinfo=timezone.utc)
    assert evidence_time(moment) == "01/12/2026 09:57:40 (UTC−03:00) · 01/12/2026 12:57:40 UTC"
    assert evidence_time(None) == "—"
