"""The REST API through the test client; every response is validated against the OpenAPI document."""
import base64
import io
import json

import pytest
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIResponse
from openapi_core.testing import MockRequest
from pypdf import PdfWriter

from api.openapi import document
from firma.models import Delivery, IdempotencyKey
from firma.org import api_tokens
from firma.platform.outbox import commit
from tests.flow import sign

# Problem details are JSON too; openapi-core only knows application/json out of the box.
SPEC = OpenAPI.from_dict(document(), config=Config(
    extra_media_type_deserializers={"application/problem+json": json.loads}))




class Api:
    """A test client that sends the Bearer token and checks each answer against the OpenAPI document."""

    def __init__(self, client, token):
        self.client, self.token = client, token

    def __call__(self, method, path, *, token=None, headers=None, check=True, **kw):
        headers = {"Authorization": f"Bearer {token or self.token}", **(headers or {})}
        response = self.client.open(f"/api/v1{path}", method=method, headers=headers, **kw)
        response.get_data()  # buffer a streamed download (documents come from storage in chunks), then close it
        response.close()
        if check:
            # The request's body stream is spent by now; the operation is found by method and path alone.
            sent = MockRequest("http://localhost", method.lower(), response.request.path,
                               args=dict(response.request.args))
            SPEC.validate_response(sent, WerkzeugOpenAPIResponse(response))
        return response


@pytest.fixture()
def api(client, integration, branch, db):
    token = api_tokens.rotate_token(integration)
    commit()
    return Api(client, token)


def blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


CUSTOMER = {"name": "João Pereira", "cpf_cnpj": "529.982.247-25", "email": "joao@example.com",
            "phone": "+5519987654321", "city": "Campinas", "state": "SP"}


def test_openapi_document_is_served_and_valid(client):
    from openapi_spec_validator import validate

    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.json["openapi"] == "3.1.0"
    validate(response.json)


def test_missing_or_wrong_token_is_a_401_problem(api):
    response = api("GET", "/customers", token="errado")
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    assert response.json["detail"] == "Token de integração ausente ou inválido."


def test_customer_upsert_by_cpf_cnpj(api):
    first = api("POST", "/customers", json=CUSTOMER)
    assert first.status_code == 201 and first.json["cpf_cnpj"] == "52998224725"
    second = api("POST", "/customers", json={**CUSTOMER, "name": "João P. Pereira"})
    assert second.status_code == 200 and second.json["id"] == first.json["id"]
    assert api("GET", "/customers/52998224725").json["name"] == "João P. Pereira"
    bad = api("POST", "/customers", json={**CUSTOMER, "cpf_cnpj": "111.111.111-12"})
    assert bad.status_code == 422 and bad.json["field"] == "cpf_cnpj"


def test_idempotency_key_replays_and_refuses_a_different_body(api, db):
    headers = {"Idempotency-Key": "chave-1"}
    first = api("POST", "/customers", json=CUSTOMER, headers=headers)
    again = api("POST", "/customers", json=CUSTOMER, headers=headers)
    assert again.status_code == first.status_code == 201 and again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    other = api("POST", "/customers", json={**CUSTOMER, "name": "Outro"}, headers=headers)
    assert other.status_code == 422 and "outro conteúdo" in other.json["detail"]
    assert IdempotencyKey.query.count() == 1


