"""The staff panel in real Chromium: log in, edit a template with the live preview, create a contract that
sends its link, and watch a batch's progress bar poll its way to 100 %."""
import secrets
import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from firma.envelopes import batches
from firma.extensions import db
from firma.models import (
    Batch, BatchItem, Branch, Contract, Customer, Delivery, DocumentTemplate, Envelope, Integration, TemplateVersion,
    User,
)
from firma.platform.outbox import commit
from tests.e2e.conftest import random_cpf

pytestmark = pytest.mark.e2e
PASSWORD = "senha-do-painel-123"


@pytest.fixture()
def panel(live_server):
    """An admin, an integration sending on contract save, a branch, a customer and a contract template."""
    n = secrets.token_hex(3)
    with live_server.app_context():
        admin = User(name="Ana Admin", email=f"admin-{n}@isp.test", role="admin",
                     password_hash=generate_password_hash(PASSWORD))
        integration = Integration(description=f"Painel {n}", require_document_photo=False, require_selfie=False)
        branch = Branch(name=f"Filial {n}", cnpj="11222333000181", city="Campinas", state="SP",
                        integration=integration)
        customer = Customer(name=f"Cliente Painel {n}", cpf_cnpj=random_cpf(), email=f"cliente-{n}@example.com",
                            phone="+5519987654321", city="Campinas", state="SP")
        template = DocumentTemplate(name=f"Modelo {n}", kind="contract")
        template.versions.append(TemplateVersion(number=1, body="<h1>Contrato</h1><p>{{ cliente.nome }}</p>"))
        db.session.add_all([admin, integration, branch, customer, template])
        commit()
        return {"n": n, "email": admin.email, "branch": branch.id, "customer": customer.id,
                "template": template.id, "admin": admin.id}


def log_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/admin/entrar")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Painel')")


def test_template_editor_contract_send_and_batch_progress(live_server, panel, desk):
    base = live_server.url
    log_in(desk, base, panel["email"])

    # the template editor: an unknown variable is flagged while typing, then the preview shows page images
    desk.goto(f"{base}/admin/modelos/{panel['template']}")
    desk.wait_for_selector("#preview img")
    desk.click("[data-editor-toggle]")  # the HTML source view (the visual editor is tested in test_panel_e2e)
    body = desk.locator("#body")
    body.fill("<h1>Contrato</h1><p>{{ cliente.nomee }}</p>")
    body.press("End")
    desk.wait_for_selector("#preview .unknown-variable:has-text('cliente.nomee')")
    body.fill("<h1>Contrato de internet</h1><p>Assinante: ")
    body.press("End")
    desk.click("button.var[data-insert='{{ cliente.nome }}']")
    assert body.input_value().endswith("{{ cliente.nome }}")
    desk.wait_for_selector("#preview img")
    assert desk.locator("#preview .unknown-variable").count() == 0
    desk.click("#template-form button[type=submit]")
    desk.wait_for_selector("text=Modelo salvo (versão 2)")

    # a new contract with digital signature under a "contract" integration sends its link on save
    desk.goto(f"{base}/admin/contratos/novo")
    desk.fill("#number", f"CT-E2E-{panel['n']}")
    desk.select_option("#customer_id", str(panel["customer"]))
    desk.select_option("#branch_id", str(panel["branch"]))
    desk.select_option("#template_id", str(panel["template"]))
    desk.fill("#plan", "Fibra 700")
    desk.fill("#price", "129,90")
    assert desk.is_checked("#use_digital_signature")
    desk.click("form.card button[type=submit]")
    desk.wait_for_selector("text=enviado para assinatura")
    with live_server.app_context():
        contract = db.session.scalar(select(Contract).where(Contract.number == f"CT-E2E-{panel['n']}"))
        envelope = db.session.scalar(select(Envelope).where(Envelope.contract_id == contract.id))
        assert envelope.template_version.number == 2
        assert db.session.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.envelope_id == envelope.id, Delivery.purpose == "link")) == 1

    # a batch queued for the worker: the page polls its progress partial until 100 %
    with live_server.app_context():
        template = db.session.get(DocumentTemplate, panel["template"])
        branch = db.session.get(Branch, panel["branch"])
        ids = []
        for i in range(8):
            customer = Customer(name=f"Lote {i} {panel['n']}", cpf_cnpj=random_cpf(), email=f"l{i}@example.com",
                                phone="+5519987654321")
            contract = Contract(number=f"LT-{panel['n']}-{i}", customer=customer, branch=branch,
                                template=template, plan="Fibra", price=Decimal("79.90"))
            db.session.add(contract)
            db.session.flush()
            ids.append(contract.id)
        batch = Batch(action="send", total=len(ids), created_by_id=panel["admin"])
        db.session.add(batch)
        db.session.flush()
        db.session.add_all([BatchItem(batch_id=batch.id, contract_id=i) for i in ids])
        batch_id = batch.id
        commit()
    polls = []
    desk.on("request", lambda r: polls.append(r.url) if r.url.endswith(f"/lotes/{batch_id}/progresso") else None)
    desk.goto(f"{base}/admin/lotes/{batch_id}")
    desk.wait_for_selector("text=0 de 8 processados")

    def work() -> None:
        with live_server.app_context():
            batches.run(batch_id)

    worker = threading.Thread(target=work)
    worker.start()
    desk.wait_for_selector("#batch-progress:has-text('100 %')", timeout=60_000)
    worker.join(60)
    assert desk.locator("#batch-progress progress").get_attribute("value") == "100"
    assert polls  # the page started at 0 of 8: only the polled partial can have brought it to 100 %
    assert desk.locator("#batch-progress[hx-trigger]").count() == 0
    desk.reload()
    assert desk.locator("#batch-items .badge-done").count() == 8
