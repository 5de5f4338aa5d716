"""Public pages: the landing page and /verificar (upload a PDF or type its code)."""
import re

from flask import Blueprint, abort, current_app, make_response, render_template, request

from firma.extensions import csrf, db, limiter
from firma.models import Branch
from firma.sealing import verification

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    """The landing page."""
    return render_template("public/home.html")


@bp.route("/verificar", methods=["GET", "POST"])
@limiter.limit("30/minute", methods=["POST"])
@csrf.exempt  # a public, read-only check: nothing changes, so nothing to forge
def verify():
    """Check a PDF (upload) or a document code: is it an unaltered document sealed here?"""
    result = envelope = error = None
    code = request.values.get("codigo", "").strip()
    if request.method == "POST" and "arquivo" in request.files:
        upload = request.files["arquivo"]
        data = upload.stream.read(current_app.config["MAX_PDF_BYTES"] + 1)
        if not data:
            error = "Escolha o arquivo PDF a verificar."
        elif len(data) > current_app.config["MAX_PDF_BYTES"]:
            error = "Arquivo grande demais para verificar."
        else:
            result = verification.verify_pdf(data)
            envelope = result.envelope
    elif code:
        envelope = verification.find_by_code(code)
        if envelope is None:
            error = "Nenhum documento encontrado com este código."
    status = 422 if error and request.method == "POST" else 200
    return render_template("public/verify.html", result=result, envelope=envelope, code=code, error=error), status


@bp.get("/marca/<int:branch_id>.css")
def brand_css(branch_id: int):
    """The branch's colour as a stylesheet (CSP forbids inline styles)."""
    branch = db.session.get(Branch, branch_id) or abort(404)
    colour = branch.color if re.fullmatch(r"#[0-9a-fA-F]{6}", branch.color or "") else "#0b5cad"
    response = make_response(f":root{{--brand:{colour}}}\n")
    response.mimetype = "text/css"
    response.cache_control.public, response.cache_control.max_age = True, 600
    return response


@bp.get("/marca/<int:branch_id>/logo.png")
def brand_logo(branch_id: int):
    """A branch's logo, for the signing pages."""
    branch = db.session.get(Branch, branch_id) or abort(404)
    if not branch.logo_png:
        abort(404)
    response = make_response(branch.logo_png)
    response.mimetype = "image/png"
    response.cache_control.public, response.cache_control.max_age = True, 600
    return response
