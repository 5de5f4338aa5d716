"""Tenancy over every route: with organization B's credentials nothing of A is readable, writable, listable or
downloadable (404, not 403), B's lists never hold A's rows, and nothing of A changes.

The routes are enumerated, not listed: every operation of the served OpenAPI document and every URL rule of the
admin blueprint. A new route whose URL parameter this file does not know how to fill, or a new API operation
with a body and no sample body here, fails until someone says how it is scoped.
"""
import re
import tempfile

import pytest
from sqlalchemy import select, text

from api.openapi import document
from firma import create_app
from firma.documents.templates import preview
from firma.delivery import deliveries
from firma.envelopes import batches, create
from firma.extensions import db as _db
from firma.models import Branch, DocumentTemplate, Evidence, Integration, TemplateVersion, Term, User
from firma.org import api_tokens
from firma.platform import storage, tenancy
from firma.platform.outbox import commit
from firma.platform.tenancy import OrgOwned
from tests.admin_client import log_in
from tests.conftest import PASSWORD
from tests.flow import client_signer, link_for


def _routes():
    """The admin blueprint's URL rules and the API's operations, read from a throw-away app."""
    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"ENV_NAME": "testing", "SECRET_KEY": "k" * 40, "DATABASE_URL": "sqlite://",
                          "SEAL_CHECK_AT_START": False, "QUEUE_IMMEDIATE": True}, instance_path=instance)
    admin = sorted(((rule.rule, method) for rule in app.url_map.iter_rules() if rule.endpoint.startswith("admin.")
                    for method in sorted(rule.methods - {"HEAD", "OPTIONS"})))
    api = sorted((path, method.upper()) for path, ops in document()["paths"].items() for method in ops)
    return admin, api


ADMIN_ROUTES, API_OPERATIONS = _routes()

# URL parameters that name one of A's rows or files: the answer to B must be 404.
OBJECT_PARAMS = {
    "envelope_id": lambda a: a["envelope"].id, "evidence_id": lambda a: a["evidence"].id,
    "subject_id": lambda a: a["order"].subject_id, "customer_id": lambda a: a["customer"].id,
    "contact_id": lambda a: a["contract"].witness_contact_id, "contract_id": lambda a: a["contract"].id,
    "delivery_id": lambda a: a["delivery_id"], "branch_id": lambda a: a["branch"].id,
    "integration_id": lambda a: a["integration"].id, "batch_id": lambda a: a["batch"].id,
    "template_id": lambda a: a["contract"].template_id, "user_id": lambda a: a["user"].id,
    "name": lambda a: a["preview_image"],
    "organization_id": lambda a: a["a"],  # the operator's page: a 404 for B's (non-operator) staff
    # API
    "number": lambda a: a["contract"].number, "cpf_cnpj": lambda a: a["customer"].cpf_cnpj,
    "code": lambda a: a["envelope"].public_code, "signer_id": lambda a: a["signer"].id,
}
# URL parameters that pick a variant, not a row: filled with a valid value; the row is named by another one.
VARIANT_PARAMS = {"what": "original", "document": "original", "field": "cpf_cnpj", "who": "representante"}

# Lookups whose answer for an unknown key is an empty 200, the same for A's key as for one that exists nowhere.
EMPTY_FOR_UNKNOWN = {"GET /portal/customers/{cpf_cnpj}/documents": lambda body: body["pending"] == body["signed"] == []}

