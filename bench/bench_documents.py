"""Render a realistic 10-page contract with render_contract, beside WeasyPrint rendering the same HTML directly."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import weasyprint

from bench.report import interleaved_medians_ms, row
from firma.documents.rendering import render_contract
from firma.models import Branch, Contract, Customer, DocumentTemplate, TemplateTermLink, TemplateVersion

NOW = datetime(2026, 11, 23, 17, 30, tzinfo=timezone.utc)
PUBLIC_CODE = "K7QF-2M9X-WD4P"

_CLAUSE = (
    "<p><strong>Cláusula {n}ª.</strong> A CONTRATADA prestará ao CONTRATANTE, {{{{ cliente.nome }}}}, inscrito no "
    "CPF/CNPJ sob o nº {{{{ cliente.cpf_cnpj }}}}, o Serviço de Comunicação Multimídia (SCM) no plano "
    "{{{{ contrato.plano }}}}, no endereço {{{{ contrato.endereco_instalacao }}}}, mediante o pagamento mensal de "
    "{{{{ contrato.valor }}}} ({{{{ contrato.valor_extenso }}}}), com vencimento todo dia "
    "{{{{ contrato.dia_vencimento }}}}. O serviço observa o Regulamento Geral de Direitos do Consumidor de "
    "Serviços de Telecomunicações (RGC) e as normas da Anatel, e a velocidade contratada é garantida nos "
    "termos da regulamentação vigente, com medição mensal disponível ao CONTRATANTE.</p>"
    "<p>Parágrafo único. O atraso no pagamento sujeita o CONTRATANTE a multa de 2% (dois por cento) e juros "
    "de 1% (um por cento) ao mês, e, após notificação com antecedência mínima de 15 (quinze) dias, à redução "
    "da velocidade e à suspensão parcial ou total do serviço, na forma do RGC.</p>"
)


def _contract_body(pages: int = 8, clauses_per_page: int = 3) -> str:
    head = (
        "<h1>Contrato de Prestação de Serviço de Comunicação Multimídia nº {{ contrato.numero }}</h1>"
        "<table><tr><th>Contratante</th><td>{{ cliente.nome }} ({{ cliente.tipo_pessoa }})</td></tr>"
        "<tr><th>CPF/CNPJ</th><td>{{ cliente.cpf_cnpj }}</td></tr>"
        "<tr><th>Contato</th><td>{{ cliente.email }} · {{ cliente.telefone }}</td></tr>"
        "<tr><th>Contratada</th><td>{{ provedor.nome }} · {{ filial.nome }}, CNPJ {{ filial.cnpj }}</td></tr>"
        "</table>"
    )
    sections = []
    number = 0
    for page in range(pages):
        count = clauses_per_page - 1 if page == 0 else clauses_per_page  # page 1 also holds the parties table
        clauses = "".join(_CLAUSE.format(n=number + i + 1) for i in range(count))
        number += count
        style = ' style="break-before: page"' if page else ""
        sections.append(f"<section{style}><h2>Capítulo {page + 1}</h2>{clauses}</section>")
    tail = "<p>{{ filial.cidade }}/{{ filial.uf }}, {{ data.extenso }}.</p>"
    return head + "".join(sections) + tail


def _template(kind: str, name: str, body: str) -> DocumentTemplate:
    template = DocumentTemplate(kind=kind, name=name)
    template.versions = [TemplateVersion(number=1, body=body)]
    return template


def ten_page_contract() -> Contract:
    """An unsaved contract whose render is 10 A4 pages: 8 of contract and 2 automatically inserted terms."""
    customer = Customer(
        name="Maria Aparecida dos Santos", cpf_cnpj="12345678909", email="maria@example.com",
        phone="+5511912345678", rg="12.345.678-9", street="Rua das Palmeiras", number="250", complement="casa 2",
        district="Jardim América", city="Ribeirão Preto", state="SP", zip_code="14020000",
    )
    branch = Branch(name="Conecta Fibra - Matriz", cnpj="11222333000181", address="Av. Brasil, 1000",
                    city="Ribeirão Preto", state="SP", phone="+551633334444")
    term_body = "".join(_CLAUSE.format(n=i + 1) for i in range(3))
    template = _template("contract", "Contrato SCM", _contract_body())
    template.term_links = [
        TemplateTermLink(term_template=_template("term", "Termo de comodato de equipamentos", term_body),
                         insert_automatically=True, position=0),
        TemplateTermLink(term_template=_template("term", "Termo de fidelidade", term_body),
                         insert_automatically=True, position=1),
        TemplateTermLink(term_template=_template("term", "Termo de mudança de endereço", term_body),
                         insert_automatically=False, position=2),
    ]
    contract = Contract(number="2026-004211", plan="Fibra 600 Mega", price=Decimal("109.90"), due_day=10,
                        loyalty_months=12, installation_address="")
    contract.customer, contract.branch, contract.template = customer, branch, template
    return contract


def ten_page_contract_html() -> str:
    """The final HTML (layout and footer included) of the 10-page contract, for baselines."""
    return render_contract(ten_page_contract(), public_code=PUBLIC_CODE, now=NOW).html


def main() -> None:
    contract = ten_page_contract()
    rendered = render_contract(contract, public_code=PUBLIC_CODE, now=NOW)
    assert rendered.pages == 10, rendered.pages
    html = rendered.html
    ours, baseline = interleaved_medians_ms(
        lambda: render_contract(contract, public_code=PUBLIC_CODE, now=NOW),
        lambda: weasyprint.HTML(string=html).write_pdf(),
    )
    row("Render a 10-page contract (render_contract)", ours, baseline, "ms", "≤ 1.1x")
    row("  its PDF size", len(rendered.pdf) / 1024, None, "KB")


if __name__ == "__main__":
    main()
