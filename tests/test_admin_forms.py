"""Every panel form through run_form: a refused post answers 422 with each pt-BR message beside its field,
every invalid field keeps its message, nothing half-saved stays behind; htmx asks for fragments."""
import re
from html import unescape

import pytest
from flask import g
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.exceptions import Forbidden
from wtforms import StringField
from wtforms.validators import Length

from admin.forms import form_status, run_form
from firma.envelopes import batches, create
from firma.models import Contract, Customer, Envelope, ServiceOrder, Subject, Term, User
from firma.platform import outbox
from firma.platform.errors import Refusal
from tests.admin_client import log_in, post
from tests.conftest import PASSWORD
from tests.test_admin_records import CUSTOMER, contract_data

FIELD = re.compile(r'<div class="field" id="field-(\w+)">(.*?)</div>', re.S)
FIELD_ERROR = re.compile(r'<p class="(?:field-check )?error"[^>]*>(.*?)</p>', re.S)
ALERT = re.compile(r'<p class="error" role="alert">(.*?)</p>', re.S)


def beside(response) -> dict[str, str]:
    """Each field's error text as rendered beside it (fields without one left out)."""
    found = {}
    for name, block in FIELD.findall(response.get_data(as_text=True)):
        text = " ".join(FIELD_ERROR.findall(block)).replace("<br>", " | ")
        if text.strip():
            found[name] = unescape(text)
    return found


def alerts(response) -> list[str]:
    """The form-level messages shown above the form."""
    return [unescape(m) for m in ALERT.findall(response.get_data(as_text=True))]


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture()
def clerk(app, db, make_user):
    """A logged-in user who may edit records but not send them for signature."""
    user = make_user("clerk@isp.test", role="viewer", extra_permissions=["manage_records"])
    client = app.test_client()
    g.pop("csrf_token", None)  # another client's token, cached in the app context the `db` fixture keeps
    log_in(client, user.email, PASSWORD)
    return client


# --- records -------------------------------------------------------------------------------------------

def test_customer_keeps_every_invalid_fields_message(staff, db):
    response = post(staff, "/admin/clientes/novo", {**CUSTOMER, "name": "", "cpf_cnpj": "111.111.111-11",
                                                    "email": "não-é-email", "phone": "12", "zip_code": "123"})
    assert response.status_code == 422
    messages = beside(response)
    assert set(messages) == {"name", "cpf_cnpj", "email", "phone", "zip_code"}
    assert messages["name"] == "Campo obrigatório."
    assert messages["cpf_cnpj"].startswith("CPF inválido")
    assert messages["email"] == "E-mail inválido."
    assert messages["phone"] == "Telefone inválido: informe DDD e número."
    assert messages["zip_code"].startswith("CEP inválido")
    assert 'aria-invalid="true"' in re.search(r'<input[^>]*name="email"[^>]*>', response.text).group(0)
    assert alerts(response) == [] and count(db, Customer) == 0


def test_customer_service_refusal_lands_beside_its_field(staff, db, make_customer):
    make_customer(cpf="52998224725")
    response = post(staff, "/admin/clientes/novo", CUSTOMER)
    assert response.status_code == 422
    assert beside(response) == {"cpf_cnpj": "Já existe um cliente com este CPF/CNPJ."}


def test_contact_keeps_every_message_and_the_services_own(staff, db):
    response = post(staff, "/admin/contatos/novo", {"name": "Testemunha", "cpf": "123", "phone": "12"})
    assert response.status_code == 422
    messages = beside(response)
    assert set(messages) == {"cpf", "phone"} and messages["cpf"].startswith("CPF inválido")
    response = post(staff, "/admin/contatos/novo", {"name": "Testemunha"})
    assert response.status_code == 422
    assert beside(response) == {"email": "Informe um e-mail ou um celular do contato."}


def test_contract_refusals_beside_fields_and_nothing_saved(staff, clerk, db, branch, make_customer, make_template):
    data = contract_data(make_customer(), branch, make_template())
    response = post(staff, "/admin/contratos/novo", {**data, "price": "abc", "due_day": 40})
    assert response.status_code == 422
    messages = beside(response)
    assert set(messages) == {"due_day"}  # the form's own check first; the service's once the form is valid
    response = post(staff, "/admin/contratos/novo", {**data, "price": "abc"})
    assert response.status_code == 422
    assert beside(response) == {"price": "Valor inválido: use por exemplo 99,90."}
    # the send permission is checked by the service, after it flushed the contract: rolled back, shown beside
    # the digital-signature choice
    refused = post(clerk, "/admin/contratos/novo", data)
    assert refused.status_code == 422
    assert beside(refused) == {"use_digital_signature":
                               "Você não tem permissão para enviar contratos para assinatura."}
    assert count(db, Contract) == 0 and count(db, Envelope) == 0
    # without digital signature nothing is sent, so the same user may save it
    assert post(clerk, "/admin/contratos/novo", {**data, "use_digital_signature": None}).status_code == 302


