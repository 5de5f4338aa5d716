"""Message templates go through the documents' sandbox: the same catalogue, checker and output limits."""
import pytest

from firma.documents import sandbox
from firma.documents.contexts import sample_context
from firma.documents.sandbox import MAX_MESSAGE_CHARS, TemplateError
from firma.documents.templates import save_template
from firma.org.integrations import save_integration
from firma.platform.errors import Refusal
from tests.admin_client import post

LOOP = "{% for a in cliente.endereco %}"
REFUSED = [
    ("{{ 7*7 }}", "operação aritmética"),
    ("{{ 9**9**9 }}", "operação aritmética"),
    ("{{ ''.__class__ }}", "Acesso não permitido: __class__"),
    ("{{ signatario.nome.__class__.__mro__ }}", "Acesso não permitido"),
    ("{{ link.upper() }}", "chamada de função"),
    ("{{ link.upper }}", "Acesso não permitido: .upper"),
    ("Olá {{ protocolo }}", "Variável desconhecida: {{ protocolo }}"),
    ("Olá {{ cliente.nme }}", "Variável desconhecida: {{ cliente.nme }} (você quis dizer cliente.nome?)"),
    ("{{ contrato.plano }}", "As variáveis de contrato não existem em mensagem"),
    ("{% for a in link %}{% for b in link %}{% for c in link %}.{% endfor %}{% endfor %}{% endfor %}",
     "No máximo 2 laços {% for %}"),
    (f"{LOOP}{LOOP}{{{{ cliente.endereco }}}}{{% endfor %}}{{% endfor %}}", "passaria de 10.000 caracteres"),
    ("{{ link" + "|replace('a', 'aaaaaaaaaa')" * 8 + " }}", "passaria de 1.000.000 caracteres"),
]


@pytest.mark.parametrize(("body", "expected"), REFUSED)
def test_unsafe_message_is_refused_by_the_service_naming_the_field(db, integration, body, expected):
    for field in ("email_subject_client", "email_body_witness", "whatsapp_text_client"):
        with pytest.raises(Refusal) as info:
            save_integration(integration, {field: body})
        assert expected in info.value.message and info.value.field == field


@pytest.mark.parametrize(("body", "expected"), REFUSED)
def test_unsafe_message_is_refused_by_the_integration_form(staff, db, integration, body, expected):
    url = f"/admin/integracoes/{integration.id}?aba=notificacoes"
    response = post(staff, url, {"whatsapp_provider": "console", "email_body_client": body})
    page = response.get_data(as_text=True).replace("&#39;", "'").replace("&#34;", '"')
    assert response.status_code == 422 and expected.replace("{", "").replace("}", "") in \
        page.replace("{", "").replace("}", "")
    db.session.refresh(integration)
    assert integration.email_body_client in (None, "")


def test_every_message_variable_passes_and_fills():
    body = ("{{ signatario.nome }} ({{ signatario.papel }}): {{ documento.titulo }} {{ documento.codigo }} "
            "{{ cliente.cpf_cnpj }} {{ filial.nome }} {{ provedor.nome }} {{ link }} {{ validade }} {{ verificacao }}")
    assert {"link", "validade", "signatario.nome", "cliente.cpf_cnpj"} <= sandbox.check(body, "message")
    text = sandbox.render(body, sample_context("message"), "message")
    assert "Maria da Silva (Cliente)" in text and "https://assinar.example/s/token" in text


def test_messages_are_text_and_documents_are_escaped():
    context = sample_context("message")
    context["signatario"]["nome"] = "<b>Ana</b>"
    assert sandbox.render("{{ signatario.nome }}", context, "message") == "<b>Ana</b>"
    doc = sample_context("contract")
    doc["cliente"]["nome"] = "<b>Ana</b>"
    assert sandbox.render_body("{{ cliente.nome }}", doc) == "&lt;b&gt;Ana&lt;/b&gt;"


def test_output_is_bounded_when_real_values_are_longer_than_the_sample():
    body = "{% for a in signatario.nome %}{{ documento.titulo }}{% endfor %}"
    sandbox.check(body, "message")
    context = sample_context("message")
    context["signatario"]["nome"], context["documento"]["titulo"] = "x" * 200, "y" * 100
    with pytest.raises(TemplateError, match="A mensagem preenchida passaria de"):
        sandbox.render(body, context, "message")
    context["documento"]["titulo"] = "y" * (MAX_MESSAGE_CHARS // 200)
    assert len(sandbox.render(body, context, "message")) == MAX_MESSAGE_CHARS


def test_a_document_template_that_fills_too_much_is_refused_at_save(db):
    loop = "{% for a in cliente.endereco %}"
    body = f"<p>{loop}{loop}" + "{{ contrato.endereco_instalacao }}" * 5 + "{% endfor %}{% endfor %}</p>"
    with pytest.raises(TemplateError, match="O documento preenchido passaria de 1.000.000 caracteres"):
        save_template(None, name="Grande", kind="contract", body=body)
