"""A batch of N contracts (default 1,000; BENCH_BATCH_N) rendered, enveloped and e-mailed to a local SMTP server
by 1 and then 2 `firma worker --processes` processes sharing the Redis queue and PostgreSQL, as in production,
beside bare WeasyPrint rendering the same N documents in one process; and the admin's p95 meanwhile (gunicorn,
measured with wrk: one connection, a staff member clicking twice a second through the pages watched during a batch).
The baseline renders half the documents right before each batch and half right after (the machine drifts).
BENCH_DATABASE_URL (default: the firma_bench database, created) and BENCH_QUEUE_URL (redis://.../14) say where;
each run starts from an empty database and queue. BENCH_PROCESSES ("1 2") and BENCH_WORKER_ARGS (e.g. "--nice 0")
vary the workers. The job summary lines say where the workers' time went."""
from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from decimal import Decimal
from pathlib import Path

import weasyprint
from werkzeug.security import generate_password_hash

from bench.report import row
from bench.seeding import organization_scope
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
from tests.smtp_sink import SmtpSink, free_port

ROOT = Path(__file__).resolve().parent.parent
N = int(os.environ.get("BENCH_BATCH_N", "1000"))
PROCESSES = tuple(int(n) for n in os.environ.get("BENCH_PROCESSES", "1 2").split())
PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/firma_bench")
QUEUE_URL = os.environ.get("BENCH_QUEUE_URL", "redis://127.0.0.1:6379/14")
PASSWORD = "bench-password-123"
BODY = ("<h1>Contrato {{ contrato.numero }}</h1>"
        + "<p>{{ cliente.nome }} ({{ cliente.cpf_cnpj }}) contrata {{ contrato.plano }} por {{ contrato.valor }} "
          "({{ contrato.valor_extenso }}), com vencimento no dia {{ contrato.dia_vencimento }}.</p>" * 30)
ADMIN_PAGES = ("/admin/", "/admin/historico", "/admin/contratos", "/admin/lotes/{batch}/progresso")
WORKER = """
import sys
from flask.cli import ScriptInfo
from firma import create_app
from firma.platform import worker_cli
app = create_app(instance_path=sys.argv[1])
worker_cli.worker.main(["--processes", sys.argv[2], "--no-periodic", *sys.argv[3:]], obj=ScriptInfo(create_app=lambda: app))
"""
WRK_SCRIPT = """
local paths = {%s}
local i = 0
request = function() i = i + 1; return wrk.format("GET", paths[(i %% #paths) + 1]) end
delay = function() return 500 end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("FIRMA %%d %%.1f %%d\\n", summary.requests, latency:percentile(95) / 1000,
                         e.status + e.connect + e.read + e.write + e.timeout))
end
"""


def admin_app():
    """gunicorn factory: the real app on the bench instance folder (its config.py names PG, Redis, SMTP)."""
    return create_app(instance_path=os.environ["BENCH_INSTANCE"])


def _cpf(n: int) -> str:
    base = [int(c) for c in f"{n + 100_000_000:09d}"]
    for length in (9, 10):
        total = sum(d * w for d, w in zip(base, range(length + 1, 1, -1)))
        base.append(0 if total % 11 < 2 else 11 - total % 11)
    return "".join(map(str, base))


