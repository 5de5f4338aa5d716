"""`firma worker --processes N`: forked workers share a batch's item jobs through the real queue, log JSON lines."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from firma import create_app
from firma.config import ROOT
from firma.envelopes import batches
from firma.extensions import db as _db
from firma.models import Batch, BatchItem, Envelope
from firma.platform import jobs, outbox
from tests.conftest import valid_cpf

REDIS_URL = os.environ.get("FIRMA_TEST_QUEUE_URL")
WORKER = """
import json, sys
from flask.cli import ScriptInfo
from firma import create_app
from firma.platform import worker_cli
app = create_app(json.loads(sys.argv[1]), instance_path=sys.argv[2])
worker_cli.worker.main(["--processes", "2", "--no-periodic"], obj=ScriptInfo(create_app=lambda: app))
"""
SHARED = ("ENV_NAME", "SECRET_KEY", "SEAL_PASSPHRASE", "PUBLIC_URL", "DATABASE_URL", "MAIL_SUPPRESS_SEND")


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_two_worker_processes_share_a_batch(backend, app, tmp_path, make_contract, make_customer, make_template, db):
    if backend == "redis" and not REDIS_URL:
        pytest.skip("FIRMA_TEST_QUEUE_URL is not set (make test sets it for the PostgreSQL + Redis run)")
    settings = {**{k: app.config[k] for k in SHARED}, "QUEUE_IMMEDIATE": False,
                "QUEUE_URL": REDIS_URL if backend == "redis" else f"sqlite:///{tmp_path / 'queue.sqlite3'}"}
    worker_app = create_app(settings, instance_path=app.instance_path)
    jobs.queue(worker_app).flush()
    template = make_template()
    ids = [make_contract(customer=make_customer(cpf=valid_cpf(i), phone=None), template=template).id for i in range(8)]
    with worker_app.app_context():
        batch_id = batches.start("send", ids).id
        outbox.commit()
        _db.session.remove()
    log = tmp_path / "worker.log"
    with open(log, "wb") as stderr:
        worker = subprocess.Popen([sys.executable, "-c", WORKER, json.dumps(settings), app.instance_path],
                                  cwd=str(ROOT), stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            deadline = time.monotonic() + 90
            while db.session.scalar(select(Batch.status).where(Batch.id == batch_id)) != "done":
                db.session.rollback()
                assert worker.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.2)
            # the jobs yield the CPU to web requests on a shared host (--nice 10 by default)
            assert os.getpriority(os.PRIO_PROCESS, worker.pid) == min(os.getpriority(os.PRIO_PROCESS, 0) + 10, 19)
        finally:
            worker.send_signal(signal.SIGINT)
            worker.wait(30)
    with worker_app.app_context():
        _db.engine.dispose()
    assert db.session.scalar(select(func.count()).select_from(Envelope)) == 8
    assert db.session.scalar(select(func.count()).where(BatchItem.status == "done")) == 8
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    items = [line for line in lines if line.get("job") == "batch.item"]
    run = next(line for line in lines if line.get("job") == "batch.run")
    assert len(items) == 8 and all(line["outcome"] == "done" and line["batch_id"] == batch_id for line in items)
    assert len({line["pid"] for line in items}) == 2  # both processes worked on the batch
    assert {line["request_id"] for line in items} == {run["request_id"]}  # the batch's id travelled with its items
    sends = [line for line in lines if line.get("job") == "delivery.send"]
    assert len(sends) == 8 and all(line["outcome"] == "done" for line in sends)
    assert {line["pid"] for line in sends} <= {line["pid"] for line in items}  # each item sent its own link