def test_contract_create_sends_envelope_and_reads_back(api, make_template, integration, branch, db):
    api("POST", "/customers", json={**CUSTOMER, "phone": None})
    template = make_template()
    response = api("POST", "/contracts", json={"number": "API-1", "customer_cpf_cnpj": "52998224725",
                                              "branch_id": branch.id, "template_id": template.id,
                                              "plan": "Fibra 500", "price": "99.90", "use_digital_signature": True,
                                              "activate_on_signature": True}, headers={"Idempotency-Key": "c1"})
    assert response.status_code == 201, response.json
    envelope = response.json["envelope"]
    assert envelope["status"] == "pending" and envelope["signers"][0]["status"] == "sent"
    assert Delivery.query.filter_by(envelope_id=envelope["id"], channel="email").one().status == "sent"
    read = api("GET", "/contracts/API-1")
    assert read.json["status"] == "awaiting_signature" and read.json["envelope"]["public_code"] == envelope["public_code"]
    patched = api("PATCH", "/contracts/API-1", json={"plan": "Fibra 700"})
    assert patched.status_code == 200 and patched.json["plan"] == "Fibra 700"
    assert api("GET", "/contracts/NAO-EXISTE").status_code == 404


def test_envelope_from_contract_read_resend_update_cancel(api, make_contract, db):
    contract = make_contract()
    created = api("POST", "/envelopes", json={"source": "contract", "contract_number": contract.number})
    assert created.status_code == 201
    code = created.json["public_code"]
    signer = created.json["signers"][0]
    assert signer["channel"] == "whatsapp" and signer["status"] == "sent"  # console provider in tests
    resent = api("POST", f"/envelopes/{code}/resend", json={"signer_id": signer["id"], "channel": "email"})
    assert resent.status_code == 202 and resent.json["deliveries"][0]["channel"] == "email"
    updated = api("PATCH", f"/envelopes/{code}/signers/{signer['id']}", json={"email": "novo@example.com",
                                                                               "channel": "email"})
    assert updated.status_code == 200 and updated.json["email"] == "novo@example.com"
    assert Delivery.query.filter_by(target="novo@example.com").one().status == "sent"
    no_reason = api("POST", f"/envelopes/{code}/cancel", json={"reason": " "})
    assert no_reason.status_code == 422
    cancelled = api("POST", f"/envelopes/{code}/cancel", json={"reason": "Cliente desistiu"})
    assert cancelled.json["status"] == "cancelled"
    synced = api("POST", f"/envelopes/{code}/sync")
    assert synced.status_code == 200 and synced.json["message"].startswith("Assinatura cancelada")
    listed = api("GET", "/envelopes?status=cancelled")
    assert [e["public_code"] for e in listed.json["data"]] == [code]


def test_upload_as_base64_and_multipart_with_signers(api, branch):
    signers = [{"name": "Ana Lima", "cpf": "153.509.460-56", "email": "ana@example.com", "channel": "email",
                "require_selfie": True}]
    as_json = api("POST", "/envelopes", json={"source": "upload", "branch_id": branch.id, "title": "Aditivo",
                                              "pdf_base64": base64.b64encode(blank_pdf()).decode(),
                                              "signers": signers})
    assert as_json.status_code == 201, as_json.json
    assert as_json.json["kind"] == "upload" and as_json.json["signers"][0]["require_selfie"] is True
    multipart = api("POST", "/envelopes", data={
        "data": json.dumps({"branch_id": branch.id, "title": "Termo avulso", "signers": signers, "send": False}),
        "pdf": (io.BytesIO(blank_pdf()), "termo.pdf")}, content_type="multipart/form-data")
    assert multipart.status_code == 201 and multipart.json["signers"][0]["status"] == "pending"
    original = api("GET", f"/envelopes/{multipart.json['public_code']}/documents/original")
    assert original.mimetype == "application/pdf" and original.data.startswith(b"%PDF")
    not_pdf = api("POST", "/envelopes", json={"source": "upload", "branch_id": branch.id, "signers": signers,
                                              "pdf_base64": base64.b64encode(b"nada").decode()})
    assert not_pdf.status_code == 422