def _instance(instance: Path, smtp_port: int):
    certificate.generate_instance_certificate(instance / "seal.p12", b"bench")
    settings = {"ENV_NAME": "production", "SECRET_KEY": secrets.token_urlsafe(48), "SEAL_PASSPHRASE": "bench",
                "DATABASE_URL": PG_URL, "QUEUE_URL": QUEUE_URL, "PUBLIC_URL": "http://firma.bench",
                "MAIL_PORT": smtp_port, "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False}
    (instance / "config.py").write_text("".join(f"{k} = {v!r}\n" for k, v in settings.items()), encoding="utf-8")
    return create_app(instance_path=str(instance))


def _seed(count: int) -> tuple[list[int], int]:
    db.drop_all()
    db.create_all()
    with organization_scope():
        return _seed_rows(count)


def _seed_rows(count: int) -> tuple[list[int], int]:
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


def _documents(contract_ids: list[int]) -> list[str]:
    """The batch's documents as self-contained HTML (typography inlined), for bare WeasyPrint."""
    html = []
    for contract_id in contract_ids:
        contract = db.session.get(Contract, contract_id)
        body = render_body(BODY, contract_context(contract, utcnow()))
        html.append(rendering.standalone_html(rendering.document_html(
            body, title=f"Contrato {contract.number}", branch_name="Fibra Bench", branch_cnpj="11222333000181",
            public_code="FRM-BENC-HMRK")))
    db.session.remove()
    return html


def _bare(pages: list[str]) -> float:
    """Seconds for bare WeasyPrint, its defaults and nothing of ours, to render these pages in this process."""
    weasyprint.HTML(string=pages[0]).write_pdf()  # warm: fonts
    started = time.perf_counter()
    for page in pages:
        weasyprint.HTML(string=page).write_pdf()
    return time.perf_counter() - started


def _gunicorn(instance: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "BENCH_INSTANCE": str(instance), "GUNICORN_BIND": f"127.0.0.1:{port}",
           "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "4"}
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "bench.bench_batch:admin_app()"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def _session_cookie(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/admin/entrar", urllib.parse.urlencode({"email": "bench@isp.test", "password": PASSWORD}),
                 {"Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    response.read()
    cookie = response.getheader("Set-Cookie") or ""
    assert response.status == 302 and cookie.startswith("session="), (response.status, cookie)
    return cookie.split(";", 1)[0]


def _workers(instance: Path, processes: int, log: Path) -> subprocess.Popen:
    """`firma worker --processes N` on the bench instance; returns once its consumer has started."""
    proc = subprocess.Popen([sys.executable, "-c", WORKER, str(instance), str(processes),
                             *os.environ.get("BENCH_WORKER_ARGS", "").split()], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=open(log, "wb"))
    deadline = time.monotonic() + 60
    while b"worker:" not in log.read_bytes():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the worker did not start: {log.read_text()[-2000:]}")
        time.sleep(0.1)
    time.sleep(1)  # the forked processes open their connections
    return proc


def _stop(proc: subprocess.Popen, sig=signal.SIGINT) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _batch(app, instance: Path, processes: int, smtp: SmtpSink) -> tuple[float, float, int]:
    """Seconds for the batch with `processes` worker processes; admin p95 (ms) and requests meanwhile."""
    with app.app_context():
        contract_ids, admin_id = _seed(N)
        jobs.queue(app).flush()
        db.session.remove()
    smtp.messages.clear()
    web, port = _gunicorn(instance)
    worker = _workers(instance, processes, instance / f"worker-{processes}.log")
    load = None
    try:
        cookie = _session_cookie(port)
        started = time.perf_counter()
        with app.app_context():
            batch_id = batches.start("send", contract_ids, by=db.session.get(User, admin_id)).id
            outbox.commit()
        script = instance / "admin.lua"
        script.write_text(WRK_SCRIPT % ", ".join(json.dumps(p.format(batch=batch_id)) for p in ADMIN_PAGES))
        load = subprocess.Popen(["wrk", "-t1", "-c1", "-d3600s", "--timeout", "10s", "-s", str(script),
                                 "-H", f"Cookie: {cookie}", f"http://127.0.0.1:{port}"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        while len(smtp.messages) < N:
            if time.perf_counter() - started > 3600 or worker.poll() is not None:
                raise RuntimeError(f"only {len(smtp.messages)} of {N} e-mails arrived")
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        load.send_signal(signal.SIGINT)
        out = load.communicate(timeout=30)[0]
        requests, p95, errors = re.search(r"FIRMA (\d+) (\S+) (\d+)", out).groups()
        assert int(errors) == 0, f"admin errors under load: {out}"
        with app.app_context():
            batch = db.session.get(Batch, batch_id)
            assert batch.status == "done" and batch.processed == N, (batch.status, batch.processed)
            db.session.remove()
    finally:
        if load is not None and load.poll() is None:
            load.kill()
        _stop(worker)
        _stop(web, signal.SIGTERM)
    _job_summary(instance / f"worker-{processes}.log")
    return elapsed, float(p95), int(requests)


def _job_summary(log: Path) -> None:
    """Mean duration of each kind of job, from the workers' JSON log lines (where the time went)."""
    durations: dict[str, list[float]] = {}
    weasyprint_ms: dict[str, float] = {}
    for line in log.read_text().splitlines():
        if line.startswith("{") and '"job"' in line:
            entry = json.loads(line)
            durations.setdefault(entry["job"], []).append(entry["duration_ms"])
            weasyprint_ms[entry["job"]] = weasyprint_ms.get(entry["job"], 0) + entry.get("weasyprint_ms", 0)
    print("  jobs: " + ", ".join(
        f"{name} {len(d)} × {sum(d) / len(d):.0f} ms"
        + (f" (WeasyPrint {weasyprint_ms[name] / len(d):.0f} ms)" if weasyprint_ms.get(name) else "")
        for name, d in sorted(durations.items())), flush=True)


def main() -> None:
    if not shutil.which("wrk"):
        raise RuntimeError("wrk is not installed (scripts/system-deps.sh installs it)")
    if "BENCH_DATABASE_URL" not in os.environ:
        from bench.bench_pages import create_database

        create_database()  # firma_bench, as the page bench uses
    with tempfile.TemporaryDirectory() as tmp, SmtpSink() as smtp:
        instance = Path(tmp)
        app = _instance(instance, smtp.port)
        for processes in PROCESSES:
            with app.app_context():
                pages = _documents(_seed(N)[0])
            # The machine's speed drifts by tens of percent within a minute: half the documents are rendered
            # right before the batch and the other half right after it, so the baseline brackets the run.
            baseline = _bare(pages[::2])
            ours, p95, requests = _batch(app, instance, processes, smtp)
            baseline += _bare(pages[1::2])
            target = "≤ 1.5x" if processes == 1 else "≤ 0.8x"
            row(f"Batch: {N} contracts, {processes} worker process(es), PG + Redis", ours, baseline, "s", target)
            row(f"  admin p95 meanwhile (wrk, {requests} requests)", p95, None, "ms", "≤ 200 ms")
            print(f"  = {N / ours * 3600:,.0f} contracts/hour with {processes} process(es)", flush=True)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
