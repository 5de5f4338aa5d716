"""E-mail delivery against a real SMTP server on loopback: links, retries, refusals, the signed copy."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from firma.delivery import deliveries
from firma.envelopes import create, links
from firma.models import Delivery, Event
from firma.platform import storage
from firma.platform.outbox import commit
from tests.flow import sign
from tests.smtp_sink import SmtpSink, free_port


@pytest.fixture()
def smtp_config(app):
    """Point the app's SMTP settings at a port for one test, then restore them."""
    saved = {k: app.config[k] for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_SUPPRESS_SEND")}

    def use(port: int) -> None:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SUPPRESS_SEND=False)

    yield use
    app.config.update(saved)


@pytest.fixture()
def smtp(smtp_config):
    with SmtpSink() as sink:
        smtp_config(sink.port)
        yield sink


@pytest.fixture()
def email_envelope(make_contract, make_customer, db):
    customer = make_customer(phone=None, email="maria@example.com", name="Maria Souza")
    envelope = create.create_for_contract(make_contract(customer=customer))
    commit()
    return envelope


def deliveries_of(envelope):
    return list(Delivery.query.filter_by(envelope_id=envelope.id).order_by(Delivery.id))


def test_link_email_reaches_the_server_with_text_html_and_a_working_link(smtp, email_envelope, branch):
    deliveries.send_links(email_envelope)
    commit()
    assert len(smtp.messages) == 1
    received = smtp.messages[0]
    assert received.rcpt_tos == ["maria@example.com"]
    assert branch.name in received.message["From"]
    assert "aguarda sua assinatura" in received.message["Subject"]
    text, html = received.part("text/plain"), received.part("text/html")
    assert "Olá, Maria Souza!" in text and "Assinar documento" in html and branch.color in html
    token = text.split("/s/")[1].split()[0].strip(".")
    signer = email_envelope.signers[0]
    assert links.find_signer(token).id == signer.id
    row = deliveries_of(email_envelope)[0]
    assert (row.status, row.attempts, row.channel, row.purpose) == ("sent", 1, "email", "link")
    assert row.provider_id and row.sent_at is not None
    assert signer.status == "sent"
    types = [e.type for e in Event.query.filter_by(envelope_id=email_envelope.id)]
    assert "envelope.sent" in types and "signer.link_sent" in types


def test_integration_templates_fill_variables_and_escape_html(smtp, email_envelope, integration, db):
    integration.email_subject_client = "{{ provedor.nome }} — assine {{ documento.codigo }}"
    integration.email_body_client = "Oi {{ cliente.nome|upper }}, acesse {{ link }} <b>já</b>"
    db.session.commit()
    deliveries.send_links(email_envelope)
    commit()
    received = smtp.messages[0]
    assert email_envelope.public_code in received.message["Subject"]
    assert "Oi MARIA SOUZA, acesse http://firma.test/s/" in received.part("text/plain")
    assert "&lt;b&gt;já&lt;/b&gt;" in received.part("text/html")


def test_sending_links_twice_queues_one_message(smtp, email_envelope):
    deliveries.send_links(email_envelope)
    commit()
    assert deliveries.send_links(email_envelope) == []
    commit()
    assert len(smtp.messages) == 1


def test_smtp_down_is_retried_with_backoff_then_sent_once(smtp_config, email_envelope):
    port = free_port()
    smtp_config(port)  # nothing listens there yet
    deliveries.send_links(email_envelope)
    commit()
    row = deliveries_of(email_envelope)[0]
    assert row.status == "retry" and row.attempts == 1 and "indisponível" in row.last_error
    assert row.next_attempt_at is not None
    early = deliveries.sweep(row.next_attempt_at.isoformat())
    assert early["requeued"] == 0  # still within the grace the queued retry task has
    with SmtpSink(port) as sink:
        result = deliveries.sweep((row.next_attempt_at + timedelta(minutes=2)).isoformat())
        assert result["requeued"] == 1
        assert len(sink.messages) == 1
    row = deliveries_of(email_envelope)[0]
    assert row.status == "sent" and row.attempts == 2
    assert [entry["status"] for entry in row.log] == ["retry", "sent"]


def test_permanent_refusal_fails_without_retry(smtp, email_envelope):
    smtp.refuse.add("maria@example.com")
    deliveries.send_links(email_envelope)
    commit()
    row = deliveries_of(email_envelope)[0]
    assert row.status == "failed" and "550" in row.last_error and row.next_attempt_at is None


def test_gives_up_after_the_last_backoff_step(smtp_config, email_envelope):
    smtp_config(free_port())
    deliveries.send_links(email_envelope)
    commit()
    row = deliveries_of(email_envelope)[0]
    for _ in range(len(deliveries.MESSAGE_BACKOFF)):
        deliveries.sweep((row.next_attempt_at + timedelta(minutes=2)).isoformat())
        row = deliveries_of(email_envelope)[0]
    assert row.status == "failed" and row.attempts == len(deliveries.MESSAGE_BACKOFF) + 1
    assert row.last_error.startswith("Desistimos após")


def test_a_job_run_twice_or_after_a_crash_never_sends_twice(smtp, email_envelope, db):
    deliveries.send_links(email_envelope)
    commit()
    row = deliveries_of(email_envelope)[0]
    # The queue delivers the same task again (e.g. the worker died after sending, before acknowledging).
    assert deliveries.send_job(row.id) == "skipped"
    assert len(smtp.messages) == 1

    # A worker claims a resend and dies before the outcome is recorded.
    resend = deliveries.send_link(email_envelope.signers[0], purpose="resend")
    db.session.commit()  # plain commit: the job is not queued, as if the process died right here
    assert deliveries.claim(resend.id) is not None
    db.session.commit()
    assert deliveries.send_job(resend.id) == "skipped"  # the restarted worker sees the claim
    later = resend.updated_at + deliveries.STALE + timedelta(minutes=1)
    interrupted_link = resend.signer.token_hash
    report = deliveries.sweep(later.isoformat())
    assert report == {"requeued": 1, "interrupted": 1}
    db.session.refresh(resend)
    assert resend.status == "sent" and resend.attempts == 2  # sent again, safely: with a new link
    assert len(smtp.messages) == 2
    assert resend.signer.token_hash != interrupted_link  # whatever the interrupted message carried no longer works
    assert deliveries.sweep((later + deliveries.STALE * 2).isoformat()) == {"requeued": 0, "interrupted": 0}


def test_completed_envelope_mails_the_signed_pdf_to_every_signer(smtp, client, make_contract, make_customer, db):
    customer = make_customer(phone=None, email="cliente@example.com")
    envelope = create.create_for_contract(make_contract(customer=customer, witness=True))
    commit()
    for signer in envelope.signers:
        sign(client, signer)
    db.session.refresh(envelope)
    assert envelope.status == "completed"
    copies = [m for m in smtp.messages if m.attachments()]
    assert sorted(m.rcpt_tos[0] for m in copies) == ["cliente@example.com", "testemunha@example.com"]
    name, data = copies[0].attachments()[0]
    assert name == f"{envelope.public_code}.pdf" and data.startswith(b"%PDF")
    assert data == storage.read(envelope.final_path)
    rows = db.session.scalars(select(Delivery).where(Delivery.purpose == "completed")).all()
    assert {r.status for r in rows} == {"sent"} and len(rows) == 2
