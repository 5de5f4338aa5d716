"""Shared fixtures: an app on a throw-away instance, a clean database per test, factories, a staff client."""
import os
import secrets
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from werkzeug.security import generate_password_hash

from firma import create_app
from firma.delivery import deliveries
from firma.envelopes import create
from firma.extensions import db as _db
from firma.models import (
    Branch, Contact, Contract, Customer, DocumentTemplate, Integration, Organization, ServiceOrder, Subject,
    TemplateTermLink, TemplateVersion, User,
)
from firma.platform import tenancy
from firma.platform.outbox import commit
from firma.platform.tokens import hash_token
from firma.sealing import certificate

# FIRMA_TEST_DATABASE_URL=postgresql://... runs the whole suite on PostgreSQL (make test does it a second time).
DATABASE_URL = os.environ.get("FIRMA_TEST_DATABASE_URL")
PASSWORD = "senha-de-teste-123"


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("instance")
    certificate.generate_instance_certificate(path / "seal.p12", b"test-passphrase")
    return path


@pytest.fixture(scope="session")
def seal_config(instance_dir) -> dict:
    """Settings of the session's seal certificate, for tests that build an app of their own."""
    return {"SEAL_P12": str(instance_dir / "seal.p12"), "SEAL_PASSPHRASE": "test-passphrase"}


@pytest.fixture(scope="session")
def app(instance_dir):
    app = create_app({
        "ENV_NAME": "testing",
        "SECRET_KEY": "test-secret-" + secrets.token_hex(8),
        "DATABASE_URL": DATABASE_URL or f"sqlite:///{instance_dir / 'test.sqlite3'}",
        "SEAL_PASSPHRASE": "test-passphrase",
        "PUBLIC_URL": "http://firma.test",
        "QUEUE_IMMEDIATE": True,
        "MAIL_SUPPRESS_SEND": True,
        "RATELIMIT_ENABLED": False,
        "OUTBOUND_ALLOW_LOOPBACK": True,  # the ERP and WhatsApp stand-ins listen on 127.0.0.1
    }, instance_path=str(instance_dir))
    with app.app_context():
        _db.drop_all()
        _db.create_all()
    yield app
    with app.app_context():
        _db.engine.dispose()  # close pooled connections now, not at interpreter exit (ResourceWarning)


@pytest.fixture()
def app_context(app):
    """The session app's context, for tests of services that read its settings without a database."""
    with app.app_context():
        yield


# Every test starts with two providers: A owns what the factories make, B is the other tenant (isolation tests).
ORGANIZATIONS = {"A": ("Fibra Teste Telecom Ltda", "11222333000181"),
                 "B": ("Outra Rede Provedor Ltda", "12ABC34501DE35")}
_seeded: dict[str, int] = {}


@pytest.fixture()
def db(app):
    """The database, emptied after each test (real commits happen, so concurrency tests are honest).

    Organizations A and B exist in every test; a row the test body makes with no organization and no parent
    belongs to A (requests and jobs stamp their own, see firma.platform.tenancy).
    """
    ctx = app.app_context()
    ctx.push()
    for key, (name, cnpj) in ORGANIZATIONS.items():
        row = Organization(name=name, cnpj=cnpj)
        _db.session.add(row)
        _db.session.flush()
        _seeded[key] = row.id
    _db.session.commit()
    tenancy.adopt_orphans(lambda: _seeded["A"])
    yield _db
    tenancy.adopt_orphans(None)
    _db.session.remove()
    tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))
    ctx.pop()


@pytest.fixture()
def organization(db) -> Organization:
    """Organization A: the owner of every factory-made row."""
    return _db.session.get(Organization, _seeded["A"])


@pytest.fixture()
def other_organization(db) -> Organization:
    """Organization B: another provider on the same instance (alphanumeric CNPJ)."""
    return _db.session.get(Organization, _seeded["B"])


@pytest.fixture()
def client(app, db):
    return app.test_client()


# --- factories ---------------------------------------------------------------------------------------

@pytest.fixture()
def make_user(db):
    def make(email="staff@isp.test", role="admin", *, signature=False, token=False, **kw) -> User:
        user = User(name=kw.pop("name", "Staff"), email=email, role=role,
                    password_hash=generate_password_hash(PASSWORD), **kw)
        if signature:
            from tests.images import signature_png
            user.signature_png = signature_png()
        if token:
            user.api_token_hash = hash_token(secrets.token_urlsafe(32))
        _db.session.add(user)
        _db.session.commit()
        return user
    return make


@pytest.fixture()
def integration(db):
    row = Integration(description="Integração de teste", require_document_photo=False, require_selfie=False,
                      allowed_origins="http://portal.test:8080")
    _db.session.add(row)
    _db.session.commit()
    return row


@pytest.fixture()
def branch(db, integration):
    row = Branch(name="Fibra Teste Telecom", cnpj="11222333000181", city="Campinas", state="SP",
                 integration=integration)
    _db.session.add(row)
    _db.session.commit()
    return row


