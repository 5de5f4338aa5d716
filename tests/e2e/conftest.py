"""Real-browser fixtures: a live Firma server on loopback and Debian's Chromium driven by Playwright.

- `live_server`: the app (own instance folder, file SQLite so the server thread sees committed data,
  PUBLIC_URL pointing at itself, jobs inline) served by werkzeug in a thread on 127.0.0.1:<free port>.
  Its `.app_context()` lets a test create data; `.url` is the base URL.
- `make_envelope(...)`: a contract envelope for a fresh customer (provider representative auto-signs),
  returning `LiveEnvelope(envelope_id, token, url, embed_url, cpf, ...)`.
- `launch_phone(video, geolocation=...)`: a 360x740 Android Chrome context on a fresh Chromium whose
  fake camera plays `video` (.y4m); camera permission granted, geolocation granted (a fixed point in
  Campinas) or not granted. Returns a Playwright Page; everything is closed at teardown.
- `desk`: a 1280x900 desktop Chromium page for the staff panel.
- `serve_static(files, host="localhost")`: a second loopback HTTP server serving the given files; as
  "localhost" it is another site than the app's 127.0.0.1 (so the app is a third party in its iframe).
Never `playwright install`: we launch /usr/bin/chromium through `executable_path`.
"""
from __future__ import annotations

import functools
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from firma import create_app
from firma.envelopes import create, links
from firma.extensions import db
from firma.models import (
    Branch, Contract, Customer, DocumentTemplate, Integration, Organization, TemplateVersion, User,
)
from firma.platform import tenancy
from firma.platform.outbox import commit
from firma.platform.tokens import hash_token
from firma.sealing import certificate
from tests.images import signature_png

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-fake-device-for-media-stream",
]
ANDROID_UA = ("Mozilla/5.0 (Linux; Android 12; SM-A125M) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/120.0.0.0 Mobile Safari/537.36")
CAMPINAS = {"latitude": -22.9056, "longitude": -47.0608, "accuracy": 30}


def random_cpf() -> str:
    """A valid, random CPF (customers' CPFs are unique on the shared live database)."""
    base = [secrets.randbelow(10) for _ in range(9)]
    for length in (9, 10):
        total = sum(d * w for d, w in zip(base, range(length + 1, 1, -1)))
        base.append(0 if total % 11 < 2 else 11 - total % 11)
    return "".join(map(str, base))


class LiveServer:
    """A werkzeug server thread around one app; `url` has no trailing slash."""

    def __init__(self, app) -> None:
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        app.config["PUBLIC_URL"] = self.url
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(5)

    def app_context(self):
        return self.app.app_context()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    instance = tmp_path_factory.mktemp("e2e-instance")
    certificate.generate_instance_certificate(instance / "seal.p12", b"e2e-passphrase")
    app = create_app({
        "ENV_NAME": "testing",
        "SECRET_KEY": "e2e-" + secrets.token_hex(16),
        "DATABASE_URL": f"sqlite:///{instance / 'e2e.sqlite3'}",
        "SEAL_PASSPHRASE": "e2e-passphrase",
        "QUEUE_IMMEDIATE": True,
        "MAIL_SUPPRESS_SEND": True,
        "RATELIMIT_ENABLED": False,
        "LIVENESS_CHALLENGE": "turn_left,turn_right",
    }, instance_path=str(instance))
    with app.app_context():
        db.create_all()
        organization = Organization(name="Fibra Veloz Telecom Ltda", cnpj="11222333000181")
        db.session.add(organization)
        db.session.commit()
        tenancy.adopt_orphans(lambda id_=organization.id: id_)  # the rows the tests make belong to it
    server = LiveServer(app).start()
    yield server
    server.stop()
    tenancy.adopt_orphans(None)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@dataclass(frozen=True)
class LiveEnvelope:
    envelope_id: int
    token: str
    url: str
    embed_url: str
    cpf: str
    client_name: str
    representative_name: str


@pytest.fixture()
def make_envelope(live_server) -> Callable[..., LiveEnvelope]:
    """Create a contract envelope on the live server; requirements and portal origins are parameters."""

    def make(*, document_photo: bool = True, selfie: bool = True, origins: str = "",
             geolocation: str = "optional") -> LiveEnvelope:
        n, cpf = secrets.token_hex(3), random_cpf()
        with live_server.app_context():
            representative = User(name="Renata Representante", email=f"rep-{n}@isp.test", role="admin",
                                  password_hash=generate_password_hash(secrets.token_hex(8)),
                                  signature_png=signature_png(), api_token_hash=hash_token(secrets.token_hex(16)))
            integration = Integration(description=f"Integração {n}", require_document_photo=document_photo,
                                      require_selfie=selfie, geolocation=geolocation, allowed_origins=origins,
                                      representative=representative)
            branch = Branch(name="Fibra Veloz Telecom", cnpj="11222333000181", city="Campinas", state="SP",
                            integration=integration)
            customer = Customer(name=f"Maria Aparecida {n}", cpf_cnpj=cpf, email=f"maria-{n}@example.com",
                                phone="+5519987654321", street="Rua das Flores", number="10", city="Campinas",
                                state="SP")
            template = DocumentTemplate(name="Contrato de internet", kind="contract")
            template.versions.append(TemplateVersion(
                number=1, body="<h1>Contrato</h1><p>{{ cliente.nome }} contrata {{ contrato.plano }}.</p>"))
            contract = Contract(number=f"CT-{n}", customer=customer, branch=branch, template=template,
                                plan="Fibra 500", price=Decimal("99.90"))
            db.session.add_all([representative, integration, branch, customer, template, contract])
            db.session.flush()
            envelope = create.create_for_contract(contract)
            signer = next(s for s in envelope.signers if s.role == "client")
            token = links.issue(signer)
            envelope_id = envelope.id
            commit()
            return LiveEnvelope(envelope_id, token, links.signing_url(token), links.signing_url(token, embed=True),
                                cpf, customer.name, representative.name)

    return make


@pytest.fixture(scope="module")
def playwright_driver():
    """One Playwright per e2e module, stopped after it (its event loop must not outlive them)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture()
def desk(playwright_driver):
    """A desktop Chromium page (1280x900, pt-BR) for the staff panel; closed at teardown."""
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="pt-BR").new_page()
    page.set_default_timeout(20_000)
    yield page
    browser.close()


@pytest.fixture()
def launch_phone(playwright_driver):
    """Start Chromium with a fake camera file and open a mobile page; closed after the test."""
    opened = []

    def launch(video: Path, *, geolocation: bool = True, args: tuple[str, ...] = ()):
        browser = playwright_driver.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=[*CHROMIUM_ARGS, f"--use-file-for-fake-video-capture={video}", *args])
        opened.append(browser)
        context = browser.new_context(
            viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True,
            user_agent=ANDROID_UA, locale="pt-BR",
            permissions=["camera", "geolocation"] if geolocation else ["camera"],
            geolocation=CAMPINAS if geolocation else None,
        )
        context.set_default_timeout(20_000)
        return context.new_page()

    yield launch
    for browser in opened:
        browser.close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture()
def serve_static(tmp_path):
    """Serve {name: text} from a second loopback server (a different origin); returns its base URL."""
    servers = []

    def serve(files: dict[str, str], *, host: str = "localhost") -> str:
        root = tmp_path / f"site{len(servers)}"
        root.mkdir()
        for name, text in files.items():
            (root / name).write_text(text, encoding="utf-8")
        server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://{host}:{server.server_port}"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()
