"""Customers, contacts, contracts (tabs, send trigger, terms), subjects and service orders through the panel."""
from sqlalchemy import func, select

from firma.models import Contact, Contract, Customer, Delivery, Envelope, ServiceOrder, Subject, Term
from tests.admin_client import post

CUSTOMER = {"name": "Ana Souza", "cpf_cnpj": "529.982.247-25", "email": "ana@example.com",
            "phone": "(19) 98765-4321", "state": "sp", "zip_code": "13010-000"}


def envelopes_of(db, contract_id: int) -> list[Envelope]:
    return list(db.session.scalars(select(Envelope).where(Envelope.contract_id == contract_id)))


def test_customer_create_list_search_and_edit(staff, db):
    response = post(staff, "/admin/clientes/novo", CUSTOMER)
    assert response.status_code == 302
    customer = db.session.scalar(select(Customer))
    assert (customer.cpf_cnpj, customer.phone, customer.state, customer.zip_code) == (
        "52998224725", "+5519987654321", "SP", "13010000")
    assert "Ana Souza" in staff.get("/admin/clientes?q=ana").get_data(as_text=True)
    fragment = staff.get("/admin/clientes?q=529982", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.startswith('<table class="table" id="customer-rows">') and "Ana Souza" in fragment
    assert "Nenhum cliente" in staff.get("/admin/clientes?q=zzz").get_data(as_text=True)
    assert post(staff, f"/admin/clientes/{customer.id}", {**CUSTOMER, "name": "Ana S."}).status_code == 302
    db.session.refresh(customer)
    assert customer.name == "Ana S."


def test_customer_validation_errors(staff, db):
    response = post(staff, "/admin/clientes/novo", {**CUSTOMER, "cpf_cnpj": "111.111.111-11"})
    assert response.status_code == 422
    assert "CPF inválido" in response.get_data(as_text=True)
    response = post(staff, "/admin/clientes/novo", {**CUSTOMER, "email": "não-é-email"})
    assert response.status_code == 422 and "E-mail inválido." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 0


def test_inline_validation(staff):
    bad = post(staff, "/admin/validar/cpf_cnpj", {"cpf_cnpj": "123"}, headers={"HX-Request": "true"})
    assert 'id="check-cpf_cnpj"' in bad.get_data(as_text=True) and "CPF (11 dígitos) ou CNPJ" in bad.get_data(as_text=True)
    good = post(staff, "/admin/validar/cpf_cnpj", {"cpf_cnpj": "11.222.333/0001-81"}).get_data(as_text=True)
    assert "error" not in good
    assert "Telefone inválido" in post(staff, "/admin/validar/phone", {"phone": "12"}).get_data(as_text=True)
    assert post(staff, "/admin/validar/name", {"name": "x"}).status_code == 404


def test_contact_needs_phone_or_email(staff, db):
    response = post(staff, "/admin/contatos/novo", {"name": "Testemunha"})
    assert response.status_code == 422 and "e-mail ou um celular" in response.get_data(as_text=True)
    assert post(staff, "/admin/contatos/novo", {"name": "Testemunha", "phone": "19 98888-7777",
                                                "cpf": "153.509.460-56"}).status_code == 302
    contact = db.session.scalar(select(Contact))
    assert contact.phone == "+5519988887777" and contact.cpf == "15350946056"
    assert "Testemunha" in staff.get("/admin/contatos").get_data(as_text=True)


def contract_data(customer, branch, template, **kw) -> dict:
    data = {"number": "CT-1", "customer_id": customer.id, "branch_id": branch.id, "template_id": template.id,
            "plan": "Fibra 500", "price": "99,90", "due_day": 10, "loyalty_months": 12,
            "use_digital_signature": "y", "activate_on_signature": "y", "require_selfie": "default",
            "require_document_photo": "default"}
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


def test_saving_contract_sends_link_once(staff, db, branch, make_customer, make_template):
    customer, template = make_customer(), make_template()
    response = post(staff, "/admin/contratos/novo", contract_data(customer, branch, template))
    assert response.status_code == 302
    contract = db.session.scalar(select(Contract))
    assert str(contract.price) == "99.90" and contract.status == "awaiting_signature"
    [envelope] = envelopes_of(db, contract.id)
    deliveries = list(db.session.scalars(select(Delivery).where(Delivery.envelope_id == envelope.id)))
    assert [d.purpose for d in deliveries] == ["link"] and deliveries[0].status == "sent"
    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert envelope.public_code in page and "enviado para assinatura" in page
    # saving again (any tab) does not send a second time
    assert post(staff, f"/admin/contratos/{contract.id}?aba=assinatura",
                contract_data(customer, branch, template, plan="Fibra 600")).status_code == 302
    assert len(envelopes_of(db, contract.id)) == 1
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 1


def test_contract_without_digital_signature_or_other_send_method_is_not_sent(staff, db, branch, integration,
                                                                           make_customer, make_template):
    template = make_template()
    post(staff, "/admin/contratos/novo", contract_data(make_customer(), branch, template,
                                                        use_digital_signature=None))
    integration.send_method = "service_order"
    db.session.commit()
    post(staff, "/admin/contratos/novo", contract_data(make_customer(cpf="15350946056"), branch, template,
                                                        number="CT-2"))
    assert db.session.scalar(select(func.count()).select_from(Contract)) == 2
    assert db.session.scalar(select(func.count()).select_from(Envelope)) == 0


def test_contract_validation_and_tabs(staff, db, branch, make_customer, make_template, make_contract):
    customer, template = make_customer(), make_template()
    response = post(staff, "/admin/contratos/novo", contract_data(customer, branch, template, price="abc"))
    assert response.status_code == 422 and "Valor inválido" in response.get_data(as_text=True)
    response = post(staff, "/admin/contratos/novo", contract_data(customer, branch, template, template_id=""))
    assert response.status_code == 422 and "Escolha um modelo de contrato." in response.get_data(as_text=True)
    contract = make_contract()
    for tab in ("contrato", "assinatura", "historico", "termos"):
        assert staff.get(f"/admin/contratos/{contract.id}?aba={tab}").status_code == 200
    assert staff.get(f"/admin/contratos/{contract.id}?aba=outra").status_code == 404
    assert staff.get("/admin/contratos/999").status_code == 404
    listing = staff.get("/admin/contratos?status=draft").get_data(as_text=True)
    assert contract.number in listing and 'name="ids"' in listing


def test_unsigned_term_sends_its_own_link(staff, db, make_contract, make_template):
    contract = make_contract()
    term_template = make_template("<p>Termo de comodato de {{ cliente.nome }}</p>", kind="term", name="Comodato")
    response = post(staff, f"/admin/contratos/{contract.id}/termos", {"template_id": term_template.id,
                                                                      "signed": "no"})
    assert response.status_code == 302
    term = db.session.scalar(select(Term))
    envelope = db.session.scalar(select(Envelope).where(Envelope.term_id == term.id))
    assert envelope.kind == "term" and envelope.status == "pending"
    assert db.session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.envelope_id == envelope.id)) == 1
    post(staff, f"/admin/contratos/{contract.id}/termos", {"template_id": term_template.id, "signed": "yes"})
    assert db.session.scalar(select(func.count()).select_from(Term)) == 2
    assert db.session.scalar(select(func.count()).select_from(Envelope)) == 1
    assert "Comodato" in staff.get(f"/admin/contratos/{contract.id}?aba=termos").get_data(as_text=True)


