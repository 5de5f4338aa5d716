"""The staff panel as a product: grouped menu, the dashboard's work queue, friendly delivery errors, the batch
list, the customer page, Brazilian formats in edit forms and the wording fixes."""
import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation

import pytest
from sqlalchemy import select

from firma.br.money import money_input, parse_money
from firma.delivery.failures import explain
from firma.envelopes import batches, create
from firma.envelopes.dashboard import QUEUE, summary
from firma.models import Batch, Contract, Delivery, utcnow
from firma.platform import outbox
from tests.admin_client import post

REFUSED = "ConnectionRefusedError: [Errno 111] Connection refused"


def _retrying(envelope, n: int) -> Delivery:
    signer = envelope.signers[0]
    return Delivery(dedupe_key=f"retry-{envelope.id}-{n}", channel="email", purpose="link", envelope_id=envelope.id,
                    signer_id=signer.id, target=signer.email, status="retry", attempts=n, last_error=REFUSED,
                    next_attempt_at=utcnow() + timedelta(minutes=5))


def test_menu_is_grouped_and_marks_the_current_page(staff):
    page = staff.get("/admin/clientes").get_data(as_text=True)
    groups = re.findall(r'<p class="nav-group"[^>]*>([^<]+)</p>', page)
    assert groups == ["Assinaturas", "Cadastros", "Configurações"]
    assert re.search(r'href="/admin/clientes" aria-current="page">Clientes<', page)
    for label in ("Painel", "Histórico", "Lotes", "Contatos", "Contratos", "Ordens de serviço", "Modelos e termos",
                  "Integrações", "Parâmetros gerais", "Filiais", "Usuários"):
        assert f">{label}</a>" in page, label


def test_retrying_emails_are_on_the_dashboard_with_a_friendly_reason(staff, db, make_contract):
    envelope = create.create_for_contract(make_contract())
    outbox.commit()
    db.session.add_all([_retrying(envelope, n) for n in range(1, 5)])
    db.session.commit()
    rows = summary().section("deliveries").rows
    assert len(rows) == 4 and {d.status for d in rows} == {"retry"}
    page = staff.get("/admin/").get_data(as_text=True)
    section = page[page.index('id="fila-deliveries"'):page.index('id="fila-finalisations"')]
    assert section.count("O servidor de e-mail recusou a conexão.") == 4
    assert "<summary>Detalhes técnicos</summary><code>ConnectionRefusedError" in section
    assert "Nenhum envio com problema" not in section
    # a message the worker will try again by itself shows when, not a button that would send a second copy
    assert section.count('<span class="muted">nova tentativa ') == 4 and "retry_delivery" not in section and "/reenviar" not in section


def test_work_queue_lists_expiring_links_and_running_batches(staff, db, make_contract):
    contract = make_contract()
    envelope = create.create_for_contract(contract)
    outbox.commit()
    soon, later = envelope.signers[0], envelope.signers[1] if len(envelope.signers) > 1 else None
    soon.token_hash, soon.token_expires_at = "a" * 64, utcnow() + timedelta(hours=47)
    if later is not None:
        later.token_hash, later.token_expires_at = "b" * 64, utcnow() + timedelta(hours=49)
    batch = Batch(action="send", total=3, status="running")
    db.session.add(batch)
    db.session.commit()
    queue = summary()
    assert [s.id for s in queue.section("expiring").rows] == [soon.id]
    assert [b.id for b in queue.section("batches").rows] == [batch.id]
    page = staff.get("/admin/").get_data(as_text=True)
    assert f"/admin/lotes/{batch.id}" in page and f"#signatario-{soon.id}" in page
    assert [s.key for s in QUEUE][:5] == ["deliveries", "review", "finalisations", "expiring", "batches"]


@pytest.mark.parametrize("error, channel, message, technical", [
    (REFUSED, "email", "O servidor de e-mail recusou a conexão.", True),
    ("Servidor de e-mail indisponível: TimeoutError: timed out", "email", "O servidor de e-mail não respondeu a tempo.", True),
    ("gaierror: [Errno -2] Name or service not known", "webhook", "O endereço do servidor do ERP (webhook) não foi encontrado (DNS).", True),
    ("KeyError: 'x'", "whatsapp", "O provedor de WhatsApp devolveu um erro técnico.", True),
    ("O WhatsApp recusou o envio (131026): número sem WhatsApp", "whatsapp", "O WhatsApp recusou o envio (131026): número sem WhatsApp", False),
])
def test_delivery_errors_read_as_sentences(error, channel, message, technical):
    failure = explain(error, channel)
    assert failure.message == message
    assert (failure.detail == error) if technical else failure.detail is None
    assert explain(None, "email") is None and explain("  ", "email") is None


