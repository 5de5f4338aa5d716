"""Nothing stuck, nothing twice: a real `firma worker` SIGKILLed mid-finalisation on PostgreSQL + Redis; a new worker
and the sweep seal every envelope exactly once and deliver one envelope.completed webhook for each."""
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from firma import create_app
from firma.config import ROOT
from firma.envelopes import create
from firma.extensions import db as _db
from firma.models import Delivery, Envelope, Event, EventType, SignerStatus, utcnow
from firma.delivery import deliveries
from firma.platform import jobs, outbox
from tests.http_stub import HttpStub

DATABASE_URL = os.environ.get("FIRMA_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("FIRMA_TEST_QUEUE_URL")
pytestmark = [pytest.mark.postgres, pytest.mark.skipif(
    not (DATABASE_URL and REDIS_URL),
    reason="needs FIRMA_TEST_DATABASE_URL and FIRMA_TEST_QUEUE_URL (the PostgreSQL + Redis pass of make test)")]

BURST = 8
STALE_SECONDS = 4
DEADLINE = 90  # seconds for the new worker and the sweep to seal everything


def start_worker(app, seal_config, log):
    env = {
        "PATH": os.environ["PATH"], "FIRMA_ENV_NAME": "testing", "FIRMA_SECRET_KEY": app.config["SECRET_KEY"],
        "FIRMA_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "FIRMA_QUEUE_URL": REDIS_URL,
        "FIRMA_STORAGE_DIR": str(app.config["STORAGE_DIR"]), "FIRMA_PUBLIC_URL": app.config["PUBLIC_URL"],
        "FIRMA_SEAL_P12": seal_config["SEAL_P12"], "FIRMA_SEAL_PASSPHRASE": seal_config["SEAL_PASSPHRASE"],
        "FIRMA_OUTBOUND_ALLOW_LOOPBACK": "true", "FIRMA_MAIL_SUPPRESS_SEND": "true",
        "FIRMA_FINALISE_STALE_SECONDS": str(STALE_SECONDS),
    }
    return subprocess.Popen([sys.executable, "-c", "from firma.app import main; main()", "worker", "--workers", "2",
                             "--no-periodic"], cwd=str(ROOT), env=env, stdout=log, stderr=subprocess.STDOUT)


def kill_mid_finalisation(app, seal_config, log, ids, tmp_path) -> list[int]:
    """Start a worker, SIGKILL it as soon as one envelope is sealed and another is being sealed; the ones left
    running."""
    worker = start_worker(app, seal_config, log)
    try:
        deadline = time.monotonic() + 60
        while "running" not in (snapshot := list(states(ids).values())) or "done" not in snapshot:
            if "none" not in snapshot and "running" not in snapshot:
                return []  # all sealed before a kill could land
            assert time.monotonic() < deadline and worker.poll() is None, (tmp_path / "worker.log").read_text()
            time.sleep(0.02)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    return [i for i, state in states(ids).items() if state == "running"]


def states(ids):
    _db.session.rollback()
    return dict(_db.session.execute(select(Envelope.id, Envelope.finalise_state).where(Envelope.id.in_(ids))).all())


def test_a_killed_worker_loses_no_finalisation_and_doubles_none(app, db, integration, make_contract, seal_config,
                                                                 tmp_path):
    producer = create_app({**{k: app.config[k] for k in ("ENV_NAME", "SECRET_KEY", "SEAL_PASSPHRASE", "PUBLIC_URL",
                                                        "DATABASE_URL", "STORAGE_DIR", "SEAL_P12")},
                           "QUEUE_IMMEDIATE": False, "QUEUE_URL": REDIS_URL, "RATELIMIT_ENABLED": False},
                          instance_path=app.instance_path)
    huey = jobs.queue(producer)
    huey.flush()
    with HttpStub() as erp:
        integration.webhook_url, integration.webhook_secret = erp.url + "/hooks", "s" * 32
        db.session.commit()
        ids = []
        for _ in range(BURST):  # fully signed, finalisation requested but not yet done
            envelope = create.create_for_contract(make_contract())
            outbox.commit()
            for signer in envelope.signers:
                signer.status, signer.signed_at = SignerStatus.SIGNED, utcnow()
            db.session.commit()
            ids.append(envelope.id)
        with producer.app_context():
            for envelope_id in ids:
                jobs.dispatch("envelope.finalise", envelope_id)
        log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 (both workers write to it; closed below)
        interrupted = []
        for _ in range(3):  # a kill landing between two finalisations interrupts nothing: kill the next worker
            interrupted = kill_mid_finalisation(app, seal_config, log, ids, tmp_path)
            if interrupted:
                break
        if not interrupted:
            log.close()
        assert interrupted, "every kill landed between two finalisations; nothing was in flight"
        second = start_worker(app, seal_config, log)
        try:
            time.sleep(STALE_SECONDS + 1)
            with producer.app_context():
                jobs.dispatch("envelope.finalise_sweep")  # what the worker's periodic scheduler does
            deadline = time.monotonic() + DEADLINE
            while set(states(ids).values()) != {"done"}:
                assert time.monotonic() < deadline, (states(ids), (tmp_path / "worker.log").read_text()[-3000:])
                time.sleep(0.25)
            # The kill may also have cut a webhook short ("sending") or its after-commit dispatch: the webhook
            # sweep, run by the scheduler every minute, resends it once it is stale (clock moved past that).
            later = (datetime.now(timezone.utc) + deliveries.STALE + timedelta(minutes=1)).isoformat()
            while len(completed_hooks(erp)) < BURST:
                assert time.monotonic() < deadline, (len(completed_hooks(erp)),
                                                     (tmp_path / "worker.log").read_text()[-3000:])
                with producer.app_context():
                    jobs.dispatch("webhook.sweep", later)
                time.sleep(1)
            time.sleep(1)  # anything doubled would arrive now
        finally:
            second.terminate()
            second.wait(30)
            log.close()
            with producer.app_context():
                huey.flush()
                _db.engine.dispose()
    _db.session.rollback()
    for envelope_id in ids:
        envelope = _db.session.get(Envelope, envelope_id)
        assert envelope.status == "completed" and envelope.final_path
        completed = _db.session.scalar(select(func.count()).select_from(Event).where(
            Event.envelope_id == envelope_id, Event.type == EventType.ENVELOPE_COMPLETED))
        assert completed == 1, envelope_id
    hooks = completed_hooks(erp)
    assert sorted(h["data"]["envelope"]["public_code"] for h in hooks) == sorted(
        _db.session.get(Envelope, i).public_code for i in ids)  # one per envelope, none twice
    webhook_rows = _db.session.scalar(select(func.count()).select_from(Delivery).join(Event, Delivery.event_id == Event.id)
                                      .where(Event.type == EventType.ENVELOPE_COMPLETED, Event.envelope_id.in_(ids)))
    assert webhook_rows == BURST


def completed_hooks(erp) -> list[dict]:
    return [r.json() for r in erp.requests if r.json().get("type") == "envelope.completed"]
