"""Document PDFs: footer on every page, inserted terms, no outside fetches, uploaded-PDF checks and stamping."""
import hashlib
from datetime import datetime, timezone
from decimal import Decimal
from io import BytesIO

import pytest
import weasyprint
from pypdf import PdfReader, PdfWriter

from firma.documents.rendering import (
    MAX_UPLOADED_PAGES, load_uploaded_pdf, render_contract, render_pdf, render_service_order, render_term, stamp_footer,
)
from firma.documents.sandbox import TemplateError
from firma.models import (
    Branch, Contract, Customer, DocumentTemplate, ServiceOrder, Subject, TemplateTermLink, TemplateVersion, Term,
)
from firma.platform.errors import Refusal
from tests.http_stub import HttpStub

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)
CODE = "K7QF-2M9X"
CNPJ = "11.222.333/0001-81"
MB = 1024 * 1024


def template(kind: str, name: str, body: str, version_id: int | None = None) -> DocumentTemplate:
    doc = DocumentTemplate(kind=kind, name=name)
    doc.versions = [TemplateVersion(number=1, body="<p>versão antiga</p>"), TemplateVersion(id=version_id, number=2,
                                                                                             body=body)]
    return doc


def make_contract(body: str = "<p>Contrato de {{ cliente.nome }}</p>", links=()) -> Contract:
    customer = Customer(name="Ana <script>alert(1)</script> Souza", cpf_cnpj="12345678909", email="ana@example.com",
                        city="Campinas", state="SP")
    contract = Contract(number="C-77", plan="Fibra 300", price=Decimal("99.90"), due_day=15, loyalty_months=12)
    contract.customer = customer
    contract.branch = Branch(name="Net Sul Filial Centro", cnpj="11222333000181", city="Campinas", state="SP")
    contract.template = template("contract", "Contrato SCM", body, version_id=41)
    contract.template.term_links = list(links)
    return contract


def link(name: str, body: str, auto: bool, position: int) -> TemplateTermLink:
    return TemplateTermLink(term_template=template("term", name, body), insert_automatically=auto, position=position)


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(BytesIO(pdf)).pages]


def pypdf_pdf(sizes: list[tuple[float, float]], rotate: dict[int, int] | None = None) -> bytes:
    writer = PdfWriter()
    for index, (width, height) in enumerate(sizes):
        page = writer.add_blank_page(width, height)
        if rotate and index in rotate:
            page.rotate(rotate[index])
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_ten_page_contract_has_the_footer_on_every_page():
    chapters = "".join(
        f'<h2 style="break-before: page">Capítulo {n}</h2><p>{{{{ cliente.nome }}}} paga {{{{ contrato.valor }}}}</p>'
        for n in range(2, 9)
    )
    contract = make_contract(
        "<h1>Contrato</h1><p>{{ contrato.valor_extenso }}</p>" + chapters,
        links=[link("Termo de comodato", "<p>{{ cliente.cpf_cnpj }}</p>", True, 0),
               link("Termo de fidelidade", "<p>{{ contrato.fidelidade_meses }} meses</p>", True, 1)],
    )
    doc = render_contract(contract, public_code=CODE, now=NOW)
    texts = page_texts(doc.pdf)
    assert doc.pages == len(texts) == 10
    for number, text in enumerate(texts, start=1):
        assert f"página {number} de 10" in text
        assert CODE in text
        assert CNPJ in text
        assert "Net Sul Filial Centro" in text
    assert doc.sha256 == hashlib.sha256(doc.pdf).hexdigest()
    assert doc.template_version_id == 41
    assert doc.variables == {
        "cliente.nome": "Ana <script>alert(1)</script> Souza", "cliente.cpf_cnpj": "123.456.789-09",
        "contrato.valor": "R$ 99,90", "contrato.valor_extenso": "noventa e nove reais e noventa centavos",
        "contrato.fidelidade_meses": "12",
    }


