"""The job queue: jobs run only after a commit, and really travel through SQLite and Redis storage."""
import os
import time

import pytest
from flask import current_app
from sqlalchemy import select

from firma import create_app
from firma.delivery import deliveries
from firma.envelopes import create, sync
from firma.evidence import audit
from firma.extensions import db as _db
from firma.models import Contract, Delivery, utcnow
from firma.platform import jobs, outbox, worker_cli
from tests.smtp_sink import SmtpSink

REDIS_URL = os.environ.get("FIRMA_TEST_QUEUE_URL")




def test_every_job_of_the_contract_is_registered(app):
    assert {"delivery.send", "delivery.sweep", "webhook.send", "webhook.sweep", "reminders.sweep",
            "envelope.finalise", "batch.run"} <= set(jobs.names(app))


def test_enqueued_job_runs_after_commit_and_never_after_rollback(make_contract, make_customer, db):
    envelope = create.create_for_contract(make_contract(customer=make_customer(phone=None)))
    outbox.commit()
    deliveries.send_links(envelope)
    db.session.rollback()
    assert db.session.scalar(select(Delivery)) is None
    deliveries.send_links(envelope)
    outbox.commit()
    assert db.session.scalar(select(Delivery.status)) == "sent"


def test_unknown_job_is_refused(app):
    with app.app_context(), pytest.raises(KeyError):
        jobs.enqueue("no.such.job")


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_a_message_travels_through_the_real_queue_storage(backend, app, tmp_path, make_contract, make_customer, db):
    if backend == "redis" and not REDIS_URL:
        pytest.skip("FIRMA_TEST_QUEUE_URL is not set (make test sets it for the PostgreSQL + Redis run)")
    url = REDIS_URL if backend == "redis" else f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    worker_app = create_app({**{k: app.config[k] for k in ("ENV_NAME", "SECRET_KEY", "SEAL_PASSPHRASE", "PUBLIC_URL",
                                                          "DATABASE_URL")},
                             "QUEUE_IMMEDIATE": False, "QUEUE_URL": url}, instance_path=app.instance_path)
    huey = jobs.queue(worker_app)
    huey.flush()
    contract_id = make_contract(customer=make_customer(phone=None)).id
    with SmtpSink() as smtp, worker_app.app_context():
        worker_app.config.update(MAIL_PORT=smtp.port, MAIL_SUPPRESS_SEND=False)
        envelope = create.create_for_contract(_db.session.get(Contract, contract_id))
        deliveries.send_links(envelope)
        outbox.commit()
        assert huey.pending_count() == 1 and smtp.messages == []
        task = huey.dequeue()  # what the consumer does, minus its thread loop
        huey.execute(task)
        assert len(smtp.messages) == 1
        assert _db.session.scalar(select(Delivery.status)) == "sent"
        # The same task delivered again (a worker restarted before acknowledging it) sends nothing.
        huey.execute(task)
        assert len(smtp.messages) == 1
        _db.session.remove()
        _db.engine.dispose()  # the worker app's own connection pool


def test_sweep_command_reports_as_json(app, db):
    result = app.test_cli_runner().invoke(worker_cli.sweep)
    assert result.exit_code == 0, result.output
    assert '"reminders"' in result.output and '"webhooks"' in result.output


def test_sync_finalises_a_signed_envelope_that_was_never_sealed(make_contract, db):
    envelope = create.create_for_contract(make_contract())
    outbox.commit()
    for signer in envelope.signers:  # signed, but the finalisation request was lost (the process died)
        signer.status, signer.signed_at = "signed", utcnow()
        audit.record(envelope, "signer.signed", signer=signer)
    db.session.commit()
    report = sync.sync_envelope(envelope)
    outbox.commit()  # the caller's commit, as a view's
    assert "finalização do documento solicitada" in " ".join(report.actions)
    db.session.refresh(envelope)
    assert envelope.status == "completed" and envelope.finalise_state == "done"
    again = sync.sync_envelope(envelope)
    outbox.commit()
    assert again.actions == [] and again.message.startswith("Assinatura concluída")


def test_the_worker_consumer_runs_jobs_in_its_own_threads(app, tmp_path, make_contract, make_customer, db):
    worker_app = create_app({**{k: app.config[k] for k in ("ENV_NAME", "SECRET_KEY", "SEAL_PASSPHRASE", "PUBLIC_URL",
                                                          "DATABASE_URL")},
                             "QUEUE_IMMEDIATE": False, "QUEUE_URL": f"sqlite:///{tmp_path / 'q.sqlite3'}"},
                            instance_path=app.instance_path)
    contract_id = make_contract(customer=make_customer(phone=None)).id
    with SmtpSink() as smtp, worker_app.app_context():
        worker_app.config.update(MAIL_PORT=smtp.port, MAIL_SUPPRESS_SEND=False)
        huey = jobs.queue(current_app)  # as `firma worker` does, with the context-local proxy
        consumer = huey.create_consumer(workers=1, worker_type="thread", periodic=False, initial_delay=0.01,
                                        max_delay=0.05)
        consumer.start()
        try:
            deliveries.send_links(create.create_for_contract(_db.session.get(Contract, contract_id)))
            outbox.commit()
            deadline = time.monotonic() + 20
            while not smtp.messages and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            consumer.stop(graceful=True)
        assert len(smtp.messages) == 1
        _db.session.remove()
        _db.engine.dispose()