def test_completed_envelope_documents_and_portal(api, client, make_contract, make_customer, db):
    customer = make_customer(phone=None)
    contract = make_contract(customer=customer)
    pending = api("POST", "/envelopes", json={"contract_number": contract.number})
    done = api("POST", "/envelopes", json={"contract_number": make_contract(customer=customer).number})
    from firma.models import Envelope

    envelope = Envelope.query.filter_by(public_code=done.json["public_code"]).one()
    sign(client, envelope.signers[0])
    final = api("GET", f"/envelopes/{envelope.public_code}/documents/final")
    assert final.status_code == 200 and final.data.startswith(b"%PDF")
    manifest = api("GET", f"/envelopes/{envelope.public_code}/documents/manifest")
    assert manifest.json["envelope"]["code"] == envelope.public_code
    assert api("GET", f"/envelopes/{pending.json['public_code']}/documents/final").status_code == 409
    portal = api("GET", f"/portal/customers/{customer.cpf_cnpj}/documents")
    assert [d["public_code"] for d in portal.json["pending"]] == [pending.json["public_code"]]
    embed = portal.json["pending"][0]["embed_url"]
    assert "/embed/" in embed and client.get(embed.replace("http://firma.test", "")).status_code == 200
    assert [d["public_code"] for d in portal.json["signed"]] == [envelope.public_code]


def test_portal_reuses_the_live_link(api, client, make_contract, make_customer, db):
    from firma.envelopes import links
    from firma.models import Envelope

    customer = make_customer(phone=None)
    code = api("POST", "/envelopes", json={"contract_number": make_contract(customer=customer).number}).json["public_code"]
    url = f"/portal/customers/{customer.cpf_cnpj}/documents"
    first, second = (api("GET", url).json["pending"][0]["embed_url"] for _ in range(2))
    assert first == second  # one live link, not one per page view of the portal
    assert client.get(first.replace("http://firma.test", "")).status_code == 200
    signer = Envelope.query.filter_by(public_code=code).one().signers[0]
    links.issue(signer)  # e.g. a reminder by e-mail: a random link replaces the portal's
    commit()
    third = api("GET", url).json["pending"][0]["embed_url"]
    assert third != first and client.get(third.replace("http://firma.test", "")).status_code == 200
    assert client.get(first.replace("http://firma.test", "")).status_code == 404


def test_templates_list_and_preview(api, make_template):
    template = make_template()
    listed = api("GET", "/templates?limit=1")
    assert listed.json["data"][0]["id"] == template.id
    preview = api("POST", f"/templates/{template.id}/preview", json={})
    assert "Maria da Silva" in preview.json["html"]


def test_cursor_pagination_walks_every_customer_once(api, make_customer):
    cpfs = ["52998224725", "15350946056", "11144477735"]
    for cpf in cpfs:
        make_customer(cpf=cpf)
    seen, cursor = [], None
    while True:
        response = api("GET", "/customers?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        seen += [c["cpf_cnpj"] for c in response.json["data"]]
        cursor = response.json["next_cursor"]
        if cursor is None:
            break
    assert seen == cpfs
    refused = api("GET", "/customers?cursor=!!")
    assert refused.status_code == 422 and refused.json["field"] == "cursor"


def test_batches_start_and_poll(api, make_contract):
    contracts = [make_contract(), make_contract()]
    started = api("POST", "/batches", json={"action": "check_status",
                                            "contract_numbers": [c.number for c in contracts]})
    assert started.status_code == 202 and started.json["total"] == 2
    polled = api("GET", f"/batches/{started.json['id']}")
    assert polled.json["status"] in ("queued", "running", "done") and polled.json["total"] == 2
    unknown = api("POST", "/batches", json={"action": "explodir", "contract_numbers": [contracts[0].number]})
    assert unknown.status_code == 422


def test_envelopes_of_another_integration_are_invisible(api, make_contract, db):
    from firma.models import Integration

    other = Integration(description="Outra")
    db.session.add(other)
    db.session.commit()
    token = api_tokens.rotate_token(other)
    commit()
    created = api("POST", "/envelopes", json={"contract_number": make_contract().number})
    assert api("GET", f"/envelopes/{created.json['public_code']}", token=token).status_code == 404