# API operations with a body: a valid body, so a 404 is the scoping's answer and not the body's validation.
API_BODIES = {
    "POST /customers": lambda a: {"name": "Cliente de B", "cpf_cnpj": a["customer"].cpf_cnpj,
                                  "email": "cliente@b.example", "phone": "+5511912345678"},
    "POST /contracts": lambda a: {"number": a["contract"].number, "customer_cpf_cnpj": a["customer"].cpf_cnpj,
                                  "branch_id": a["branch"].id, "template_id": a["contract"].template_id,
                                  "plan": "Plano B"},
    "PATCH /contracts/{number}": lambda a: {"plan": "Plano trocado por B"},
    "POST /templates/{template_id}/preview": lambda a: {},
    "POST /envelopes": lambda a: {"source": "contract", "contract_number": a["contract"].number},
    "POST /envelopes/{code}/cancel": lambda a: {"reason": "B tentou cancelar"},
    "POST /envelopes/{code}/resend": lambda a: {"signer_id": a["signer"].id, "channel": "email"},
    "PATCH /envelopes/{code}/signers/{signer_id}": lambda a: {"email": "b@b.example"},
    "POST /batches": lambda a: {"action": "check_status", "contract_numbers": [a["contract"].number]},
    "POST /envelopes/{code}/review": lambda a: {"decision": "approve", "reason": "B tentou aprovar"},  # consent branch
}

A_NAME, A_EMAIL = "Zuleica Marcadora Exclusiva", "zuleica.exclusiva@a.example"
A_INTEGRATION, A_BRANCH, A_TEMPLATE = "Integração Secreta de A", "Filial Secreta de A", "Modelo Secreto de A"
A_USER, A_WITNESS = "Administradora Secreta de A", "Testemunha Um"


def markers(a: dict, *, with_cpf: bool = True) -> list[str]:
    """Strings only A's rows hold: none may appear in an answer to B."""
    found = [A_NAME, A_EMAIL, A_INTEGRATION, A_BRANCH, A_TEMPLATE, A_USER, A_WITNESS, a["envelope"].public_code]
    return found + ([a["customer"].cpf_cnpj, "529.982.247-25"] if with_cpf else [])


def snapshot(organization_id: int) -> dict:
    """Every row of every organization-owned table that belongs to one organization, as plain values."""
    tables = sorted({cls.__table__ for cls in _db.Model.__subclasses__() if issubclass(cls, OrgOwned)},
                    key=lambda t: t.name)
    with _db.engine.connect() as conn:
        return {t.name: sorted(map(repr, conn.execute(t.select().where(t.c.organization_id == organization_id))))
                for t in tables}


@pytest.fixture()
def world(app, db, organization, other_organization, make_user, integration, branch, make_customer,
          make_contract, make_service_order, make_template):
    """A's records of every kind (the factories make A's), and B's staff client and API token."""
    user_a = make_user("admin@a.example", name=A_USER)
    integration.description = A_INTEGRATION
    branch.name = A_BRANCH
    customer = make_customer(cpf="52998224725", name=A_NAME, email=A_EMAIL)
    template = make_template(name=A_TEMPLATE)
    contract = make_contract(customer=customer, template=template, number="CT-0001", witness=True)
    term_template = make_template(kind="term", name="Termo de A")
    contract.terms.append(Term(template=term_template))
    envelope = create.create_for_contract(contract)
    deliveries.send_links(envelope)  # e-mails sent by the immediate queue: A's deliveries
    commit()
    signer = client_signer(envelope)
    evidence = Evidence(envelope_id=envelope.id, signer_id=signer.id, kind="device",
                        path=storage.write_once(f"envelopes/{envelope.public_code}/a-evidence.bin", b"A only"))
    _db.session.add(evidence)
    order = make_service_order(customer)
    batch = batches.start("check_status", [contract.id], integration=integration)
    commit()
    with tenancy.scoped(organization.id):
        preview_image = preview("<p>{{ cliente.nome }}</p>", "contract").pages[0]
    delivery_id = _db.session.execute(text("SELECT id FROM deliveries WHERE organization_id = :o"),
                                      {"o": organization.id}).scalar()
    assert delivery_id is not None, "A needs a delivery for the retry route"
    with tenancy.scoped(other_organization.id):
        user_b = User(name="Admin de B", email="admin@b.example", role="admin",
                      password_hash=user_a.password_hash)
        integration_b = Integration(description="Integração de B")
        _db.session.add_all([user_b, integration_b])
        _db.session.flush()
        _db.session.add(Branch(name="Filial de B", cnpj="12ABC34501DE35", integration=integration_b))
        token_b = api_tokens.rotate_token(integration_b)
        commit()
    staff_b = app.test_client()
    log_in(staff_b, "admin@b.example", PASSWORD)
    return {"user": user_a, "integration": integration, "branch": branch, "customer": customer,
            "contract": contract, "envelope": envelope, "signer": signer, "evidence": evidence, "order": order,
            "batch": batch, "delivery_id": delivery_id, "preview_image": preview_image,
            "staff_b": staff_b, "token_b": token_b, "a": organization.id, "b": other_organization.id}


