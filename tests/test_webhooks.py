"""Webhooks to a loopback stand-in for the ERP: signed bodies, retries, give-up, replay, no duplicates."""
import re
from datetime import timedelta
from pathlib import Path

import pytest

from firma.delivery import deliveries, webhooks
from firma.envelopes import create, lifecycle
from firma.models import Delivery
from firma.platform.outbox import commit
from tests.http_stub import HttpStub
from tests.smtp_sink import free_port

SECRET = "whsec_teste_123"
DOC = Path(__file__).resolve().parent.parent / "docs" / "webhooks.md"




@pytest.fixture()
def erp():
    with HttpStub() as server:
        yield server


def hook(integration, db, url):
    integration.webhook_url, integration.webhook_secret = url, SECRET
    db.session.commit()


def cancelled_envelope(make_contract):
    envelope = create.create_for_contract(make_contract())
    commit()
    lifecycle.cancel(envelope, reason="Cliente desistiu")
    commit()
    return envelope


def webhook_rows(envelope):
    return list(Delivery.query.filter_by(envelope_id=envelope.id, channel="webhook").order_by(Delivery.id))


def doc_verifier():
    snippet = re.search(r"<!-- verification-snippet:start -->\s*```python\n(.*?)```", DOC.read_text(), re.S).group(1)
    namespace: dict = {}
    exec(compile(snippet, str(DOC), "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace["verify_firma_webhook"]


def test_event_is_posted_signed_and_verifiable_with_the_documented_snippet(erp, make_contract, integration, db):
    hook(integration, db, f"{erp.url}/erp/webhook")
    envelope = cancelled_envelope(make_contract)
    (request,) = erp.requests
    assert request.path == "/erp/webhook"
    verify = doc_verifier()
    assert verify(SECRET, request.headers["X-Firma-Timestamp"], request.headers["X-Firma-Signature"], request.body)
    assert not verify("outro-segredo", request.headers["X-Firma-Timestamp"], request.headers["X-Firma-Signature"],
                      request.body)
    event = request.json()
    assert event["type"] == "envelope.cancelled" and event["id"].startswith("evt_")
    assert event["data"]["envelope"]["public_code"] == envelope.public_code
    assert event["data"]["envelope"]["status"] == "cancelled"
    assert event["data"]["details"]["reason"] == "Cliente desistiu"
    (row,) = webhook_rows(envelope)
    assert (row.status, row.response_status, row.attempts) == ("sent", 200, 1)


def test_500_then_200_is_retried_with_every_attempt_logged(erp, make_contract, integration, db):
    erp.enqueue(500, "erro interno do ERP")
    hook(integration, db, f"{erp.url}/hook")
    envelope = cancelled_envelope(make_contract)
    (row,) = webhook_rows(envelope)
    assert row.status == "retry" and row.response_status == 500 and row.response_excerpt == "erro interno do ERP"
    assert row.next_attempt_at - row.updated_at == webhooks.FIRST_DELAY
    result = webhooks.sweep((row.next_attempt_at + timedelta(minutes=2)).isoformat())
    assert result["requeued"] == 1
    (row,) = webhook_rows(envelope)
    assert row.status == "sent" and [e["http_status"] for e in row.log] == [500, 200]
    assert erp.requests[0].body == erp.requests[1].body  # the same event, byte for byte


def test_closed_port_is_retried_and_given_up_after_a_day(make_contract, integration, db):
    hook(integration, db, f"http://127.0.0.1:{free_port()}/hook")
    envelope = cancelled_envelope(make_contract)
    (row,) = webhook_rows(envelope)
    assert row.status == "retry" and row.response_status is None and "conectar" in row.last_error
    delays = []
    while row.status == "retry":
        delays.append(row.next_attempt_at - row.updated_at)
        webhooks.sweep((row.next_attempt_at + timedelta(minutes=1, seconds=1)).isoformat())
        (row,) = webhook_rows(envelope)
    assert row.status == "failed" and row.last_error.startswith("Desistimos")
    assert delays[:4] == [timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert max(delays) == webhooks.MAX_DELAY
    assert sum(delays, timedelta()) <= webhooks.RETRY_FOR + timedelta(hours=2)


def test_other_4xx_is_a_final_refusal(erp, make_contract, integration, db):
    erp.enqueue(410, "gone")
    hook(integration, db, f"{erp.url}/hook")
    (row,) = webhook_rows(cancelled_envelope(make_contract))
    assert row.status == "failed" and row.response_status == 410


def test_no_duplicate_after_a_worker_restart_mid_job(erp, make_contract, integration, db):
    hook(integration, db, f"{erp.url}/hook")
    envelope = cancelled_envelope(make_contract)
    (row,) = webhook_rows(envelope)
    assert webhooks.send_job(row.id) == "skipped"  # the queue re-delivers a finished task
    # A replay claimed by a worker that then dies: the restarted worker must not post it again.
    webhooks.replay(row)
    db.session.commit()
    assert deliveries.claim(row.id) is not None
    db.session.commit()
    assert webhooks.send_job(row.id) == "skipped"
    assert webhooks.sweep((row.updated_at + timedelta(minutes=1)).isoformat())["interrupted"] == 0  # still fresh
    assert len(erp.requests) == 1
    # Past the stale window the interrupted send is retried, once, with the same body and delivery id.
    later = row.updated_at + deliveries.STALE + timedelta(minutes=1)
    assert webhooks.sweep(later.isoformat()) == {"created": 0, "requeued": 1, "interrupted": 1}
    assert webhooks.sweep((later + timedelta(minutes=1)).isoformat())["requeued"] == 0
    assert len(erp.requests) == 2 and erp.requests[0].body == erp.requests[1].body
    assert erp.requests[1].headers["X-Firma-Delivery"] == str(row.id)
    (row,) = webhook_rows(envelope)
    assert row.status == "sent" and [e["status"] for e in row.log] == ["sent", "replay", "retry", "sent"]


def test_a_send_interrupted_past_the_retry_day_is_given_up(erp, make_contract, integration, db):
    hook(integration, db, f"{erp.url}/hook")
    (row,) = webhook_rows(cancelled_envelope(make_contract))
    row.status = "sending"
    db.session.commit()
    later = row.created_at + webhooks.RETRY_FOR + timedelta(minutes=1)
    assert webhooks.sweep(later.isoformat())["requeued"] == 0
    db.session.refresh(row)
    assert row.status == "failed" and row.last_error.startswith("Desistimos") and len(erp.requests) == 1


def test_replay_sends_the_same_body_again(erp, make_contract, integration, db, make_user):
    hook(integration, db, f"{erp.url}/hook")
    envelope = cancelled_envelope(make_contract)
    (row,) = webhook_rows(envelope)
    webhooks.replay(row, by=make_user())
    commit()
    assert len(erp.requests) == 2 and erp.requests[0].body == erp.requests[1].body
    (row,) = webhook_rows(envelope)
    assert [e["status"] for e in row.log] == ["sent", "replay", "sent"]


def test_sweep_queues_events_whose_webhook_was_never_created(erp, make_contract, integration, db):
    envelope = cancelled_envelope(make_contract)  # no webhook URL yet: nothing queued
    assert webhook_rows(envelope) == []
    hook(integration, db, f"{erp.url}/hook")
    result = webhooks.sweep()
    assert result["created"] == 1
    assert [r.json()["type"] for r in erp.requests] == ["envelope.cancelled"]


def test_non_http_urls_are_refused(make_contract, integration, db):
    hook(integration, db, "file:///etc/passwd")
    (row,) = webhook_rows(cancelled_envelope(make_contract))
    assert row.status == "failed" and "http" in row.last_error
