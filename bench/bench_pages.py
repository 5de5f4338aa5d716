"""Benchmarks: each signer step page's gzipped weight, and step-page throughput under gunicorn + PostgreSQL.

Baselines: the vendor scripts alone (htmx + signature_pad, gzipped), and a bare Flask + Jinja page of the
same size served by the same gunicorn setup. Loopback only; every run is bounded in time.
BENCH_DATABASE_URL (default: the firma_bench database) says which PostgreSQL database the real app uses; it is
created when missing and its tables are dropped and recreated on every run.
"""
from __future__ import annotations

import gzip
import http.client
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from bench.report import row
from firma.envelopes import create

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/firma_bench")
VENDOR = ["vendor/htmx-2.0.11/htmx.min.js", "vendor/signature_pad-5.1.4/signature_pad.umd.min.js"]
CONCURRENCY, SECONDS, WORKERS = 32, 5.0, 2


def gz(data: bytes) -> int:
    return len(gzip.compress(data, 9))


def create_database(url: str = PG_URL) -> None:
    """Create the bench database named in `url` (PG_URL by default) when it does not exist yet."""
    name = make_url(url).database
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def write_instance(instance: Path) -> None:
    from firma.sealing import certificate

    certificate.generate_instance_certificate(instance / "seal.p12", b"bench-passphrase")
    (instance / "config.py").write_text(
        f"SECRET_KEY = {secrets.token_hex(16)!r}\nDATABASE_URL = {PG_URL!r}\nSEAL_PASSPHRASE = 'bench-passphrase'\n"
        "RATELIMIT_ENABLED = False\nENV_NAME = 'production'\nPUBLIC_URL = 'http://127.0.0.1'\n", encoding="utf-8")


def signer_app():
    """gunicorn factory: the real app on the bench instance folder."""
    from firma import create_app

    return create_app(instance_path=os.environ["BENCH_INSTANCE"])


