"""Organizations: `firma org`, the operator page, plan limits, and the scope's mechanics (queries, gets, inserts)."""
import json

import pytest
from flask import g
from sqlalchemy import func, select, update

from firma.envelopes import create
from firma.extensions import db as _db
from firma.models import Customer, Envelope, Integration, Organization, User
from firma.org import api_tokens, organizations
from firma.org.integrations import save_integration
from firma.platform import tenancy
from firma.platform.errors import Refusal
from firma.platform.outbox import commit
from tests.admin_client import log_in, post
from tests.conftest import PASSWORD


def test_org_create_prints_one_json_line_that_works(app, db, client):
    result = app.test_cli_runner().invoke(args=["org", "create", "Net Vale Ltda", "--cnpj", "12.ABC.345/02DE-06",
                                                "--max-envelopes", "5"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    created = json.loads(lines[0])
    assert set(created) >= {"organization_id", "admin_email", "admin_password", "api_token"}
    organization = _db.session.get(Organization, created["organization_id"])
    assert organization.cnpj == "12ABC34502DE06" and organization.max_envelopes_per_month == 5
    # the token answers the API, scoped to the new organization: it sees none of A's customers
    seen = client.get("/api/v1/customers", headers={"Authorization": f"Bearer {created['api_token']}"})
    assert seen.status_code == 200 and seen.json["data"] == []
    log_in(app.test_client(), created["admin_email"], created["admin_password"])
    listed = app.test_cli_runner().invoke(args=["org", "list"])
    rows = [json.loads(line) for line in listed.output.strip().splitlines()]
    assert [r["name"] for r in rows][-1] == "Net Vale Ltda" and rows[-1]["users"] == 1


def test_org_create_refuses_a_bad_or_taken_cnpj(app, db):
    bad = app.test_cli_runner().invoke(args=["org", "create", "X", "--cnpj", "11.222.333/0001-00"])
    assert bad.exit_code == 2 and "CNPJ" in bad.output
    taken = app.test_cli_runner().invoke(args=["org", "create", "X", "--cnpj", "11.222.333/0001-81"])  # A's
    assert taken.exit_code == 2 and "Já existe" in taken.output


def test_operator_page_is_a_404_for_everyone_but_operators(app, db, staff, make_user):
    assert staff.get("/admin/provedores").status_code == 404
    assert "Provedores" not in staff.get("/admin/").get_data(as_text=True)
    operator = make_user("operator@firma.test", is_operator=True)
    client = app.test_client()
    g.pop("csrf_token", None)  # the shared app context cached the first client's form token
    log_in(client, operator.email, PASSWORD)
    page = client.get("/admin/provedores")
    assert page.status_code == 200 and "Outra Rede Provedor Ltda" in page.get_data(as_text=True)
    created = post(client, "/admin/provedores", {"name": "Rede Nova Ltda", "cnpj": "45.723.174/0001-10"})
    assert created.status_code == 201 and "Token da integração" in created.get_data(as_text=True)
    assert _db.session.scalar(select(Organization).where(Organization.cnpj == "45723174000110")) is not None
    refused = post(client, "/admin/provedores", {"name": "Outra", "cnpj": "45.723.174/0001-10"})
    assert refused.status_code == 422 and "Já existe um provedor" in refused.get_data(as_text=True)


def test_plan_limit_on_envelopes_per_month_is_a_clear_refusal(db, organization, make_contract):
    organization.max_envelopes_per_month = 1
    commit()
    create.create_for_contract(make_contract())
    commit()
    with pytest.raises(Refusal, match="limite deste mês foi atingido"):
        create.create_for_contract(make_contract())


def test_plan_limit_on_integrations(db, organization, integration):
    organization.max_integrations = 1
    commit()
    with tenancy.scoped(organization.id), pytest.raises(Refusal, match="até 1 integração"):
        save_integration(None, {"description": "Segunda"})


def test_the_scope_filters_selects_counts_updates_and_gets(db, organization, other_organization, make_customer):
    customer = make_customer()  # A's, and loaded in this session's identity map
    with tenancy.scoped(other_organization.id):
        assert _db.session.scalars(select(Customer)).all() == []
        assert _db.session.scalar(select(func.count()).select_from(Customer)) == 0
        assert _db.session.get(Customer, customer.id) is None  # even from the identity map
        _db.session.execute(update(Customer).values(name="Trocado por B"))
        b_customer = Customer(name="De B", cpf_cnpj=customer.cpf_cnpj)  # the same CPF: unique per organization
        _db.session.add(b_customer)
        commit()
        assert b_customer.organization_id == other_organization.id
    _db.session.expire_all()
    assert customer.name != "Trocado por B"
    with tenancy.scoped(organization.id):
        assert _db.session.scalars(select(Customer)).all() == [customer]


def test_unscoped_rows_take_their_parent_organization(db, other_organization, make_customer):
    with tenancy.scoped(other_organization.id):
        integration = Integration(description="De B")
        _db.session.add(integration)
        commit()
    token = api_tokens.rotate_token(integration)  # unscoped, as a job would
    commit()
    assert api_tokens.find_integration(token).organization_id == other_organization.id


def test_a_row_with_no_organization_is_refused(db):
    tenancy.adopt_orphans(None)  # what production does: no fallback
    _db.session.add(User(name="Sem provedor", email="x@y.test", password_hash="x"))
    with pytest.raises(RuntimeError, match="has no organization"):
        _db.session.flush()
    _db.session.rollback()


def test_staff_e_mails_stay_unique_across_organizations(db, other_organization, make_user):
    make_user("same@isp.com.br")
    from firma.org import staff
    with tenancy.scoped(other_organization.id), pytest.raises(Refusal, match=staff.EMAIL_UNAVAILABLE):
        staff.save_user(None, name="B", email="same@isp.com.br", role="admin", extra_permissions=[],
                        password="senha-longa-123")
    _db.session.rollback()


def test_an_e_mail_used_in_another_organization_gets_the_answer_of_one_used_here(db, staff, other_organization,
                                                                                make_user):
    with tenancy.scoped(other_organization.id):
        make_user("ana@outro-provedor.com.br", name="Ana do outro provedor")
    make_user("bia@isp.com.br", name="Bia daqui")
    new = {"name": "Nova operadora", "role": "operator", "active": "y", "password": "senha-longa-123"}
    elsewhere = post(staff, "/admin/usuarios/novo", {**new, "email": "ana@outro-provedor.com.br"})
    here = post(staff, "/admin/usuarios/novo", {**new, "email": "bia@isp.com.br"})
    assert elsewhere.status_code == here.status_code == 422
    elsewhere_text, here_text = elsewhere.get_data(as_text=True), here.get_data(as_text=True)
    assert "Não foi possível usar este e-mail; escolha outro." in elsewhere_text
    # the same page but for the address typed: nothing says where the e-mail is used
    assert elsewhere_text.replace("ana@outro-provedor.com.br", "@") == here_text.replace("bia@isp.com.br", "@")
    assert other_organization.name not in elsewhere_text and "outro provedor" not in elsewhere_text
    renamed = post(staff, f"/admin/usuarios/{staff.user.id}", {**new, "role": "admin",
                                                               "email": "ana@outro-provedor.com.br"})
    assert renamed.status_code == 422 and "Não foi possível usar este e-mail" in renamed.get_data(as_text=True)
    assert _db.session.scalar(select(func.count()).select_from(User).where(User.name == "Nova operadora")) == 0
    _db.session.refresh(staff.user)
    assert staff.user.email == "staff@isp.test"


def test_envelope_quota_counts_only_the_organization(db, organization, other_organization, make_contract):
    other_organization.max_envelopes_per_month = 1
    commit()
    create.create_for_contract(make_contract())
    commit()
    organizations.check_envelope_quota(other_organization.id)  # A's envelope does not use B's quota
    assert _db.session.scalar(select(func.count(Envelope.id))) == 1
