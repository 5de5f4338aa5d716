"""WhatsApp delivery through the integration's provider, against loopback stand-ins for Meta and Opa! Suite."""
from datetime import timedelta

import pytest

from firma.delivery import deliveries
from firma.envelopes import create, links
from firma.models import Delivery
from firma.platform.outbox import commit
from tests.http_stub import HttpStub


@pytest.fixture()
def stub():
    with HttpStub() as server:
        yield server


def whatsapp_envelope(make_contract, make_customer, integration, db, provider, settings):
    integration.whatsapp_provider, integration.whatsapp_settings = provider, settings
    integration.whatsapp_template_client = "link_assinatura"
    db.session.commit()
    envelope = create.create_for_contract(make_contract(customer=make_customer(phone="+5519987654321")))
    commit()
    assert envelope.signers[0].channel == "whatsapp"
    return envelope


def only_delivery(envelope) -> Delivery:
    (row,) = Delivery.query.filter_by(envelope_id=envelope.id).all()
    return row


def test_meta_template_message_with_parameters(stub, make_contract, make_customer, integration, db):
    stub.enqueue(200, {"messages": [{"id": "wamid.ABC"}]})
    envelope = whatsapp_envelope(make_contract, make_customer, integration, db, "meta", {
        "base_url": stub.url, "phone_number_id": "1234", "access_token": "meta-token"})
    deliveries.send_links(envelope)
    commit()
    (request,) = stub.requests
    assert request.path == "/1234/messages" and request.headers["Authorization"] == "Bearer meta-token"
    body = request.json()
    assert body["to"] == "5519987654321" and body["template"]["name"] == "link_assinatura"
    name, title, link = [p["text"] for p in body["template"]["components"][0]["parameters"]]
    signer = envelope.signers[0]
    assert name == signer.name and title == envelope.title
    assert links.find_signer(link.rsplit("/", 1)[1]).id == signer.id
    row = only_delivery(envelope)
    assert (row.status, row.provider_id, row.target) == ("sent", "wamid.ABC", "+5519987654321")


def test_meta_final_error_is_failed_with_a_clear_reason(stub, make_contract, make_customer, integration, db):
    stub.enqueue(400, {"error": {"message": "undeliverable", "code": 131026}})
    envelope = whatsapp_envelope(make_contract, make_customer, integration, db, "meta", {
        "base_url": stub.url, "phone_number_id": "1", "access_token": "t"})
    deliveries.send_links(envelope)
    commit()
    row = only_delivery(envelope)
    assert row.status == "failed" and row.next_attempt_at is None
    assert "número pode não ter WhatsApp" in row.last_error and row.response_status == 400


def test_opa_500_then_200_is_retried_and_sent_once(stub, make_contract, make_customer, integration, db):
    stub.enqueue(500, {"message": "instável"})
    stub.enqueue(200, {"data": {"_id": "opa-77"}})
    envelope = whatsapp_envelope(make_contract, make_customer, integration, db, "opa", {
        "base_url": stub.url, "token": "opa-token", "channel_id": "canal-1"})
    deliveries.send_links(envelope)
    commit()
    row = only_delivery(envelope)
    assert row.status == "retry" and "HTTP 500" in row.last_error
    later = row.next_attempt_at + timedelta(minutes=2)
    assert deliveries.sweep(later.isoformat())["requeued"] == 1
    assert deliveries.sweep((later + timedelta(minutes=1)).isoformat())["requeued"] == 0
    row = only_delivery(envelope)
    assert (row.status, row.provider_id, row.attempts) == ("sent", "opa-77", 2)
    assert len(stub.requests) == 2
    first, second = (r.json() for r in stub.requests)
    assert first["contato"]["canalCliente"] == "+5519987654321" and second["canal"] == "canal-1"


def test_missing_provider_settings_fail_visibly(make_contract, make_customer, integration, db):
    envelope = whatsapp_envelope(make_contract, make_customer, integration, db, "opa", {"base_url": "http://x"})
    deliveries.send_links(envelope)
    commit()
    row = only_delivery(envelope)
    assert row.status == "failed" and "token" in row.last_error


def test_resend_by_email_renews_the_link(stub, make_contract, make_customer, integration, db):
    stub.enqueue(200, {"messages": [{"id": "wamid.1"}]})
    envelope = whatsapp_envelope(make_contract, make_customer, integration, db, "meta", {
        "base_url": stub.url, "phone_number_id": "1", "access_token": "t"})
    deliveries.send_links(envelope)
    commit()
    signer = envelope.signers[0]
    old_hash = signer.token_hash
    row = deliveries.send_link(signer, channel="email", purpose="resend")
    commit()
    db.session.refresh(signer)
    assert row.channel == "email" and row.status == "sent" and row.target == signer.email
    assert signer.token_hash != old_hash
