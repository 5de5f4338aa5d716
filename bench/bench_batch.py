"""A batch of N contracts (default 1,000; BENCH_BATCH_N) rendered, enveloped and e-mailed to a local SMTP
server through the queue, beside WeasyPrint rendering the same N documents directly; plus the admin's
p95 response time while the batch runs."""
from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

from werkzeug.security import generate_password_hash

from bench.report import row
from firma import create_app
from firma.documents import rendering
from firma.documents.contexts import contract_context
from firma.documents.sandbox import render_body
from firma.envelopes import batches
from firma.extensions import db
from firma.models import Batch, Branch, Contract, Customer, DocumentTemplate, Integration, TemplateVersion, User
from firma.models.base import utcnow
from firma.platform import jobs, outbox
from firma.sealing import certificate
from tests.smtp_sink import SmtpSink

N = int(os.environ.get("BENCH_BATCH_N", "1000"))
PASSWORD = "bench-password-123"
BODY = ("<h1>Contrato {{ contrato.numero }}</h1>"
        + "<p>{{ cliente.nome }} ({{ cliente.cpf_cnpj }}) contrata {{ contrato.plano }} por {{ contrato.valor }} "
          "({{ contrato.valor_extenso }}), com vencimento no dia {{ contrato.dia_vencimento }}.</p>" * 30)
ADMIN_PAGES = ("/admin/", "/admin/historico", "/admin/contratos", "/admin/lotes/{batch}/progresso")


def _cpf(n: int) -> str:
    base = [int(c) for c in f"{n + 100_000_000:09d}"]
    for length in (9, 10):
        total = sum(d * w for d, w in zip(base, range(length + 1, 1, -1)))
        base.append(0 if total % 11 < 2 else 11 - total % 11)
    return "".join(map(str, base))


def _app(instance: Path, smtp_port: int):
    certificate.generate_instance_certificate(instance / "seal.p12", b"bench")
    app = create_app({"ENV_NAME": "testing", "SECRET_KEY": "bench-" + "x" * 32, "SEAL_PASSPHRASE": "bench",
                      "DATABASE_URL": f"sqlite:///{instance / 'bench.sqlite3'}?timeout=30",
                      "QUEUE_IMMEDIATE": False, "QUEUE_URL": f"sqlite:///{instance / 'queue.sqlite3'}",
                      "PUBLIC_URL": "http://firma.bench", "MAIL_PORT": smtp_port, "MAIL_SUPPRESS_SEND": False,
                      "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False}, instance_path=str(instance))
    with app.app_context():
        db.create_all()
    return app


def _seed(count: int) -> tuple[list[int], int]:
    admin = User(name="Bench", email="bench@isp.test", role="admin", password_hash=generate_password_hash(PASSWORD))
    integration = Integration(description="Bench", require_document_photo=False, require_selfie=False)
    branch = Branch(name="Fibra Bench", cnpj="11222333000181", city="Campinas", integration=integration)
    template = DocumentTemplate(name="Modelo", kind="contract")
    template.versions.append(TemplateVersion(number=1, body=BODY))
    db.session.add_all([admin, integration, branch, template])
    contracts = []
    for n in range(count):
        customer = Customer(name=f"Cliente {n}", cpf_cnpj=_cpf(n), email=f"c{n}@example.com", phone=None)
        contracts.append(Contract(number=f"B-{n:05d}", customer=customer, branch=branch, template=template,
                                  plan="Fibra 500", price=Decimal("99.90")))
    db.session.add_all(contracts)
    outbox.commit()
    return [c.id for c in contracts], admin.id


def _baseline(contract_ids: list[int]) -> float:
    """Seconds for WeasyPrint alone to render the same documents (their HTML built beforehand, untimed)."""
    html = []
    for contract_id in contract_ids:
        contract = db.session.get(Contract, contract_id)
        body = render_body(BODY, contract_context(contract, utcnow()))
        html.append(rendering.document_html(body, title=f"Contrato {contract.number}", branch_name="Fibra Bench",
                                            branch_cnpj="11222333000181", public_code="FRM-BENC-HMRK"))
    db.session.remove()
    started = time.perf_counter()
    for page in html:
        rendering.html_to_pdf(page)
    return time.perf_counter() - started


def _admin_load(app, batch_id: int, stop: threading.Event, times: list[float]) -> None:
    """A staff member clicking around the panel while the batch runs (own thread, own app contexts)."""
    client = app.test_client()
    client.post("/admin/entrar", data={"email": "bench@isp.test", "password": PASSWORD})
    pages = [p.format(batch=batch_id) for p in ADMIN_PAGES]
    i = 0
    while not stop.is_set():
        started = time.perf_counter()
        response = client.get(pages[i % len(pages)])
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
        i += 1
        time.sleep(0.05)


def _batch(app, contract_ids: list[int], admin_id: int, smtp: SmtpSink) -> tuple[float, list[float]]:
    huey = jobs.queue(app)
    consumer = huey.create_consumer(workers=2, worker_type="thread", periodic=False, initial_delay=0.01,
                                    max_delay=0.1)
    consumer.start()
    times: list[float] = []
    stop = threading.Event()
    try:
        started = time.perf_counter()
        with app.app_context():
            batch = batches.start("send", contract_ids, by=db.session.get(User, admin_id))
            outbox.commit()
            batch_id = batch.id
        load = threading.Thread(target=_admin_load, args=(app, batch_id, stop, times))
        load.start()
        while len(smtp.messages) < len(contract_ids):
            if time.perf_counter() - started > 3600:
                raise TimeoutError(f"only {len(smtp.messages)} of {len(contract_ids)} e-mails arrived")
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        stop.set()
        load.join(30)
        with app.app_context():
            batch = db.session.get(Batch, batch_id)
            assert batch.status == "done" and batch.processed == len(contract_ids), (batch.status, batch.processed)
    finally:
        stop.set()
        consumer.stop(graceful=True)
    return elapsed, times


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, SmtpSink() as smtp:
        app = _app(Path(tmp), smtp.port)
        with app.app_context():
            contract_ids, admin_id = _seed(N)
            baseline = _baseline(contract_ids)
        ours, times = _batch(app, contract_ids, admin_id, smtp)
        row(f"Batch: {N} contracts rendered, enveloped, e-mailed (SMTP)", ours, baseline, "s",
            "≤ 1.5x; ≤ 180 s for 1,000")
        p95 = statistics.quantiles(times, n=20)[18] if len(times) >= 20 else max(times, default=0.0)
        row(f"Admin p95 response during the batch ({len(times)} requests)", p95, None, "ms", "≤ 200 ms")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
