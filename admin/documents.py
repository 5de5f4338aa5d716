"""Templates and terms: the editor with the variable palette, live page-image preview and versions."""
from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from firma.documents.templates import palette, preview, preview_image, save_template
from firma.extensions import db
from firma.models import Customer, DocumentTemplate, TemplateKind
from firma.platform import outbox
from firma.platform.storage.serve import send_stored

from . import bp
from .auth import page, require
from .forms import TemplateForm, form_status, run_form


@bp.get("/modelos")
def templates():
    """The template list, by kind."""
    rows = db.session.scalars(select(DocumentTemplate).order_by(DocumentTemplate.kind, DocumentTemplate.name))
    return page("admin/templates.html", templates=rows)


def _form(template: DocumentTemplate | None) -> TemplateForm:
    data = None
    if template is not None:
        data = {"name": template.name, "kind": template.kind, "active": template.active,
                "body": template.current.body if template.current else "",
                "terms": [link.term_template_id for link in template.term_links],
                "auto_terms": [link.term_template_id for link in template.term_links if link.insert_automatically]}
    form = TemplateForm(data=data)
    terms = db.session.scalars(select(DocumentTemplate).where(DocumentTemplate.kind == "term")
                               .order_by(DocumentTemplate.name))
    form.terms.choices = form.auto_terms.choices = {t.id: t.name for t in terms}
    return form


@bp.route("/modelos/novo", methods=["GET", "POST"], defaults={"template_id": None})
@bp.route("/modelos/<int:template_id>", methods=["GET", "POST"])
@require("manage_templates")
def template_edit(template_id: int | None):
    """Create or edit a template: each save is a new immutable version."""
    template = (db.session.get(DocumentTemplate, template_id) or abort(404)) if template_id else None
    form = _form(template)
    if template is None and request.method == "GET":
        tipo = request.args.get("tipo")
        form.kind.data = tipo if tipo in tuple(TemplateKind) else TemplateKind.CONTRACT
    if saved := run_form(form, lambda: _save(template, form)):
        outbox.commit()
        flash(f"Modelo salvo (versão {saved.current.number}).", "ok")
        return redirect(url_for("admin.template_edit", template_id=saved.id))
    kind = form.kind.data or "contract"
    customers = db.session.scalars(select(Customer).order_by(Customer.name).limit(200))
    return page("admin/template_form.html", status=form_status(form), form=form, template=template,
                palette=palette(kind), customers=customers)


def _save(template: DocumentTemplate | None, form: TemplateForm) -> DocumentTemplate:
    """Save a new version from the form; linked terms marked "insert automatically" go into the contract."""
    auto = set(form.auto_terms.data or [])
    links = [(term_id, term_id in auto) for term_id in form.terms.data or []]
    return save_template(template, name=form.name.data, kind=form.kind.data, body=form.body.data, by=g.user,
                         term_links=links, active=form.active.data)


@bp.post("/modelos/previa")
@require("manage_templates")
def template_preview():
    """Page images of the body being typed (htmx, debounced); unknown variables come back flagged."""
    kind = request.form.get("kind", "contract")
    if kind not in tuple(TemplateKind):
        abort(400)
    customer_id = request.form.get("preview_customer_id", type=int)
    customer = db.session.get(Customer, customer_id) if customer_id else None
    result = preview(request.form.get("body", ""), kind, customer=customer)
    return render_template("admin/_template_preview.html", preview=result)


@bp.get("/modelos/previa/<path:name>")
@require("manage_templates")
def template_preview_image(name: str):
    """A cached page image of a template preview."""
    relpath = preview_image(name) or abort(404)
    return send_stored(relpath, mimetype="image/jpeg", max_age=3600)