def test_unsigned_term_needs_the_send_permission(clerk, db, make_contract, make_template):
    contract, term = make_contract(), make_template(kind="term", name="Termo de fidelidade")
    url = f"/admin/contratos/{contract.id}/termos"
    response = post(clerk, url, {"template_id": term.id, "signed": "no"})
    assert response.status_code == 422
    assert beside(response) == {"signed": "Você não tem permissão para enviar termos para assinatura."}
    assert count(db, Term) == 0
    assert post(clerk, url, {"template_id": term.id, "signed": "yes"}).status_code == 302
    assert beside(post(clerk, url, {"template_id": "", "signed": "yes"})) == {"template_id": "Escolha um modelo de termo."}


def test_service_order_and_subject_refusals(staff, clerk, db, branch, integration, make_customer, make_template):
    response = post(staff, "/admin/assuntos/novo", {"name": "Instalação", "digital_signature": "y"})
    assert response.status_code == 422
    assert beside(response) == {
        "template_id": "Assunto com assinatura digital precisa de um modelo de ordem de serviço."}
    template = make_template("<h1>OS {{ os.numero }}</h1>", kind="service_order", name="OS")
    assert post(staff, "/admin/assuntos/novo", {"name": "Instalação", "digital_signature": "y",
                                                "template_id": template.id}).status_code == 302
    subject = db.session.scalar(select(Subject))
    order = {"number": "OS-1", "customer_id": make_customer().id, "branch_id": branch.id, "subject_id": subject.id}
    missing = post(staff, "/admin/ordens/nova", {**order, "customer_id": ""})
    assert missing.status_code == 422 and beside(missing) == {"customer_id": "Escolha o cliente."}
    integration.send_method = "service_order"
    db.session.commit()
    refused = post(clerk, "/admin/ordens/nova", order)
    assert refused.status_code == 422
    assert beside(refused) == {"subject_id": "Você não tem permissão para enviar documentos para assinatura."}
    assert count(db, ServiceOrder) == 0
    assert post(staff, "/admin/ordens/nova", order).status_code == 302
    duplicate = post(staff, "/admin/ordens/nova", order)
    assert beside(duplicate) == {"number": "Já existe uma ordem de serviço com este número."}


# --- settings, branches, integrations, users, templates, account -----------------------------------------

def test_integration_branch_and_settings_refusals(staff, db, integration):
    webhook = post(staff, f"/admin/integracoes/{integration.id}?aba=webhook",
                   {"webhook_url": "https://erp.isp/hook", "webhook_secret": "curto"})
    assert webhook.status_code == 422
    assert beside(webhook) == {"webhook_secret": "O segredo do webhook precisa de pelo menos 16 caracteres."}
    portal = post(staff, f"/admin/integracoes/{integration.id}?aba=portal", {"allowed_origins": "ftp://x"})
    assert list(beside(portal)) == ["allowed_origins"]
    branch = {"name": "Filial Centro", "cnpj": "11.222.333/0001-81", "color": "azul"}
    response = post(staff, "/admin/filiais/nova", branch)
    assert response.status_code == 422 and beside(response) == {"color": "Cor inválida: use o formato #rrggbb."}
    response = post(staff, "/admin/filiais/nova", {**branch, "cnpj": "11.222.333/0001-00", "color": "#123456"})
    assert response.status_code == 422 and beside(response)["cnpj"].startswith("CNPJ inválido")
    blank = post(staff, "/admin/parametros", {"company_name": ""})
    assert blank.status_code == 422 and beside(blank) == {"company_name": "Campo obrigatório."}


