"""Benchmarks: API throughput creating envelopes beside bare create_for_contract calls, and the time from
the API call to the message at a local SMTP server (through the SQLite queue and a worker thread)."""

from __future__ import annotations

import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from bench.report import row
from bench.seeding import organization_scope
from firma import create_app
from firma.envelopes import create
from firma.extensions import db
from firma.models import Branch, Contract, Customer, DocumentTemplate, Integration, TemplateVersion
from firma.org import api_tokens
from firma.platform import jobs, outbox
from firma.sealing import certificate
from tests.smtp_sink import SmtpSink

N = 20
E2E_RUNS = 5
BODY = "<h1>Contrato</h1>" + "<p>{{ cliente.nome }} contrata {{ contrato.plano }} por {{ contrato.valor }}.</p>" * 40
CPFS = ["52998224725", "15350946056", "11144477735", "39053344705", "86288366757"]


def _app(instance: Path, smtp_port: int):
    certificate.generate_instance_certificate(instance / "seal.p12", b"bench")
    app = create_app({"ENV_NAME": "testing", "SECRET_KEY": "bench-" + "x" * 32, "SEAL_PASSPHRASE": "bench",
                      "DATABASE_URL": f"sqlite:///{instance / 'bench.sqlite3'}", "QUEUE_IMMEDIATE": False,
                      "QUEUE_URL": f"sqlite:///{instance / 'queue.sqlite3'}", "PUBLIC_URL": "http://firma.bench",
                      "MAIL_PORT": smtp_port, "MAIL_SUPPRESS_SEND": False, "RATELIMIT_ENABLED": False},
                     instance_path=str(instance))
    with app.app_context():
        db.create_all()
    return app


def _seed(count: int) -> tuple[str, list[str]]:
    with organization_scope():
        return _seed_rows(count)


def _seed_rows(count: int) -> tuple[str, list[str]]:
    integration = Integration(description="Bench", require_document_photo=False, require_selfie=False)
    branch = Branch(name="Fibra Bench", cnpj="11222333000181", city="Campinas", integration=integration)
    template = DocumentTemplate(name="Modelo", kind="contract")
    template.versions.append(TemplateVersion(number=1, body=BODY))
    db.session.add_all([integration, branch, template])
    numbers = []
    for n in range(count):
        customer = Customer(name=f"Cliente {n}", cpf_cnpj=f"{n:011d}", email=f"c{n}@example.com", phone=None)
        contract = Contract(number=f"B-{n:05d}", customer=customer, branch=branch, template=template,
                            plan="Fibra 500", price=Decimal("99.90"))
        db.session.add(contract)
        numbers.append(contract.number)
    token = api_tokens.rotate_token(integration)
    outbox.commit()
    return token, numbers


def _bare(numbers: list[str]) -> float:
    """Baseline: the same envelopes opened by the service function, no HTTP, no JSON, no queue."""
    started = time.perf_counter()
    for number in numbers:
        create.create_for_contract(db.session.query(Contract).filter_by(number=number).one())
        outbox.commit()
    return len(numbers) / (time.perf_counter() - started)


def _through_api(client, token: str, numbers: list[str]) -> float:
    headers = {"Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    for number in numbers:
        response = client.post("/api/v1/envelopes", json={"contract_number": number}, headers=headers)
        assert response.status_code == 201, response.json
    return len(numbers) / (time.perf_counter() - started)


def _end_to_end(app, client, token: str, numbers: list[str], smtp: SmtpSink) -> float:
    """Median ms from the POST to the link e-mail at the SMTP server, with a worker consuming the queue."""
    huey = jobs.queue(app)
    consumer = huey.create_consumer(workers=1, worker_type="thread", periodic=False, initial_delay=0.01,
                                    max_delay=0.05)
    consumer.start()
    times = []
    try:
        for number in numbers:
            before = len(smtp.messages)
            started = time.perf_counter()
            response = client.post("/api/v1/envelopes", json={"contract_number": number},
                                   headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 201, response.json
            while len(smtp.messages) == before:
                if time.perf_counter() - started > 30:
                    raise TimeoutError("the link e-mail did not arrive")
                time.sleep(0.002)
            times.append((time.perf_counter() - started) * 1000)
    finally:
        consumer.stop(graceful=True)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, SmtpSink() as smtp:
        app = _app(Path(tmp), smtp.port)
        with app.app_context():
            token, numbers = _seed(2 * N + E2E_RUNS + 1)
            client = app.test_client()
            _through_api(client, token, numbers[:1])  # warm: fonts, templates, first WeasyPrint call
            baseline = _bare(numbers[1:N + 1])
            ours = _through_api(client, token, numbers[N + 1:2 * N + 1])
            row(f"API: create envelope from contract ({N} requests)", ours, baseline, "req/s",
                "≥ 0.8x of bare create_for_contract")
            e2e = _end_to_end(app, client, token, numbers[2 * N + 1:], smtp)
            row("API call → link e-mail at SMTP (median, SQLite queue + worker)", e2e, None, "ms", "")
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