def test_auto_inserted_terms_start_their_own_titled_page_and_others_stay_out():
    contract = make_contract(links=[
        link("Termo de comodato", "<p>Equipamento emprestado a {{ cliente.cpf_cnpj }}</p>", True, 0),
        link("Termo de mudança", "<p>Texto da mudança</p>", False, 1),
        link("Termo de fidelidade", "<p>Fidelidade de {{ contrato.fidelidade_meses }} meses</p>", True, 2),
    ])
    texts = page_texts(render_contract(contract, public_code=CODE, now=NOW).pdf)
    assert len(texts) == 3
    assert "Contrato de Ana" in texts[0] and "versão antiga" not in texts[0]
    assert texts[1].startswith("Termo de comodato\nEquipamento emprestado a 123.456.789-09")
    assert texts[2].startswith("Termo de fidelidade\nFidelidade de 12 meses")
    assert not any("mudança" in text for text in texts)


def test_customer_markup_is_printed_as_text():
    doc = render_contract(make_contract(), public_code=CODE, now=NOW)
    assert "Ana &lt;script&gt;alert(1)&lt;/script&gt; Souza" in doc.html
    assert "<script>" not in doc.html
    assert "Contrato de Ana <script>alert(1)</script> Souza" in page_texts(doc.pdf)[0]


def test_a_term_renders_alone_with_its_contract_data():
    contract = make_contract()
    term = Term(signed=False)
    term.contract = contract
    term.template = template("term", "Termo aditivo", "<p>Plano {{ contrato.plano }} de {{ cliente.cpf_cnpj }}</p>")
    doc = render_term(term, public_code=CODE, now=NOW)
    [text] = page_texts(doc.pdf)
    assert text.startswith("Termo aditivo\nPlano Fibra 300 de 123.456.789-09")
    assert "página 1 de 1" in text and CODE in text
    assert doc.variables == {"contrato.plano": "Fibra 300", "cliente.cpf_cnpj": "123.456.789-09"}


def test_a_term_with_its_own_title_prints_it_once():
    body = "<h1>Termo de comodato de equipamentos</h1><p>Roteador para {{ cliente.cpf_cnpj }}</p>"
    contract = make_contract(links=[link("Termo de comodato", body, True, 0)])
    texts = page_texts(render_contract(contract, public_code=CODE, now=NOW).pdf)
    assert texts[1].startswith("Termo de comodato de equipamentos\nRoteador") and texts[1].count("Termo de comodato") == 1
    term = Term(signed=False)
    term.contract = contract
    term.template = template("term", "Termo de comodato", body)
    [text] = page_texts(render_term(term, public_code=CODE, now=NOW).pdf)
    assert text.startswith("Termo de comodato de equipamentos\nRoteador") and text.count("Termo de comodato") == 1


def test_a_service_order_renders_from_its_subject_template():
    contract = make_contract()
    order = ServiceOrder(number="OS-9", description="Troca do roteador")
    order.customer, order.branch = contract.customer, contract.branch
    order.subject = Subject(name="Manutenção", digital_signature=True)
    body = "<p>{{ os.numero }}: {{ os.assunto }} - {{ os.descricao }}</p>"
    order.subject.template = template("service_order", "OS", body)
    doc = render_service_order(order, public_code=CODE, now=NOW)
    [text] = page_texts(doc.pdf)
    assert "OS-9: Manutenção - Troca do roteador" in text
    assert CNPJ in text and "página 1 de 1" in text


def test_a_template_without_a_saved_body_is_an_error():
    contract = make_contract()
    contract.template.versions = []
    with pytest.raises(TemplateError, match="ainda não tem conteúdo salvo"):
        render_contract(contract, public_code=CODE, now=NOW)


def test_footer_values_cannot_inject_css():
    pdf = render_pdf("<p>corpo</p>", title="t", branch_name='Net "Sul"; } @page { @bottom-left { content: "X" } }',
                     branch_cnpj="11222333000181", public_code='A"B\\C')
    [text] = page_texts(pdf)
    assert 'Net "Sul"; } @page { @bottom-left { content: "X" } }' in text
    assert 'Código A"B\\C · página 1 de 1' in text


def test_file_urls_are_not_fetched():
    html = '<p>corpo</p><link rel="attachment" href="file:///etc/passwd"><img src="file:///etc/passwd">'
    # Control: WeasyPrint's own fetcher would embed the file in the PDF.
    leaked = PdfReader(BytesIO(weasyprint.HTML(string=html).write_pdf())).attachments
    assert b"root:" in leaked["passwd"][0]
    pdf = render_pdf(html, title="t", branch_name="Net", branch_cnpj="11222333000181", public_code=CODE)
    assert PdfReader(BytesIO(pdf)).attachments == {}
    assert b"root:" not in pdf