def valid_cpf(n: int) -> str:
    """A CPF with correct check digits, distinct for each n (for factories)."""
    base = [int(c) for c in f"{n + 100_000_000:09d}"[-9:]]
    for size in (9, 10):
        rest = sum(d * w for d, w in zip(base, range(size + 1, 1, -1))) % 11
        base.append(0 if rest < 2 else 11 - rest)
    return "".join(map(str, base))


@pytest.fixture()
def make_customer(db):
    counter = iter(range(1, 100_000))

    def make(cpf=None, **kw) -> Customer:
        n = next(counter)
        row = Customer(name=kw.pop("name", f"Cliente {n}"), cpf_cnpj=cpf or valid_cpf(n), email=kw.pop("email", f"c{n}@example.com"),
                       phone=kw.pop("phone", "+5519987654321"), street="Rua A", number=str(n), city="Campinas",
                       state="SP", **kw)
        _db.session.add(row)
        _db.session.commit()
        return row
    return make


@pytest.fixture()
def make_template(db):
    def make(body="<h1>Contrato</h1><p>{{ cliente.nome }} — {{ contrato.plano }}</p>", *, kind="contract",
             name="Modelo", terms=()) -> DocumentTemplate:
        template = DocumentTemplate(name=name, kind=kind)
        template.versions.append(TemplateVersion(number=1, body=body))
        for position, (term, auto) in enumerate(terms):
            template.term_links.append(TemplateTermLink(term_template=term, insert_automatically=auto,
                                                        position=position))
        _db.session.add(template)
        _db.session.commit()
        return template
    return make


@pytest.fixture()
def make_contract(db, branch, make_customer, make_template):
    counter = iter(range(1, 100_000))

    def make(customer=None, template=None, *, witness=False, **kw) -> Contract:
        n = next(counter)
        contract = Contract(number=kw.pop("number", f"CT-{n:05d}"), customer=customer or make_customer(),
                            branch=kw.pop("branch", branch), template=template or make_template(),
                            plan=kw.pop("plan", "Fibra 300"), price=kw.pop("price", Decimal("89.90")), **kw)
        if witness:
            contract.witness = Contact(name="Testemunha Um", cpf="15350946056", email="testemunha@example.com")
        _db.session.add(contract)
        _db.session.commit()
        return contract
    return make


@pytest.fixture()
def envelope(db, make_contract):
    """A contract's envelope, created and committed (the client signs; the provider's representative automatically)."""
    env = create.create_for_contract(make_contract())
    commit()
    return env


@pytest.fixture()
def make_service_order(db, branch, make_customer, make_template):
    def make(customer=None, *, flagged=True) -> ServiceOrder:
        template = make_template("<h1>OS {{ os.numero }}</h1><p>{{ os.assunto }} — {{ cliente.nome }}</p>",
                                 kind="service_order", name="Modelo de OS")
        subject = Subject(name="Instalação", digital_signature=flagged, template=template)
        order = ServiceOrder(number=f"OS-{secrets.randbelow(10**6):06d}", customer=customer or make_customer(),
                             branch=branch, subject=subject, description="Instalação de fibra")
        _db.session.add(order)
        _db.session.commit()
        return order
    return make


@pytest.fixture()
def staff(app, db, make_user):
    """A logged-in admin test client (the admin's login form is the real one)."""
    from tests.admin_client import log_in

    user = make_user()
    client = app.test_client()
    log_in(client, user.email, PASSWORD)
    client.user = user
    return client


# --- object storage: a real SeaweedFS for the S3 backend ----------------------------------------------

@pytest.fixture(scope="session")
def seaweed(tmp_path_factory):
    """One `weed server -s3` on free loopback ports for the whole session (stopped at the end)."""
    from tests.seaweed import Weed, set_credentials

    set_credentials()
    server = Weed(tmp_path_factory.mktemp("seaweed")).start()
    server.bucket("firma-test")
    yield server
    server.stop()


@pytest.fixture()
def s3_storage(app, seaweed):
    """Point the session app at a fresh prefix of the SeaweedFS bucket for one test; returns its URL."""
    url = f"s3://firma-test/t-{secrets.token_hex(6)}"
    saved = {key: app.config.get(key) for key in ("STORAGE_URL", "S3_ENDPOINT_URL")}
    app.config.update(STORAGE_URL=url, S3_ENDPOINT_URL=seaweed.endpoint)
    yield url
    app.config.update(saved)


@pytest.fixture(params=["disk", "s3"])
def store(request, tmp_path):
    """A storage backend of each kind (local folder, SeaweedFS prefix), for tests that run on both."""
    from firma.platform import storage

    if request.param == "disk":
        return storage.for_url((tmp_path / "storage").as_uri())
    server = request.getfixturevalue("seaweed")
    return storage.for_url(f"s3://firma-test/t-{secrets.token_hex(6)}", server.endpoint)


@pytest.fixture()
def sent(make_contract, make_customer, integration, db):
    """An envelope whose link went out by e-mail, its integration reminding every 2 days, twice at most."""
    integration.reminder_every_days, integration.reminder_max = 2, 2
    db.session.commit()
    envelope = create.create_for_contract(make_contract(customer=make_customer(phone=None)))
    deliveries.send_links(envelope)
    commit()
    return envelope