def fill(rule: str, a: dict) -> tuple[str, bool]:
    """The URL with A's values in its parameters, and whether one of them names a row or file of A."""
    names_a_row = False
    out = rule
    for converter, name in re.findall(r"<(?:([^:<>]+):)?([^<>]+)>", rule):
        placeholder = f"<{converter}:{name}>" if converter else f"<{name}>"
        if name in OBJECT_PARAMS:
            value, names_a_row = OBJECT_PARAMS[name](a), True
        elif name in VARIANT_PARAMS:
            value = VARIANT_PARAMS[name]
        else:
            pytest.fail(f"{rule}: unknown URL parameter <{name}>: add how it is scoped to this test")
        out = out.replace(placeholder, str(value))
    return out, names_a_row


def check_answer(response, a: dict, before: dict, *, names_a_row: bool, with_cpf: bool = True,
                 empty=None) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if names_a_row and empty is not None and response.status_code == 200:
        assert empty(response.json), response.json
    elif names_a_row:
        assert response.status_code == 404, (response.status_code, response.get_data(as_text=True)[:300])
    body = response.get_data(as_text=True)
    leaked = [m for m in markers(a, with_cpf=with_cpf) if m in body]
    assert not leaked, f"A's data in B's answer: {leaked}"
    _db.session.rollback()
    assert snapshot(a["a"]) == before, "B's request changed A's rows"


@pytest.mark.parametrize("rule,method", ADMIN_ROUTES, ids=[f"{m} {r}" for r, m in ADMIN_ROUTES])
def test_admin_route_hides_organization_a_from_b(world, rule, method):
    url, names_a_row = fill(rule, world)
    before = snapshot(world["a"])
    staff_b = world["staff_b"]
    if method == "GET":
        response = staff_b.get(url)
    else:
        response = staff_b.post(url, data={"csrf_token": staff_b.csrf})
    check_answer(response, world, before, names_a_row=names_a_row)


@pytest.mark.parametrize("path,method", API_OPERATIONS, ids=[f"{m} {p}" for p, m in API_OPERATIONS])
def test_api_operation_hides_organization_a_from_b(world, client, path, method):
    url, names_a_row = fill(path.replace("{", "<").replace("}", ">"), world)
    op = document()["paths"][path][method.lower()]
    kwargs = {}
    if "requestBody" in op:
        sample = API_BODIES.get(f"{method} {path}")
        assert sample is not None, f"{method} {path}: add a valid sample body to API_BODIES"
        kwargs["json"] = sample(world)
    before = snapshot(world["a"])
    response = client.open(f"/api/v1{url}", method=method, headers={"Authorization": f"Bearer {world['token_b']}"},
                           **kwargs)
    empty = EMPTY_FOR_UNKNOWN.get(f"{method} {path}")  # these echo the key they were asked for
    check_answer(response, world, before, names_a_row=names_a_row, with_cpf=method == "GET" and empty is None,
                 empty=empty)


def test_every_route_kind_is_covered():
    """The walk is not empty: it reaches the admin's object pages and every API resource."""
    assert sum("<int:envelope_id>" in r for r, _ in ADMIN_ROUTES) >= 5 and len(ADMIN_ROUTES) >= 50
    assert {p.split("/")[1] for p, _ in API_OPERATIONS} >= {"customers", "contracts", "envelopes", "batches",
                                                             "templates", "portal"}


def api_b(client, world, method, path, **kw):
    return client.open(f"/api/v1{path}", method=method, headers={"Authorization": f"Bearer {world['token_b']}"},
                       **kw)


