"""PDFs of contracts, terms and service orders (WeasyPrint), and checks and footers for uploaded PDFs."""
from __future__ import annotations

import hashlib
import math
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from io import BytesIO

import jinja2
import weasyprint
from markupsafe import Markup, escape
from pypdf import PdfReader, PdfWriter, Transformation
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from firma.br.identifiers import format_cpf_cnpj
from firma.config import TEMPLATES_DIR
from firma.documents.contexts import contract_context, flatten, service_order_context
from firma.documents.sandbox import TemplateError, render_body, used_variables
from firma.models import Branch, Contract, DocumentTemplate, ServiceOrder, TemplateVersion, Term
from firma.platform import logs, stack_room
from firma.platform.errors import Refusal

MAX_UPLOADED_PAGES = 200
# Page boxes: the PDF specification's own limit is 14,400 units (200 in, ~5 m) per side; a box beyond it, or
# too small or too thin to read, is a crafted file (a 474-byte PDF with a huge box once grew a worker to 2.4 GB).
MAX_PAGE_SIDE_PT = 14_400
MIN_PAGE_SIDE_PT = 36
MAX_PAGE_ASPECT = 30


def css_string(value: str) -> Markup:
    """A quoted CSS string whose every non-trivial character is a hex escape, so data never becomes CSS."""
    out = "".join(c if c.isalnum() or c in " .,-/" else f"\\{ord(c):x} " for c in value)
    return Markup(f'"{out}"')


def _pdf_environment() -> jinja2.Environment:
    # A plain Environment, not Flask's: documents are rendered by jobs outside any request.
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR / "pdf"), autoescape=True, undefined=jinja2.StrictUndefined
    )
    env.filters["css_string"] = css_string
    return env


_PDF_ENV = _pdf_environment()


@dataclass
class RenderedDocument:
    """A rendered PDF with what the evidence needs: its hash, page count, source HTML (self-contained), version
    and values."""

    pdf: bytes
    sha256: str
    pages: int
    html: str
    template_version_id: int | None
    variables: dict


def _footer_left(branch_name: str, branch_cnpj: str) -> str:
    return f"{branch_name} · CNPJ {format_cpf_cnpj(branch_cnpj)}"


def document_html(body_html: str, *, title: str, branch_name: str, branch_cnpj: str, public_code: str) -> str:
    """The complete HTML WeasyPrint renders: A4 page, typography and the footer on every page."""
    return _PDF_ENV.get_template("document.html").render(
        title=title, body_html=Markup(body_html), footer_left=_footer_left(branch_name, branch_cnpj),
        footer_right=f"Código {public_code}", stamp_sizes=[], stamp_pages=[],
    )


_fonts = threading.local()


def _font_config(html: str) -> FontConfiguration:
    """This thread's font configuration, set up once (~10 % of a render); a page that declares its own fonts
    gets a fresh one, so no document's @font-face ever reaches another's."""
    if "@font-face" in html.lower():
        return FontConfiguration()
    if not hasattr(_fonts, "config"):
        _fonts.config = FontConfiguration()
    return _fonts.config


@cache
def _document_css_text() -> str:
    return (TEMPLATES_DIR / "pdf" / "document.css").read_text(encoding="utf-8")


@cache
def document_css() -> weasyprint.CSS:
    """The documents' typography (templates/pdf/document.css), parsed once: ~9 % of a contract's render."""
    return weasyprint.CSS(string=_document_css_text())


def standalone_html(html: str) -> str:
    """A document page with its typography inlined: the same document as one self-contained HTML file."""
    return html.replace("</style>", _document_css_text() + "</style>", 1)


def html_to_pdf(html: str, *, stylesheets: tuple[weasyprint.CSS, ...] = ()) -> tuple[bytes, int]:
    """PDF bytes and page count of an HTML page; only data: URIs load, so HTML cannot read files or call out.

    `stylesheets` come below the page's own styles in the cascade (WeasyPrint's user origin); style attributes
    still win over them."""
    started = time.perf_counter()
    pdf, pages = stack_room.call(_write_pdf, html, stylesheets)
    # The job's log line says how much of it was WeasyPrint (the rest is ours: bench/bench_batch.py sums it).
    logs.note(weasyprint_ms=round(logs.noted().get("weasyprint_ms", 0) + (time.perf_counter() - started) * 1000, 1))
    return pdf, pages


