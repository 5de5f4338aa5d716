"""Template sandbox: the catalogue renders, anything outside it is refused at save time, values stay text."""
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from firma.br.money import money
from firma.br.words import date_words, money_words, number_words
from firma.documents.catalogue import (
    CATALOGUE, KIND_NAMESPACES, KIND_PLAIN_VARIABLES, all_variables, catalogue_markdown,
)
from firma.documents.contexts import contract_context, flatten, sample_context, service_order_context
from firma.documents.sandbox import TemplateError, render, render_body, validate_template
from firma.extensions import db
from firma.models import (
    Branch, Contract, Customer, DocumentTemplate, Organization, ServiceOrder, Settings, Subject,
)

DOC = Path(__file__).resolve().parent.parent / "docs" / "template-variables.md"
# 01:30 UTC on the 24th is still the 23rd in São Paulo (UTC-3).
NOW = datetime(2026, 11, 24, 1, 30, tzinfo=timezone.utc)


def make_contract() -> Contract:
    customer = Customer(
        name="Ana Souza", cpf_cnpj="12345678909", email="ana@example.com", phone="+5511912345678", rg="1234567",
        birth_date=date(1990, 5, 4), street="Rua das Flores", number="12", complement="apto 3", district="Centro",
        city="Campinas", state="SP", zip_code="13010000",
    )
    branch = Branch(name="Net Sul", cnpj="11222333000181", address="Av. Brasil, 10", city="Campinas", state="SP",
                    phone="+551933334444")
    contract = Contract(number="C-77", plan="Fibra 300", price=Decimal("99.90"), due_day=15, loyalty_months=12,
                        installation_address="")
    contract.customer, contract.branch = customer, branch
    return contract


def make_order() -> ServiceOrder:
    contract = make_contract()
    order = ServiceOrder(number="OS-9", description="Troca do roteador")
    order.customer, order.branch, order.contract = contract.customer, contract.branch, contract
    order.subject = Subject(name="Manutenção", digital_signature=True)
    return order


def every_variable(kind: str) -> str:
    dotted = [f"{ns}.{field}" for ns in sorted(KIND_NAMESPACES[kind]) for field in CATALOGUE[ns]]
    return "\n".join(f"[{{{{ {name} }}}}]" for name in [*dotted, *sorted(KIND_PLAIN_VARIABLES.get(kind, ()))])


def test_every_catalogue_variable_renders_from_a_service_order():
    context = service_order_context(make_order(), NOW)
    body = every_variable("service_order")
    assert validate_template(body, "service_order") == set(all_variables(KIND_NAMESPACES["service_order"]))
    out = render_body(body, context)
    for key, value in flatten(context).items():
        assert f"[{value}]" in out, key


def test_contract_context_formats_values_for_brazilian_documents():
    flat = flatten(contract_context(make_contract(), NOW))
    assert flat["cliente.cpf_cnpj"] == "123.456.789-09"
    assert flat["cliente.tipo_pessoa"] == "Pessoa física"
    assert flat["cliente.telefone"] == "(11) 91234-5678"
    assert flat["cliente.data_nascimento"] == "04/05/1990"
    assert flat["cliente.cep"] == "13010-000"
    assert flat["cliente.endereco"] == "Rua das Flores, 12, apto 3 - Centro, Campinas/SP, CEP 13010-000"
    assert flat["contrato.valor"] == "R$ 99,90"
    assert flat["contrato.valor_extenso"] == "noventa e nove reais e noventa centavos"
    assert flat["contrato.endereco_instalacao"] == flat["cliente.endereco"]
    assert flat["filial.cnpj"] == "11.222.333/0001-81"
    assert flat["provedor.nome"] == "Net Sul"  # no session: the branch stands in for Settings
    assert (flat["data.hoje"], flat["data.extenso"], flat["data.hora"]) == ("23/11/2026", "23 de novembro de 2026",
                                                                            "22:30")


