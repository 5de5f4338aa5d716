"""Send a PDF the ISP already has for signature from the panel: signers, validators and requirements."""
from flask import current_app, flash, g, redirect, request, url_for
from sqlalchemy import select

from firma.br.identifiers import compact
from firma.delivery import deliveries
from firma.envelopes import create
from firma.extensions import db
from firma.models import Branch
from firma.platform import outbox
from firma.platform.errors import Refusal

from . import bp
from .auth import info, page, require
from .forms import UPLOAD_ROLES, UploadForm, form_status, run_form


def _specs(form: UploadForm) -> list[create.SignerSpec]:
    """The filled signer rows as the service's specs (a row without a name is left out)."""
    specs = []
    for row in form.signers:
        r = row.form
        if not (r.name.data or "").strip():
            continue
        specs.append(create.SignerSpec(
            role=r.role.data if r.role.data in UPLOAD_ROLES else "", name=r.name.data.strip(), cpf=compact(r.cpf.data) or None,
            email=(r.email.data or "").strip() or None, phone=(r.phone.data or "").strip() or None,
            channel=r.channel.data or None, require_document_photo=r.require_document_photo.data,
            require_selfie=r.require_selfie.data, require_geolocation=r.require_geolocation.data))
    return specs


def _send(form: UploadForm):
    upload = request.files.get("pdf")
    limit = current_app.config["MAX_PDF_BYTES"]
    pdf = upload.stream.read(limit + 1) if upload and upload.filename else b""
    if not pdf:
        raise Refusal("Escolha o arquivo PDF.", "pdf")
    branch = db.session.get(Branch, form.branch_id.data or 0)
    if branch is None:
        raise Refusal("Escolha a filial.", "branch_id")
    specs = _specs(form)
    if not any(s.role != "validator" for s in specs):
        raise Refusal("Informe ao menos um signatário além dos validadores.", "signers")
    if form.provider_signers.data:
        specs += create.provider_specs(create.integration_for_branch(branch))
    envelope = create.create_for_upload(pdf, title=form.title.data, branch=branch, signers=specs, by=g.user,
                                        info=info())
    deliveries.send_links(envelope, by=g.user)
    return envelope


@bp.route("/assinaturas/enviar-pdf", methods=["GET", "POST"])
@require("send")
def upload_pdf():
    """The form to send an uploaded PDF for signature; on success, the new envelope's page."""
    form = UploadForm()
    form.branch_id.choices = [(None, "Escolha…")] + [
        (b.id, b.name) for b in db.session.scalars(select(Branch).order_by(Branch.name))]
    if envelope := run_form(form, lambda: _send(form)):
        outbox.commit()
        flash("Documento enviado para assinatura.", "ok")
        return redirect(url_for("admin.envelope", envelope_id=envelope.id))
    return page("admin/upload_form.html", status=form_status(form), form=form)
