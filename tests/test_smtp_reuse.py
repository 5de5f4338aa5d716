"""One SMTP connection per worker thread for a burst of e-mails, reopened when idle, dropped or reconfigured."""
import threading

import pytest

from firma.delivery import email, smtp_connection
from firma.delivery.messages import Message
from firma.models import Branch
from tests.smtp_sink import SmtpSink

MESSAGE = Message(subject="Seu contrato", body="Olá!\n\nAssine pelo link.", link="http://firma.test/s/x",
                  whatsapp_text="", whatsapp_template="", whatsapp_parameters=[], branch_name="Fibra Sul")


@pytest.fixture()
def mail_app(app):
    saved = {k: app.config[k] for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_SUPPRESS_SEND")}
    smtp_connection.close()
    yield app
    smtp_connection.close()
    app.config.update(saved)


def burst(app, port: int, count: int, to: str = "cliente{}@example.com") -> list[str]:
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SUPPRESS_SEND=False)
    with app.test_request_context():
        branch = Branch(name="Fibra Sul", cnpj="11222333000181", city="Campinas")
        return [email.send(to.format(i), MESSAGE, branch=branch).status for i in range(count)]


def test_a_burst_of_messages_uses_one_connection(mail_app):
    with SmtpSink() as sink:
        assert burst(mail_app, sink.port, 20) == ["sent"] * 20
        assert len(sink.messages) == 20 and len(sink.connections) == 1


def test_a_refused_recipient_keeps_the_connection(mail_app):
    with SmtpSink() as sink:
        sink.refuse.add("cliente1@example.com")
        assert burst(mail_app, sink.port, 3) == ["sent", "failed", "sent"]
        assert len(sink.connections) == 1


def test_a_dropped_connection_is_reopened_and_the_message_sent(mail_app):
    with SmtpSink() as first:
        port = first.port
        assert burst(mail_app, port, 2) == ["sent", "sent"]
    with SmtpSink(port) as second:  # the server restarted: our open connection is dead
        assert burst(mail_app, port, 2) == ["sent", "sent"]
        assert len(second.messages) == 2 and len(second.connections) == 1


def test_a_server_that_stays_down_is_a_retry(mail_app):
    with SmtpSink() as sink:
        port = sink.port
        burst(mail_app, port, 1)
    assert burst(mail_app, port, 1) == ["retry"]


def test_an_idle_connection_is_not_reused(mail_app, monkeypatch):
    monkeypatch.setattr(smtp_connection, "IDLE_SECONDS", 0)
    with SmtpSink() as sink:
        assert burst(mail_app, sink.port, 3) == ["sent"] * 3
        assert len(sink.connections) == 3


def test_each_worker_thread_has_its_own_connection(mail_app):
    with SmtpSink() as sink:
        results = []
        threads = [threading.Thread(target=lambda: results.extend(burst(mail_app, sink.port, 5)) or
                                    smtp_connection.close()) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results == ["sent"] * 15 and len(sink.connections) == 3