def test_user_form_refusals_name_their_fields(staff, db, make_user):
    make_user("taken@example.com")
    user = {"name": "Operadora", "email": "op@example.com", "role": "operator", "active": "y", "password": "curta"}
    response = post(staff, "/admin/usuarios/novo", user)
    assert response.status_code == 422
    assert beside(response) == {"password": "A senha precisa de pelo menos 10 caracteres."}
    response = post(staff, "/admin/usuarios/novo", {**user, "password": "x" * 12, "cpf": "123.456.789-00"})
    assert response.status_code == 422 and beside(response)["cpf"].startswith("CPF inválido")
    response = post(staff, "/admin/usuarios/novo", {**user, "password": "x" * 12, "email": "taken@example.com"})
    assert beside(response) == {"email": "Não foi possível usar este e-mail; escolha outro."}
    assert count(db, User) == 2


def test_template_and_signature_refusals_are_form_level(staff, db):
    response = post(staff, "/admin/modelos/novo", {"name": "X", "kind": "contract", "body": "<p>{{ cliente.nmoe }}</p>"})
    assert response.status_code == 422 and beside(response) == {}
    [message] = alerts(response)
    assert "cliente.nmoe" in message
    blank = post(staff, "/admin/conta/assinatura", {"signature": ""})
    assert blank.status_code == 422 and any("Desenhe sua assinatura" in m for m in alerts(blank))
    assert staff.post("/admin/conta/assinatura", data={"signature": ""}).status_code == 400  # no CSRF token


def test_login_failure_is_a_form_level_message(client, db, make_user):
    make_user()
    page = client.get("/admin/entrar").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/admin/entrar", data={"email": "staff@isp.test", "password": "errada!", "csrf_token": token})
    assert response.status_code == 422 and alerts(response) == ["E-mail ou senha incorretos."]


def test_envelope_actions_show_every_message_on_top(staff, db, make_contract):
    envelope = create.create_for_contract(make_contract())
    outbox.commit()
    signer = envelope.signers[0]
    url = f"/admin/assinaturas/{envelope.id}"
    no_reason = post(staff, f"{url}/cancelar", {"reason": ""})
    assert no_reason.status_code == 422 and alerts(no_reason) == ["Informe o motivo do cancelamento."]
    bad_phone = post(staff, f"{url}/contato", {"signer_id": signer.id, "phone": "12", "channel": "whatsapp"})
    assert bad_phone.status_code == 422 and alerts(bad_phone) == ["Telefone inválido: informe DDD e número."]
    db.session.refresh(signer)
    assert signer.phone != "12"
    assert post(staff, f"{url}/reenviar", {"signer_id": "999999", "channel": ""}).status_code == 404
    assert post(staff, f"{url}/reenviar", {"signer_id": signer.id, "channel": "pombo"}).status_code == 400


# --- the helper itself and the permission check in the services --------------------------------------------

class NameForm(FlaskForm):
    class Meta:
        csrf = False

    name = StringField("Nome", validators=[Length(max=3)])


def test_run_form_places_refusals(app):
    def refuse(field):
        def call():
            raise Refusal("Recusado.", field)
        return call

    with app.test_request_context(method="POST", data={"name": "abc"}):
        form = NameForm()
        assert run_form(form, lambda: "saved") == "saved" and form_status(form) == 200
        assert run_form(form, refuse("name")) is None
        assert form.name.errors == ["Recusado."] and form.form_errors == [] and form_status(form) == 422
    with app.test_request_context(method="POST", data={"name": "abc"}):
        form = NameForm()
        run_form(form, refuse("not_on_this_form"))
        assert form.form_errors == ["Recusado."] and form.name.errors == []
    with app.test_request_context(method="POST", data={"name": "abcd"}):
        form = NameForm()
        assert run_form(form, lambda: pytest.fail("the service must not run on an invalid form")) is None
        assert len(form.name.errors) == 1 and form_status(form) == 422


def test_batch_permission_is_checked_by_the_service(db, make_user, make_contract):
    viewer = make_user("viewer@isp.test", role="viewer", extra_permissions=["sync"])
    contract = make_contract()
    with pytest.raises(Forbidden):
        batches.start("send", [contract.id], by=viewer)
    assert batches.start("check_status", [contract.id], by=viewer).total == 1


# --- htmx: fragment or page --------------------------------------------------------------------------------

@pytest.mark.parametrize("headers, fragment", [
    ({}, False),
    ({"HX-Request": "true"}, True),
    ({"HX-Request": "true", "HX-Boosted": "true"}, False),  # boosted navigation swaps the whole body
])
def test_htmx_requests_get_the_fragment_plain_ones_the_page(staff, headers, fragment):
    body = staff.get("/admin/clientes?q=x", headers=headers).get_data(as_text=True)
    assert body.startswith('<table class="table" id="customer-rows">') is fragment
    assert ("<html" in body) is not fragment
