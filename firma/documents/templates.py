"""Editing document templates: validated saves as new immutable versions, term links, and live previews."""
import re
from dataclasses import dataclass, field

from firma.documents import previews, rendering
from firma.documents.sanitise import clean_html
from firma.documents.catalogue import CATALOGUE, KIND_NAMESPACES
from firma.documents.contexts import customer_fields, sample_context
from firma.documents.sandbox import TemplateError, check, render_body, validate_template
from firma.extensions import db
from firma.models import Customer, DocumentTemplate, TemplateKind, TemplateTermLink, TemplateVersion, User
from firma.platform import storage, tenancy

MAX_BODY = 200_000
PREVIEW_WIDTH = 700
# A preview image's name in its URL: `<pdf sha256>/w<width>/page-0001.jpg`.
_PREVIEW_NAME = re.compile(r"(?P<sha>[0-9a-f]{64})/w(?P<width>[1-9][0-9]{0,3})/(?P<page>page-[0-9]{4}\.jpg)")


@dataclass
class Preview:
    """The outcome of a live preview: page image names (see `preview_image`) or the error to flag."""

    pages: list[str] = field(default_factory=list)
    error: str | None = None
    variable: str | None = None
    used: list[str] = field(default_factory=list)


def palette(kind: str) -> dict[str, dict[str, str]]:
    """The catalogue variables a template of this kind may use, by namespace."""
    return {ns: fields for ns, fields in CATALOGUE.items() if ns in KIND_NAMESPACES.get(kind, ())}


def save_template(template: DocumentTemplate | None, *, name: str, kind: str, body: str, by: User | None = None,
                  term_links: list[tuple[int, bool]] | None = None, active: bool = True) -> DocumentTemplate:
    """Validate and save; a changed body becomes a new version, so envelopes keep the exact one they used."""
    if kind not in tuple(TemplateKind):
        raise TemplateError("Tipo de modelo inválido.")
    if not name.strip():
        raise TemplateError("Informe o nome do modelo.")
    if len(body) > MAX_BODY:
        raise TemplateError("O conteúdo do modelo é grande demais.")
    body = clean_html(body)
    if not body.strip():
        raise TemplateError("O conteúdo do modelo está vazio.")
    check(body, kind)
    if template is None:
        template = DocumentTemplate(kind=kind, name="")
        db.session.add(template)
    elif template.kind != kind:
        raise TemplateError("O tipo de um modelo existente não pode mudar.")
    template.name, template.active = name.strip(), active
    current = template.current
    if current is None or current.body != body:
        template.versions.append(TemplateVersion(number=(current.number + 1) if current else 1, body=body,
                                                 created_by_id=by.id if by else None))
    if term_links is not None and kind == "contract":
        _set_term_links(template, term_links)
    db.session.flush()
    return template


def _set_term_links(template: DocumentTemplate, links: list[tuple[int, bool]]) -> None:
    wanted = {}
    for term_id, auto in links:
        term = db.session.get(DocumentTemplate, term_id)
        if term is None or term.kind != "term":
            raise TemplateError("Termo vinculado inválido.")
        wanted[term_id] = auto
    template.term_links = [link for link in template.term_links if link.term_template_id in wanted]
    existing = {link.term_template_id: link for link in template.term_links}
    for position, (term_id, auto) in enumerate(wanted.items()):
        link = existing.get(term_id) or TemplateTermLink(term_template_id=term_id)
        link.insert_automatically, link.position = auto, position
        if term_id not in existing:
            template.term_links.append(link)


def preview_context(kind: str, customer: Customer | None) -> dict:
    """Sample values, with the chosen customer's own fields when one is given."""
    context = sample_context(kind)
    if customer is not None:
        context["cliente"] = customer_fields(customer)
    return context


def preview(body: str, kind: str, *, customer: Customer | None = None) -> Preview:
    """Render an unsaved body to page images; unsafe or unknown variables come back as an error, not a page."""
    try:
        used = sorted(validate_template(body, kind))
        html = render_body(body, preview_context(kind, customer))
    except TemplateError as exc:
        return Preview(error=str(exc), variable=exc.variable)
    pdf = rendering.render_pdf(html, title="Pré-visualização", branch_name="Filial de exemplo",
                               branch_cnpj="11222333000181", public_code="FRM-PREV-IEWS")
    scope = preview_scope()
    root = previews.preview_root(scope) + "/"
    pages = previews.preview_pages(pdf, scope, PREVIEW_WIDTH)
    return Preview(pages=[relpath.removeprefix(root) for relpath in pages], used=used)


def preview_scope() -> str:
    """The cache scope of the current organization's preview images."""
    return str(tenancy.current() or "shared")


def preview_image(name: str) -> str | None:
    """The storage name of a cached preview image of the current organization, or None (bad or unknown name)."""
    match = _PREVIEW_NAME.fullmatch(name)
    if match is None:
        return None
    relpath = f"{previews.preview_folder(preview_scope(), match['sha'], int(match['width']))}/{match['page']}"
    return relpath if storage.exists(relpath) else None