def bare_app():
    """gunicorn factory: Flask + Jinja rendering a page as large as a signer step page, nothing else."""
    from flask import Flask, render_template_string

    app = Flask(__name__)
    size = int(os.environ["BENCH_PAGE_BYTES"])
    template = "<!doctype html><html lang=pt-BR><head><title>{{ t }}</title></head><body>{% for p in ps %}<p>{{ p }}</p>{% endfor %}</body></html>"
    paragraphs = ["Texto de exemplo da página de assinatura " + str(i) for i in range(size // 52)]

    @app.get("/page")
    def page():
        return render_template_string(template, t="Assinatura", ps=paragraphs)

    return app


def seed(instance: Path) -> tuple[str, dict[str, str]]:
    """Fresh tables, one envelope needing photo and selfie; returns the token and each step's HTML."""
    from bench.seeding import organization_scope
    from firma.envelopes import links
    from firma.extensions import db
    from firma.models import Branch, Contract, Customer, DocumentTemplate, Integration, TemplateVersion
    from firma.platform.outbox import commit

    app = signer_app()
    with app.app_context():
        db.drop_all()
        db.create_all()
        with organization_scope():  # every row below, and the step pages, belong to the bench's organization
            integration = Integration(description="Bench", require_document_photo=True, require_selfie=True)
            branch = Branch(name="Fibra Bench Telecom", cnpj="11222333000181", city="Campinas", state="SP",
                            integration=integration)
            customer = Customer(name="Maria Bench", cpf_cnpj="52998224725", email="m@example.com",
                                phone="+5519987654321")
            template = DocumentTemplate(name="Contrato", kind="contract")
            template.versions.append(TemplateVersion(number=1, body="<h1>Contrato</h1>" + "<p>Cláusula.</p>" * 200))
            contract = Contract(number="CT-1", customer=customer, branch=branch, template=template, plan="Fibra",
                                price=Decimal("99.90"))
            db.session.add(contract)
            db.session.flush()
            envelope = create.create_for_contract(contract)
            signer = envelope.signers[0]
            token = links.issue(signer)
            commit()
            # Render every step page as the signer would get it (reachability does not change the page's weight).
            from signer import views
            pages = {}
            for step in ("welcome", "consent", "read", "document", "selfie", "signature", "confirm", "done"):
                with app.test_request_context(f"/s/{token}/{step}"):
                    pages[step] = views.render_step(signer, token, "s", step).get_data(as_text=True)
    return token, pages


def page_weight(pages: dict[str, str]) -> None:
    static = ROOT / "static"
    vendor = sum(gz((static / v).read_bytes()) for v in VENDOR)
    for step, html in pages.items():
        assets = re.findall(r'(?:src|href)="/static/([^"?]+\.(?:js|css))"', html)
        total = gz(html.encode()) + sum(gz((static / a).read_bytes()) for a in assets)
        row(f"step page weight, gzipped, vendor incl. ({step})", total / 1024, vendor / 1024, "KB", "<= 45 KB")


WRK_REPORT = """done = function(summary, latency, requests)
  io.write(string.format("FIRMA %f %f %d\\n", summary.requests / (summary.duration / 1e6),
                         latency:percentile(95) / 1000, summary.errors.status))
end
"""


def load(port: int, path: str) -> tuple[float, float]:
    """CONCURRENCY keep-alive connections for SECONDS; returns (requests/s, p95 ms).

    wrk (C, Debian package) when installed, so the load generator doesn't eat the server's CPU;
    otherwise a Python thread pool, which understates both figures alike."""
    if shutil.which("wrk"):
        return load_wrk(port, path)
    return load_threads(port, path)


def load_wrk(port: int, path: str) -> tuple[float, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_REPORT)
        script.flush()
        out = subprocess.run(["wrk", "-t2", f"-c{CONCURRENCY}", f"-d{int(SECONDS)}s", "-s", script.name,
                              f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, timeout=60).stdout
    rate, p95, bad_status = re.search(r"FIRMA (\S+) (\S+) (\d+)", out).groups()
    assert int(bad_status) == 0, f"non-2xx answers under load: {out}"
    return float(rate), float(p95)


def load_threads(port: int, path: str) -> tuple[float, float]:
    """CONCURRENCY keep-alive clients for SECONDS; returns (requests/s, p95 ms)."""
    latencies: list[float] = []
    lock, stop = threading.Lock(), time.perf_counter() + SECONDS

    def client() -> None:
        conn, mine = http.client.HTTPConnection("127.0.0.1", port, timeout=10), []
        while time.perf_counter() < stop:
            started = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            assert response.status == 200, response.status
            mine.append(time.perf_counter() - started)
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(CONCURRENCY)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    return len(latencies) / (time.perf_counter() - began), latencies[int(len(latencies) * 0.95)] * 1000


def gunicorn(factory: str, env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    port = 20000 + secrets.randbelow(20000)
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         "--access-logfile", "/dev/null",  # the same for both apps; a flood of lines would only measure the terminal
         f"bench.bench_pages:{factory}()"], cwd=ROOT, env={**os.environ, **env})
    for _ in range(100):
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def throughput(instance: Path, token: str, page_bytes: int) -> None:
    env = {"BENCH_INSTANCE": str(instance), "BENCH_PAGE_BYTES": str(page_bytes)}
    results = {}
    for name, factory, path in (("bare", "bare_app", "/page"), ("signer", "signer_app", f"/s/{token}/welcome")):
        proc, port = gunicorn(factory, env)
        try:
            load(port, path)  # warm the workers
            results[name] = load(port, path)
        finally:
            proc.terminate()
            proc.wait(10)
    (ours, p95), (base, base_p95) = results["signer"], results["bare"]
    row("signer step page throughput (gunicorn 2w, 32 conc, PG)", ours, base, "req/s", ">= 0.6x")  # DESIGN §8
    row("signer step page p95 latency", p95, base_p95, "ms", "<= 1.5x")


def main() -> None:
    create_database()
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp)
        write_instance(instance)
        os.environ["BENCH_INSTANCE"] = str(instance)
        token, pages = seed(instance)
        page_weight(pages)
        throughput(instance, token, len(pages["welcome"].encode()))


if __name__ == "__main__":
    main()