def test_provider_name_comes_from_settings_when_the_record_is_in_a_session():
    engine = create_engine("sqlite://")
    db.metadata.create_all(engine)
    with Session(engine) as session:
        contract = make_contract()
        contract.template = DocumentTemplate(kind="contract", name="Contrato")
        organization = Organization(name="Conecta Telecom Ltda")
        session.add(organization)
        session.flush()
        session.add(Settings(organization_id=organization.id, company_name="Conecta Telecom Ltda"))
        for row in (contract, contract.customer, contract.branch, contract.template):
            row.organization_id = organization.id
        session.add(contract)
        assert contract_context(contract, NOW)["provedor"]["nome"] == "Conecta Telecom Ltda"


def test_a_company_customer_is_a_legal_person():
    contract = make_contract()
    contract.customer.cpf_cnpj = "11222333000181"
    fields = contract_context(contract, NOW)["cliente"]
    assert (fields["tipo_pessoa"], fields["cpf_cnpj"]) == ("Pessoa jurídica", "11.222.333/0001-81")


@pytest.mark.parametrize("kind", sorted(KIND_NAMESPACES))
def test_sample_context_fills_every_variable_of_its_kind(kind):
    out = render(every_variable(kind), sample_context(kind), kind)
    assert "[]" not in out


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("{{ ''.__class__ }}", "Acesso não permitido: __class__"),
        ("{{ cliente.__dict__ }}", "Acesso não permitido: cliente.__dict__"),
        ("{{ cliente['__class__'] }}", "Acesso não permitido: cliente.__class__"),
        ("{{ cycler.__init__.__globals__ }}", "Acesso não permitido: __globals__"),
        ("{{ config }}", "Variável desconhecida: {{ config }}"),
        ("{{ request }}", "Variável desconhecida: {{ request }}"),
        ("{{ range(10) }}", "chamada de função"),
        ("{{ cliente.nome.upper() }}", "chamada de função"),
        ("{{ 'x' * 1000000000 }}", "operação aritmética"),
        ("{% include 'x' %}", "{% include %}"),
        ("{% import 'x' as y %}", "{% import %}"),
        ("{% extends 'base.html' %}", "{% extends %}"),
        ("{% set x = 1 %}", "{% set %}"),
        ("{% macro m() %}{% endmacro %}", "{% macro %}"),
        ("{{ cliente.nome|safe }}", "Filtro desconhecido: |safe"),
        ("{{ cliente.nome|attr('__class__') }}", "Filtro desconhecido: |attr"),
        ("{{ cliente.nome is defined }}", "teste com «is»"),
        ("{{ cliente }}", "Use um campo de cliente"),
        ("{{ cliente[cliente.nome] }}", "Acesso com índice não permitido"),
        ("{% for x in cliente.nome %}{{ x.__class__ }}{% endfor %}", "Acesso não permitido: x.__class__"),
    ],
)
def test_unsafe_or_unknown_constructs_are_refused(body, expected):
    with pytest.raises(TemplateError) as info:
        validate_template(body)
    assert expected in str(info.value)


def test_a_mistyped_variable_is_named_with_a_suggestion():
    with pytest.raises(TemplateError) as info:
        validate_template("<p>Olá</p>\n<p>{{ cliente.nomee }}</p>")
    assert str(info.value) == "Variável desconhecida: {{ cliente.nomee }} (você quis dizer cliente.nome?) (linha 2)"
    assert info.value.variable == "cliente.nomee"
    assert info.value.line == 2


def test_a_mistyped_namespace_and_filter_get_suggestions():
    with pytest.raises(TemplateError, match=r"\{\{ contrat \}\} \(você quis dizer contrato\?\)"):
        validate_template("{{ contrat.numero }}")
    with pytest.raises(TemplateError, match=r"\|uper \(você quis dizer upper\?\)"):
        validate_template("{{ cliente.nome|uper }}")


def test_a_bare_field_name_suggests_its_namespace():
    with pytest.raises(TemplateError, match=r"você quis dizer cliente.cpf_cnpj\?"):
        validate_template("{{ cpf_cnpj }}")


def test_syntax_errors_give_the_line():
    with pytest.raises(TemplateError) as info:
        validate_template("<p>um</p>\n<p>dois</p>\n<p>{{ cliente.nome }</p>")
    assert str(info.value).startswith("Erro de sintaxe no modelo")
    assert info.value.line == 3 and "(linha 3)" in str(info.value)