def test_subject_and_service_order_trigger(staff, db, branch, integration, make_customer, make_template):
    os_template = make_template("<h1>OS {{ os.numero }}</h1>", kind="service_order", name="OS")
    response = post(staff, "/admin/assuntos/novo", {"name": "Instalação", "digital_signature": "y"})
    assert response.status_code == 422 and "precisa de um modelo" in response.get_data(as_text=True)
    assert post(staff, "/admin/assuntos/novo", {"name": "Instalação", "digital_signature": "y",
                                                "template_id": os_template.id}).status_code == 302
    subject = db.session.scalar(select(Subject))
    customer = make_customer()
    order = {"number": "OS-1", "customer_id": customer.id, "branch_id": branch.id, "subject_id": subject.id}
    # integration sends on contract save: the order opens without a link
    assert post(staff, "/admin/ordens/nova", order).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Envelope)) == 0
    integration.send_method = "service_order"
    db.session.commit()
    assert post(staff, "/admin/ordens/nova", {**order, "number": "OS-2"}).status_code == 302
    envelope = db.session.scalar(select(Envelope))
    assert envelope.kind == "service_order" and envelope.service_order.number == "OS-2"
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 1
    response = post(staff, "/admin/ordens/nova", {**order, "number": "OS-2"})
    assert response.status_code == 422 and "Já existe" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ServiceOrder)) == 2
    assert "OS-2" in staff.get("/admin/ordens").get_data(as_text=True)


def test_operator_without_send_permission_cannot_trigger_a_send(app, db, make_user, branch, make_customer,
                                                                make_template):
    from tests.admin_client import log_in
    from tests.conftest import PASSWORD
    user = make_user("clerk@isp.test", role="viewer", extra_permissions=["manage_records"])
    client = app.test_client()
    log_in(client, user.email, PASSWORD)
    response = post(client, "/admin/contratos/novo", contract_data(make_customer(), branch, make_template()))
    assert response.status_code == 422 and "não tem permissão" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Envelope)) == 0
