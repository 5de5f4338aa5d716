"""The alphanumeric CNPJ (Receita Federal, July 2026) is a CNPJ everywhere: forms, API, templates, manifest."""
import io
from datetime import datetime, timezone

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from firma.br import identifiers
from firma.documents.contexts import contract_context
from firma.documents.sandbox import render_body
from firma.envelopes import create
from firma.evidence import manifest
from firma.evidence.manifest_pdf import render_manifest
from firma.models import Branch, Customer
from firma.org import api_tokens
from firma.platform.outbox import commit
from tests.admin_client import post
from tests.flow import PHONE_UA, form_token, link_for

ALNUM = "12.ABC.345/01DE-35"
ALNUM_STORED = "12ABC34501DE35"
OTHER_ALNUM = "A1.B2C.3D4/0001-93"


@pytest.mark.parametrize("typed", [ALNUM, "12abc34501de35", " 12.ABC.345/01DE–35 ".replace("–", "-"),
                                   "11.222.333/0001-81", OTHER_ALNUM])
def test_valid_cnpjs_numeric_and_alphanumeric(typed):
    assert identifiers.is_valid_cnpj(typed)
    assert identifiers.normalise_cpf_cnpj(typed) == identifiers.compact(typed)
    assert len(identifiers.normalise_cnpj(typed)) == 14


@pytest.mark.parametrize("typed", ["12.ABC.345/01DE-36", "12.ABC.345/01DE-3A", "11.222.333/0001-80",
                                   "AA.AAA.AAA/AAAA-AA", "11111111111111"])
def test_wrong_check_digits_are_refused_in_portuguese(typed):
    assert not identifiers.is_valid_cnpj(typed)
    with pytest.raises(ValueError, match="^CNPJ inválido: confira os 14 caracteres.$"):
        identifiers.normalise_cpf_cnpj(typed)


def test_format_and_mask_keep_the_letters():
    assert identifiers.format_cpf_cnpj(ALNUM_STORED) == ALNUM
    assert identifiers.mask_cpf(ALNUM_STORED) == ALNUM  # a company's CNPJ is public, not masked
    assert identifiers.format_cpf_cnpj("52998224725") == "529.982.247-25"
    assert identifiers.search_key("ana") == "" and identifiers.search_key("12.abc") == "12ABC"


def test_admin_customer_form_accepts_and_refuses(staff, db):
    customer = {"name": "Provedor Cliente Ltda", "email": "ti@cliente.example", "state": "SP"}
    assert post(staff, "/admin/clientes/novo", {**customer, "cpf_cnpj": "12.abc.345/01de-35"}).status_code == 302
    assert db.session.scalar(select(Customer.cpf_cnpj)) == ALNUM_STORED
    assert "Provedor Cliente Ltda" in staff.get("/admin/clientes?q=12.ABC.345").get_data(as_text=True)
    bad = post(staff, "/admin/clientes/novo", {**customer, "cpf_cnpj": "12.ABC.345/01DE-36"})
    assert bad.status_code == 422 and "CNPJ inválido: confira os 14 caracteres." in bad.get_data(as_text=True)
    bad = post(staff, "/admin/clientes/novo", {**customer, "cpf_cnpj": "11.222.333/0001-80"})
    assert bad.status_code == 422 and "CNPJ inválido" in bad.get_data(as_text=True)
    good = post(staff, "/admin/validar/cpf_cnpj", {"cpf_cnpj": OTHER_ALNUM}).get_data(as_text=True)
    assert "error" not in good


def test_admin_branch_form_accepts_and_refuses(staff, db, integration):
    data = {"name": "Filial Nova", "cnpj": ALNUM, "color": "#0b5cad", "integration_id": integration.id}
    assert post(staff, "/admin/filiais/nova", data).status_code == 302
    assert db.session.scalar(select(Branch.cnpj).where(Branch.name == "Filial Nova")) == ALNUM_STORED
    bad = post(staff, "/admin/filiais/nova", {**data, "name": "Outra", "cnpj": "12.ABC.345/01DE-53"})
    assert bad.status_code == 422 and "CNPJ inválido: confira os 14 caracteres." in bad.get_data(as_text=True)


def test_api_upsert_and_lookup(app, client, integration, branch, db):
    headers = {"Authorization": f"Bearer {api_tokens.rotate_token(integration)}"}
    commit()
    body = {"name": "Empresa Nova", "cpf_cnpj": ALNUM, "email": "a@empresa.example"}
    first = client.post("/api/v1/customers", json=body, headers=headers)
    assert first.status_code == 201 and first.json["cpf_cnpj"] == ALNUM_STORED
    again = client.post("/api/v1/customers", json={**body, "cpf_cnpj": "12abc34501de35", "name": "Empresa N."},
                        headers=headers)
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    assert client.get("/api/v1/customers/12abc34501de35", headers=headers).json["name"] == "Empresa N."
    listed = client.get("/api/v1/customers", query_string={"cpf_cnpj": ALNUM}, headers=headers).json["data"]
    assert [c["id"] for c in listed] == [first.json["id"]]
    portal = client.get("/api/v1/portal/customers/12abc34501de35/documents", headers=headers)
    assert portal.status_code == 200 and portal.json["cpf_cnpj"] == ALNUM_STORED
    bad = client.post("/api/v1/customers", json={**body, "cpf_cnpj": "12.ABC.345/01DE-36"}, headers=headers)
    assert bad.status_code == 422 and bad.json["field"] == "cpf_cnpj"
    assert bad.json["detail"] == "CNPJ inválido: confira os 14 caracteres."


def test_template_and_manifest_show_the_formatted_cnpj(db, branch, make_customer, make_contract, make_template):
    branch.cnpj = "A1B2C3D4000193"
    customer = make_customer(cpf=ALNUM_STORED, name="Empresa Nova")
    template = make_template("<p>{{ cliente.nome }}, CNPJ {{ cliente.cpf_cnpj }} ({{ cliente.tipo_pessoa }}); "
                             "filial CNPJ {{ filial.cnpj }}</p>")
    contract = make_contract(customer=customer, template=template)
    html = render_body(template.current.body, contract_context(contract, datetime.now(timezone.utc)))
    assert f"CNPJ {ALNUM} (Pessoa jurídica); filial CNPJ {OTHER_ALNUM}" in html
    envelope = create.create_for_contract(contract)
    commit()
    data = manifest.collect(envelope, public_url="http://firma.test")
    assert data.branch_cnpj == OTHER_ALNUM and data.signers[0].cpf == ALNUM
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(render_manifest(data))).pages)
    assert ALNUM in text and OTHER_ALNUM in text


def test_signer_confirms_an_alphanumeric_cnpj_typed_in_lower_case(client, db, make_customer, make_contract):
    envelope = create.create_for_contract(make_contract(customer=make_customer(cpf=ALNUM_STORED)))
    signer = next(s for s in envelope.signers if s.role == "client")
    token = link_for(signer)
    page = client.get(f"/s/{token}", headers={"User-Agent": PHONE_UA})
    assert 'inputmode="text" autocapitalize="characters"' in page.text
    answer = client.post(f"/s/{token}/welcome", headers={"User-Agent": PHONE_UA},
                         data={"form_token": form_token(page.text), "cpf": "12.abc.345/01de-35"})
    assert answer.status_code == 303
    db.session.refresh(signer)
    assert signer.identity_confirmed_at is not None