def test_service_order_variables_only_in_service_order_templates():
    assert validate_template("{{ os.numero }} {{ os.assunto }}", "service_order") == {"os.numero", "os.assunto"}
    for kind in ("contract", "term"):
        with pytest.raises(TemplateError, match="ordem de serviço") as info:
            validate_template("{{ os.numero }}", kind)
        assert info.value.variable == "os"


def test_allowed_constructs_pass_and_report_their_variables():
    body = (
        "{% if cliente.complemento %}{{ cliente.complemento|upper }}{% else %}-{% endif %}"
        "{% for letra in cliente.nome %}{{ loop.index }}{{ letra }}{% endfor %}"
        "{{ cliente['rg']|default('sem RG', true) }} {{ contrato.plano|replace('Fibra', 'FTTH')|trim }}"
        "{{ filial.nome ~ ' / ' ~ filial.uf }}"
    )
    assert validate_template(body) == {
        "cliente.complemento", "cliente.nome", "cliente.rg", "contrato.plano", "filial.nome", "filial.uf",
    }


def test_customer_markup_stays_text():
    context = sample_context("contract")
    context["cliente"]["nome"] = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    out = render_body("<p>{{ cliente.nome }}</p><p>{{ cliente.nome|replace('a', '<b>') }}</p>", context)
    assert "<script>" not in out and "<img" not in out and "<b>" not in out
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in out
    assert out.startswith("<p>")  # the template's own markup is kept


def test_render_refuses_a_template_that_was_never_validated():
    with pytest.raises(TemplateError, match="Acesso não permitido"):
        render_body("{{ cliente.__class__ }}", sample_context("contract"))
    with pytest.raises(TemplateError, match="Variável desconhecida"):
        render_body("{{ cliente.items }}", sample_context("contract"))


def test_render_reports_missing_context_values():
    context = sample_context("contract")
    del context["filial"]
    with pytest.raises(TemplateError, match="Não foi possível preencher o modelo"):
        render_body("{{ filial.nome }}", context)


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (0, "zero"), (1, "um"), (16, "dezesseis"), (21, "vinte e um"), (100, "cem"), (101, "cento e um"),
        (999, "novecentos e noventa e nove"), (1000, "mil"), (1001, "mil e um"), (1100, "mil e cem"),
        (1234, "mil duzentos e trinta e quatro"), (2000, "dois mil"), (10500, "dez mil e quinhentos"),
        (1_000_000, "um milhão"), (2_500_000, "dois milhões e quinhentos mil"),
        (1_234_567, "um milhão duzentos e trinta e quatro mil quinhentos e sessenta e sete"),
    ],
)
def test_number_words(number, words):
    assert number_words(number) == words


@pytest.mark.parametrize(
    ("value", "text", "words"),
    [
        ("99.90", "R$ 99,90", "noventa e nove reais e noventa centavos"),
        ("1.00", "R$ 1,00", "um real"),
        ("0.01", "R$ 0,01", "um centavo"),
        ("0", "R$ 0,00", "zero reais"),
        ("1234.56", "R$ 1.234,56", "mil duzentos e trinta e quatro reais e cinquenta e seis centavos"),
        ("1000000", "R$ 1.000.000,00", "um milhão de reais"),
    ],
)
def test_money(value, text, words):
    assert (money(Decimal(value)), money_words(Decimal(value))) == (text, words)


def test_long_dates():
    assert date_words(date(2026, 11, 23)) == "23 de novembro de 2026"
    assert date_words(date(2027, 3, 1)) == "1º de março de 2027"


def test_variable_doc_is_generated_from_the_catalogue():
    assert DOC.read_text(encoding="utf-8") == catalogue_markdown(), (
        "regenerate: python -c \"from firma.templating import catalogue_markdown; "
        "open('docs/template-variables.md', 'w').write(catalogue_markdown())\""
    )
    for ns, fields in CATALOGUE.items():
        for field in fields:
            assert f"{{{{ {ns}.{field} }}}}" in catalogue_markdown()
