"""Templates: list the active ones and preview one as HTML."""
from sqlalchemy import select

from firma.documents import contexts, sandbox
from firma.extensions import db
from firma.models import DocumentTemplate, utcnow

from . import bp
from .auth import require_integration
from .bodies import PreviewInput, TemplateQuery
from .contracts import own_contract
from .idempotency import idempotent
from .pagination import page
from .schemas import Preview, Template, TemplatePage
from .shared import NotFound, answer, body, query, row_id


@bp.get("/templates")
@require_integration
def list_templates():
    """Active templates page by page."""
    params = query(TemplateQuery)
    rows = select(DocumentTemplate).where(DocumentTemplate.active.is_(True))
    if params.kind:
        rows = rows.where(DocumentTemplate.kind == params.kind)
    return answer(page(rows, DocumentTemplate.id, Template.of, params, TemplatePage))


@bp.post("/templates/<int:template_id>/preview")
@require_integration
@idempotent
def preview_template(template_id: int):
    """The template's body rendered with a contract's data or sample data."""
    template = db.session.get(DocumentTemplate, row_id(template_id))
    if template is None or template.current is None:
        raise NotFound("Modelo não encontrado.")
    data = body(PreviewInput)
    if data.contract_number:
        context = contexts.contract_context(own_contract(data.contract_number), utcnow())
    else:
        context = contexts.sample_context(template.kind)
    html = sandbox.render_body(template.current.body, context)
    return answer(Preview(template_id=template.id, version=template.current.number, html=html))
