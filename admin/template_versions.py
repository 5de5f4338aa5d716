"""A template's version history in the panel: author, time, and the diff against the previous version."""
from flask import abort

from firma.documents import template_history
from firma.extensions import db
from firma.models import DocumentTemplate

from . import bp
from .auth import page, require


@bp.get("/modelos/<int:template_id>/versoes/<int:number>")
@require("manage_templates")
def template_version(template_id: int, number: int):
    """One version of a template and what it changed against the one before."""
    template = db.session.get(DocumentTemplate, template_id) or abort(404)
    current = template_history.version(template, number) or abort(404)
    previous = template_history.version(template, number - 1)
    return page("admin/template_version.html", template=template, version=current, previous=previous,
                lines=template_history.diff(previous, current))