def _write_pdf(html: str, stylesheets: tuple[weasyprint.CSS, ...]) -> tuple[bytes, int]:
    document = weasyprint.HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).render(
        font_config=_font_config(html), stylesheets=list(stylesheets))
    return document.write_pdf(), len(document.pages)


def render_pdf(body_html: str, *, title: str, branch_name: str, branch_cnpj: str, public_code: str) -> bytes:
    """PDF bytes of an HTML body with Firma's page layout and footer."""
    html = document_html(
        body_html, title=title, branch_name=branch_name, branch_cnpj=branch_cnpj, public_code=public_code
    )
    return html_to_pdf(html, stylesheets=(document_css(),))[0]


def _version(template: DocumentTemplate | None, what: str) -> TemplateVersion:
    if template is None:
        raise TemplateError(f"{what} não tem modelo de documento.")
    version = template.current
    if version is None:
        raise TemplateError(f"O modelo «{template.name}» ainda não tem conteúdo salvo.")
    return version


def _starts_with_heading(body: str) -> bool:
    """Whether the rendered body opens with its own title (then the term's name is not printed twice)."""
    return bool(re.match(r"\s*<h[12][\s>]", body, re.I))


def _section(title: str, body: str) -> str:
    heading = "" if _starts_with_heading(body) else f'<h1 class="term-title">{escape(title)}</h1>'
    return f'<section class="term">{heading}{body}</section>'


def _finish(parts: list[str], *, title: str, branch: Branch, public_code: str, version: TemplateVersion,
            context: dict, used: set[str]) -> RenderedDocument:
    html = document_html(
        "\n".join(parts), title=title, branch_name=branch.name, branch_cnpj=branch.cnpj, public_code=public_code
    )
    pdf, pages = html_to_pdf(html, stylesheets=(document_css(),))
    flat = flatten(context)
    return RenderedDocument(
        pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest(), pages=pages, html=standalone_html(html),
        template_version_id=version.id, variables={k: flat[k] for k in sorted(used)},
    )


def render_contract(contract: Contract, *, public_code: str, now: datetime) -> RenderedDocument:
    """The contract's current template version plus each automatically inserted term, one PDF."""
    version = _version(contract.template, f"O contrato {contract.number}")
    context = contract_context(contract, now)
    kind = contract.template.kind or "contract"
    parts = [f'<article class="contract">{render_body(version.body, context)}</article>']
    used = set(used_variables(version.body, kind))
    for link in contract.template.term_links:
        if not link.insert_automatically:
            continue
        term_version = _version(link.term_template, f"O termo vinculado a «{contract.template.name}»")
        parts.append(_section(link.term_template.name, render_body(term_version.body, context)))
        used |= used_variables(term_version.body, "term")
    return _finish(parts, title=f"Contrato {contract.number}", branch=contract.branch, public_code=public_code,
                   version=version, context=context, used=used)


def render_term(term: Term, *, public_code: str, now: datetime) -> RenderedDocument:
    """A term on its own, filled with its contract's data."""
    version = _version(term.template, "O termo")
    context = contract_context(term.contract, now)
    rendered = render_body(version.body, context)
    heading = "" if _starts_with_heading(rendered) else f"<h1>{escape(term.template.name)}</h1>"
    body = f'<article class="term-single">{heading}{rendered}</article>'
    return _finish([body], title=term.template.name, branch=term.contract.branch, public_code=public_code,
                   version=version, context=context, used=set(used_variables(version.body, "term")))


def render_service_order(order: ServiceOrder, *, public_code: str, now: datetime) -> RenderedDocument:
    """The document of a service order, from its subject's template."""
    subject = order.subject
    version = _version(subject.template if subject is not None else None, f"O assunto da OS {order.number}")
    context = service_order_context(order, now)
    body = f'<article class="service-order">{render_body(version.body, context)}</article>'
    return _finish([body], title=f"Ordem de serviço {order.number}", branch=order.branch,
                   public_code=public_code, version=version, context=context,
                   used=set(used_variables(version.body, "service_order")))


def _size(n: int) -> str:
    if n < 1_048_576:
        return f"{max(1, round(n / 1024))} KB"
    return f"{n / 1_048_576:.1f}".replace(".", ",") + " MB"