def test_upsert_by_cpf_with_b_creates_b_customer_and_leaves_a_untouched(world, client):
    cpf = world["customer"].cpf_cnpj
    created = api_b(client, world, "POST", "/customers", json={"name": "Cliente de B", "cpf_cnpj": cpf,
                                                                "email": "cliente@b.example"})
    assert created.status_code in (200, 201), created.json
    assert created.json["email"] == "cliente@b.example"
    rows = _db.session.execute(text("SELECT organization_id, email FROM customers WHERE cpf_cnpj = :c ORDER BY id"),
                               {"c": cpf}).all()
    assert [tuple(r) for r in rows] == [(world["a"], A_EMAIL), (world["b"], "cliente@b.example")]
    assert api_b(client, world, "GET", f"/customers/{cpf}").json["name"] == "Cliente de B"


def test_contract_numbers_repeat_across_organizations(world, client):
    cpf = world["customer"].cpf_cnpj
    api_b(client, world, "POST", "/customers", json={"name": "Cliente de B", "cpf_cnpj": cpf, "email": "c@b.example"})
    assert api_b(client, world, "GET", "/templates").json["data"] == [], "B sees no template of A"
    with tenancy.scoped(world["b"]):
        branch_b = _db.session.scalar(select(Branch))
        own = DocumentTemplate(name="Modelo de B", kind="contract")
        own.versions.append(TemplateVersion(number=1, body="<p>{{ cliente.nome }}</p>"))
        _db.session.add(own)
        commit()
    created = api_b(client, world, "POST", "/contracts", json={
        "number": world["contract"].number, "customer_cpf_cnpj": cpf, "branch_id": branch_b.id,
        "template_id": own.id, "plan": "Plano B"})
    assert created.status_code == 201, created.json
    numbers = _db.session.execute(text("SELECT organization_id FROM contracts WHERE number = :n ORDER BY id"),
                                  {"n": world["contract"].number}).scalars().all()
    assert numbers == [world["a"], world["b"]]


def test_a_signer_link_runs_in_its_own_organization(world, client):
    """The link is the credential and binds the request to its envelope's organization."""
    seen = set()

    @_db.event.listens_for(_db.session().__class__, "do_orm_execute")
    def spy(state):
        seen.add(tenancy.current())

    try:
        token = link_for(world["signer"])
        seen.clear()
        assert client.get(f"/s/{token}").status_code == 200
    finally:
        _db.event.remove(_db.session().__class__, "do_orm_execute", spy)
    assert world["a"] in seen and world["b"] not in seen


def test_b_token_cannot_download_a_original(world, client):
    code = world["envelope"].public_code
    assert api_b(client, world, "GET", f"/envelopes/{code}/documents/original").status_code == 404
    assert world["staff_b"].get(f"/admin/assinaturas/{world['envelope'].id}/original.pdf").status_code == 404
    token_a = api_tokens.rotate_token(world["integration"])
    commit()
    with client.get(f"/api/v1/envelopes/{code}/documents/original",
                    headers={"Authorization": f"Bearer {token_a}"}) as own:  # a streamed download: close it
        assert own.status_code == 200 and own.data.startswith(b"%PDF")  # the same request with A's token works


def test_b_cannot_point_its_own_records_at_a_rows(world):
    """A's ids in B's form fields are unknown choices: nothing is saved that links B's rows to A's."""
    before = snapshot(world["a"])
    staff_b = world["staff_b"]
    response = staff_b.post("/admin/contratos/novo", data={
        "csrf_token": staff_b.csrf, "number": "CT-B-1", "customer_id": world["customer"].id,
        "branch_id": world["branch"].id, "template_id": world["contract"].template_id,
        "witness_contact_id": world["contract"].witness_contact_id, "due_day": 10, "loyalty_months": 12,
        "require_selfie": "default", "require_document_photo": "default"})
    assert response.status_code == 422
    assert not [m for m in markers(world) if m in response.get_data(as_text=True)]
    _db.session.rollback()
    assert _db.session.execute(text("SELECT count(*) FROM contracts WHERE number = 'CT-B-1'")).scalar() == 0
    assert snapshot(world["a"]) == before