def test_envelope_page_sections_and_confirmed_cancel(staff, make_contract):
    envelope = create.create_for_contract(make_contract())
    outbox.commit()
    page = staff.get(f"/admin/assinaturas/{envelope.id}").get_data(as_text=True)
    headings = re.findall(r'<h2 id="[^"]+">([^<]+)', page)
    assert [h.strip() for h in headings] == ["Resumo e ações", "Signatários", "Entregas", "Eventos", "Evidências"]
    cancel = page[page.index('<details class="confirm">'):]
    assert "<summary>Cancelar assinatura</summary>" in cancel and "Confirmar cancelamento" in cancel
    assert page.count('<details class="disclosure"><summary>Reenviar link</summary>') >= 1


def test_batch_list_shows_past_batches(staff, db, make_contract):
    ids = [make_contract().id for _ in range(2)]
    first = batches.start("check_status", ids[:1])
    second = batches.start("send", ids)
    outbox.commit()
    page = staff.get("/admin/lotes").get_data(as_text=True)
    assert page.index(f"/admin/lotes/{second.id}") < page.index(f"/admin/lotes/{first.id}")
    assert "Enviar para assinatura" in page and "Consultar situação" in page
    assert batches.recent(1, size=1).pages >= 2


def test_customer_page_lists_contracts_envelopes_and_signed_documents(staff, db, make_contract, make_customer):
    customer = make_customer()
    contract = make_contract(customer)
    other = make_contract()
    envelope = create.create_for_contract(contract)
    create.create_for_contract(other)
    outbox.commit()
    envelope.status, envelope.final_path, envelope.completed_at = "completed", "final/x.pdf", utcnow()
    db.session.commit()
    page = staff.get(f"/admin/clientes/{customer.id}").get_data(as_text=True)
    assert contract.number in page and other.number not in page
    assert f"/admin/assinaturas/{envelope.id}" in page
    assert f"/admin/assinaturas/{envelope.id}/final.pdf" in page


def test_edit_forms_show_brazilian_formats(staff, db, make_contract):
    contract = make_contract()
    contract.price = Decimal("129.90")
    db.session.commit()
    page = staff.get(f"/admin/contratos/{contract.id}").get_data(as_text=True)
    assert 'value="129,90"' in page and 'value="129.90"' not in page
    customer = staff.get(f"/admin/clientes/{contract.customer_id}").get_data(as_text=True)
    assert re.search(r'id="cpf_cnpj"[^>]*value="\d{3}\.\d{3}\.\d{3}-\d{2}"', customer)
    assert 'value="(19) 98765-4321"' in customer


def test_money_typed_in_brazilian_is_saved_and_redisplayed(staff, db, make_contract):
    contract = make_contract()
    form = {"number": contract.number, "customer_id": contract.customer_id, "branch_id": contract.branch_id,
            "template_id": contract.template_id, "plan": "Fibra", "price": "1.299,90", "due_day": 10,
            "loyalty_months": 12, "require_selfie": "default", "require_document_photo": "default",
            "witness_contact_id": ""}
    assert post(staff, f"/admin/contratos/{contract.id}", form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).price == Decimal("1299.90")
    assert 'value="1299,90"' in staff.get(f"/admin/contratos/{contract.id}").get_data(as_text=True)
    refused = post(staff, f"/admin/contratos/{contract.id}", {**form, "price": "12,9x", "due_day": 40})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'value="12,9x"' in body  # what was typed comes back as typed


def test_money_parsing_and_display():
    assert money_input(Decimal("129.9")) == "129,90" and money_input(None) == "" and money_input("12,3") == "12,3"
    assert parse_money("129,90") == Decimal("129.90") and parse_money("R$ 1.299,90") == Decimal("1299.90")
    assert parse_money("99.90") == Decimal("99.90") and parse_money("") == Decimal("0")
    for bad in ("nan", "Infinity", "12,,0", "abc"):
        with pytest.raises(InvalidOperation):
            parse_money(bad)


def test_customer_form_keeps_every_field_error(staff):
    response = post(staff, "/admin/clientes/novo", {"name": "", "cpf_cnpj": "123", "email": "sem-arroba",
                                                    "phone": "12", "state": "XX", "zip_code": "1"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="err-name"' in body
    for name in ("cpf_cnpj", "email", "phone", "state", "zip_code"):  # fields checked as one types
        assert re.search(rf'id="check-{name}"[^>]*>\s*\S', body), name


def test_service_order_saved_message_is_feminine(staff, db, make_customer, branch):
    from firma.records.service_orders import save_subject
    subject = save_subject(None, name="Instalação", digital_signature=False, template_id=None)
    db.session.commit()
    customer = make_customer()
    response = post(staff, "/admin/ordens/nova", {"number": "OS-9", "customer_id": customer.id, "branch_id": branch.id,
                                                  "subject_id": subject.id, "contract_id": "", "description": "x"},
                    follow_redirects=True)
    assert "Ordem de serviço salva." in response.get_data(as_text=True)
    assert db.session.scalar(select(Contract).where(Contract.number == "OS-9")) is None
