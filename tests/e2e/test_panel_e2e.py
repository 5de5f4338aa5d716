"""The panel's new screens in real Chromium at 1366 px: the rich-text template editor, sending an uploaded PDF
with a validator, and "gerar novo link" with its copy button; no CSP violation, no console error, axe clean."""
import re

import pytest
import weasyprint
from sqlalchemy import select

from firma.extensions import db
from firma.models import DocumentTemplate, Envelope, Event
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, random_cpf
from tests.e2e import test_admin_e2e
from tests.e2e.test_admin_e2e import log_in
from tests.e2e.test_phone_audit_e2e import Audit

pytestmark = pytest.mark.e2e
panel = test_admin_e2e.panel  # the same staff, branch and template fixture


@pytest.fixture()
def wide(playwright_driver):
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="pt-BR")
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page, Audit(page)
    browser.close()


# Every word the toolbar and link tooltip show: text, CSS `content:` of ::before/::after, title and aria-label.
SHOWN_WORDS = """() => {
  const box = document.querySelector('[data-rich-editor]'), all = [];
  const content = (el, pseudo) => {
    const c = getComputedStyle(el, pseudo).content;
    return c && c !== 'none' && c !== 'normal' && c !== '""' && !c.startsWith('counter') ? c.replace(/^"|"$/g, '') : null;
  };
  for (const el of box.querySelectorAll('.ql-toolbar, .ql-toolbar *, .ql-tooltip, .ql-tooltip *')) {
    for (const pseudo of ['::before', '::after']) { const c = content(el, pseudo); if (c) all.push(c); }
    for (const node of el.childNodes) if (node.nodeType === 3 && node.textContent.trim()) all.push(node.textContent.trim());
    for (const name of ['title', 'aria-label', 'placeholder', 'data-link']) if (el.getAttribute(name)) all.push(el.getAttribute(name));
  }
  const label = document.querySelector('.ql-header .ql-picker-label');
  const items = [...document.querySelectorAll('.ql-header .ql-picker-item')].map(el => content(el, '::before'));
  return {all, label: content(label, '::before'), items};
}"""
ENGLISH = re.compile(r"\b(Normal|Heading|Visit|Enter|Edit|Save|Remove|Embed|Small|Large|Huge|Sans|quilljs)\b", re.I)


def test_rich_text_editor_palette_source_view_and_history(live_server, panel, wide):
    page, audit = wide
    log_in(page, live_server.url, panel["email"])
    page.goto(f"{live_server.url}/admin/modelos/{panel['template']}")
    page.wait_for_selector(".ql-editor")
    assert page.locator("#body").is_hidden()
    audit.check("panel-01-editor-visual")
    words = page.evaluate(SHOWN_WORDS)
    assert words["label"] == "Parágrafo"
    assert words["items"] == ["Título 1", "Título 2", "Título 3", "Parágrafo"]
    assert not [w for w in words["all"] if ENGLISH.search(w)], words["all"]
    page.click(".ql-header .ql-picker-label")
    page.wait_for_selector(".ql-header .ql-picker-options", state="visible")
    audit.check("panel-01b-header-picker")
    page.click(".ql-header .ql-picker-label")  # closes it
    page.click(".ql-editor p")
    page.keyboard.press("End")
    page.keyboard.type(" — plano ")
    page.click("button.var[data-insert='{{ contrato.plano }}']")
    assert "— plano {{ contrato.plano }}" in page.locator("#body").input_value()
    page.click("[data-editor-toggle]")
    assert page.locator("#body").is_visible() and page.locator("[data-rich-editor]").is_hidden()
    audit.check("panel-02-editor-source")
    page.click("#template-form button[type=submit]")
    page.wait_for_selector("text=Modelo salvo (versão 2)")
    with live_server.app_context():
        body = db.session.get(DocumentTemplate, panel["template"]).current.body
    assert "{{ cliente.nome }} — plano {{ contrato.plano }}" in body
    page.click("text=Versões")
    page.click("li:has-text('v2') >> text=ver alterações")
    page.wait_for_selector(".diff li.added")
    audit.check("panel-03-template-diff")


def test_upload_pdf_with_validator_then_hand_over_a_new_link(live_server, panel, wide, tmp_path):
    page, audit = wide
    log_in(page, live_server.url, panel["email"])
    pdf = tmp_path / "contrato-fisico.pdf"
    pdf.write_bytes(weasyprint.HTML(string="<h1>Contrato assinado em papel</h1>").write_pdf())
    page.goto(f"{live_server.url}/admin/historico")
    page.click("text=Enviar PDF para assinatura")
    page.wait_for_selector("#pdf")
    audit.check("panel-04-upload-form")
    page.set_input_files("#pdf", str(pdf))
    page.fill("#title", f"Aditivo {panel['n']}")
    page.select_option("#branch_id", str(panel["branch"]))
    page.fill("#signers-0-name", "Cláudia Cliente")
    page.fill("#signers-0-cpf", random_cpf())
    page.fill("#signers-0-email", "claudia@example.com")
    page.check("#signers-0-require_selfie")
    page.select_option("#signers-1-role", "validator")
    page.fill("#signers-1-name", "Valter Validador")
    page.fill("#signers-1-cpf", random_cpf())
    page.fill("#signers-1-email", "valter@example.com")
    page.click("button:has-text('Enviar para assinatura')")
    page.wait_for_selector("text=Documento enviado para assinatura")
    audit.check("panel-05-envelope")
    with live_server.app_context():
        envelope = db.session.scalar(select(Envelope).where(Envelope.title == f"Aditivo {panel['n']}"))
        assert [(s.role, s.require_selfie) for s in envelope.signers] == [("client", True), ("validator", False)]
        envelope_id = envelope.id
    page.locator("article.signer-card", has_text="Cláudia Cliente").locator("text=Gerar novo link").click()
    url = page.wait_for_selector("#handed-url").input_value()
    page.click("button[data-copy]")
    page.wait_for_selector("text=Link copiado.")
    assert page.evaluate("navigator.clipboard.readText()") == url
    audit.check("panel-06-new-link")
    with live_server.app_context():
        assert db.session.scalar(select(Event).where(Event.envelope_id == envelope_id,
                                                     Event.type == "signer.link_handed"))
    page.goto(url)  # the handed-over link opens the signing page
    page.wait_for_selector('[data-step="welcome"]')