def test_http_urls_are_not_fetched():
    with HttpStub() as stub:
        html = (f'<img src="{stub.url}/pixel.png"><link rel="stylesheet" href="{stub.url}/x.css">'
                f'<p style="background: url({stub.url}/bg.png)">corpo</p>')
        weasyprint.HTML(string=html).write_pdf()  # control: the default fetcher calls out
        assert stub.requests
        stub.requests.clear()
        render_pdf(html, title="t", branch_name="Net", branch_cnpj="11222333000181", public_code=CODE)
        assert stub.requests == []


def test_data_uris_still_work():
    gif = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///ywAAAAAAQABAAACAUwAOw=="
    pdf = render_pdf(f'<img src="{gif}" style="width:20mm">', title="t", branch_name="Net",
                     branch_cnpj="11222333000181", public_code=CODE)
    assert len(PdfReader(BytesIO(pdf)).pages[0].images) == 1


def test_a_valid_upload_returns_its_page_count():
    assert load_uploaded_pdf(pypdf_pdf([(595, 842)] * 3), max_bytes=MB) == 3
    assert load_uploaded_pdf(render_pdf("<p>x</p>", title="t", branch_name="N", branch_cnpj="1",
                                        public_code="c"), max_bytes=MB) == 1


def encrypted_pdf() -> bytes:
    writer = PdfWriter(clone_from=BytesIO(pypdf_pdf([(595, 842)])))
    writer.encrypt(user_password="", owner_password="dono")
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "vazio"),
        (b"just some text", "não é um PDF"),
        (b"<html><body>%PDF-1.7</body></html>", "não é um PDF"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "não é um PDF"),
        (pypdf_pdf([(595, 842)] * 2)[:300], "incompleto"),
        (b"%PDF-1.7\n" + b"\x07garbage\x00" * 50 + b"\n%%EOF\n", "corrompido"),
        (encrypted_pdf(), "protegido por senha"),
        (pypdf_pdf([]), "nenhuma página"),
        (pypdf_pdf([(200, 200)] * (MAX_UPLOADED_PAGES + 1)), "201 páginas; o limite é 200"),
    ],
    ids=["empty", "text", "html-renamed", "png", "truncated", "garbage", "encrypted", "no-pages", "too-many-pages"],
)
def test_bad_uploads_are_rejected_with_a_clear_reason(data, message):
    with pytest.raises(Refusal, match=message):
        load_uploaded_pdf(data, max_bytes=MB)


def test_size_is_checked_before_anything_else():
    with pytest.raises(Refusal, match="O arquivo tem 2,0 MB; o limite é 1,0 MB"):
        load_uploaded_pdf(b"not even a pdf" * (2 * MB // 14 + 1), max_bytes=MB)


def test_stamp_footer_marks_every_page_of_an_uploaded_pdf():
    original = pypdf_pdf([(595.28, 841.89), (612, 792), (595.28, 841.89), (300, 400)], rotate={2: 90})
    stamped = stamp_footer(original, branch_name="Net Sul", branch_cnpj="11222333000181", public_code=CODE)
    reader = PdfReader(BytesIO(stamped))
    assert len(reader.pages) == 4
    sizes = [(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages]
    assert sizes == [(595, 842), (612, 792), (842, 595), (300, 400)]  # the rotated page keeps its look
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert f"página {number} de 4" in text
        assert CODE in text and CNPJ in text and "Net Sul" in text
    assert load_uploaded_pdf(stamped, max_bytes=MB) == 4


def test_stamp_footer_keeps_the_original_content():
    original = render_pdf("<p>conteúdo original</p>" * 3, title="t", branch_name="Outra", branch_cnpj="1",
                          public_code="OLD")
    stamped = stamp_footer(original, branch_name="Net Sul", branch_cnpj="11222333000181", public_code=CODE)
    [text] = page_texts(stamped)
    assert "conteúdo original" in text and f"Código {CODE} · página 1 de 1" in text