def load_uploaded_pdf(data: bytes, *, max_bytes: int) -> int:
    """Page count of an uploaded PDF after checking size, signature, structure and encryption."""
    if len(data) > max_bytes:
        raise Refusal(f"O arquivo tem {_size(len(data))}; o limite é {_size(max_bytes)}.")
    if not data:
        raise Refusal("O arquivo está vazio.")
    if not data.startswith(b"%PDF-"):
        raise Refusal("O arquivo não é um PDF (o conteúdo não começa com %PDF-).")
    if b"%%EOF" not in data[-1024:]:
        raise Refusal("O PDF está incompleto (o arquivo parece ter sido cortado). Envie-o novamente.")
    try:
        reader = PdfReader(BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
        pages = 0 if encrypted else len(reader.pages)
        if pages > MAX_UPLOADED_PAGES:
            raise Refusal(f"O PDF tem {pages} páginas; o limite é {MAX_UPLOADED_PAGES}.")
        boxes = []
        if not encrypted:
            for page in reader.pages:
                boxes.append(_page_size(page))
                _ = page.get_contents()
    except Refusal:
        raise
    # Untrusted bytes reach deep into pypdf, which raises many exception types on malformed files.
    except Exception:  # noqa: BLE001
        raise Refusal("O PDF está corrompido ou não pôde ser lido.") from None
    if encrypted:
        raise Refusal("O PDF está protegido por senha ou criptografado; envie uma versão sem proteção.")
    if pages < 1:
        raise Refusal("O PDF não tem nenhuma página.")
    for number, (width, height) in enumerate(boxes, start=1):
        _check_page_size(number, width, height)
    return pages


def _page_size(page) -> tuple[float, float]:
    """Width and height in points of what a viewer shows (the crop box within the media box, times UserUnit)."""
    unit = float(page.get("/UserUnit", 1) or 1)
    sizes = []
    for box in (page.mediabox, page.cropbox):
        sizes.append((abs(float(box.width)) * unit, abs(float(box.height)) * unit))
    return max(w for w, _ in sizes), max(h for _, h in sizes)


def _check_page_size(number: int, width: float, height: float) -> None:
    """Refuse a page whose box no reader could show (and no render could afford)."""
    shown = f"{width:.0f} × {height:.0f} pt" if max(width, height) < 1e9 else "um tamanho absurdo"
    if not (math.isfinite(width) and math.isfinite(height)) or max(width, height) > MAX_PAGE_SIDE_PT:
        raise Refusal(f"A página {number} do PDF tem {shown}; o limite é {MAX_PAGE_SIDE_PT} pt (cerca de 5 m) "
                      "por lado. Exporte o documento de novo em um tamanho de papel comum (A4, Carta).")
    if min(width, height) < MIN_PAGE_SIDE_PT or max(width, height) / min(width, height) > MAX_PAGE_ASPECT:
        raise Refusal(f"A página {number} do PDF tem {shown}, pequena ou estreita demais para ser lida. "
                      "Exporte o documento de novo em um tamanho de papel comum (A4, Carta).")


def _footer_pages(sizes: list[tuple[float, float]], *, branch_name: str, branch_cnpj: str,
                  public_code: str) -> PdfReader:
    distinct = sorted(set(sizes))
    html = _PDF_ENV.get_template("document.html").render(
        title="", body_html="", footer_left=_footer_left(branch_name, branch_cnpj),
        footer_right=f"Código {public_code}", stamp_sizes=[(f"{w:.2f}", f"{h:.2f}") for w, h in distinct],
        stamp_pages=[distinct.index(size) for size in sizes],
    )
    pdf, pages = html_to_pdf(html, stylesheets=(document_css(),))
    if pages != len(sizes):
        raise RuntimeError(f"footer render produced {pages} pages for {len(sizes)}")
    return PdfReader(BytesIO(pdf))


def stamp_footer(pdf: bytes, *, branch_name: str, branch_cnpj: str, public_code: str) -> bytes:
    """An uploaded PDF with Firma's footer drawn over every page, so each printed page names its record."""
    writer = PdfWriter(clone_from=BytesIO(pdf))
    for page in writer.pages:
        if page.rotation % 360:
            page.transfer_rotation_to_content()
    boxes = [page.cropbox for page in writer.pages]
    sizes = [(round(float(b.width), 2), round(float(b.height), 2)) for b in boxes]
    footers = _footer_pages(sizes, branch_name=branch_name, branch_cnpj=branch_cnpj, public_code=public_code)
    for page, box, footer in zip(writer.pages, boxes, footers.pages):
        page.merge_transformed_page(footer, Transformation().translate(float(box.left), float(box.bottom)))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
