"""Integrations (five tabs, token shown once), general parameters and branches."""
from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from firma.extensions import db
from firma.models import Branch, Integration, Settings, User
from firma.org import api_tokens
from firma.org.branches import MAX_LOGO_BYTES, save_branch
from firma.org.integrations import MESSAGE_FIELDS, message_previews, save_integration
from firma.org.parameters import save_settings
from firma.platform import outbox

from . import bp
from .auth import page, require
from .forms import INTEGRATION_TABS, BranchForm, EmptyForm, SettingsForm, form_status, run_form


def _user_choices() -> dict:
    users = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.name))
    return {None: "— nenhum —", **{u.id: u.name for u in users}}


def _integration_choices() -> dict:
    rows = db.session.scalars(select(Integration).order_by(Integration.description))
    return {None: "— nenhuma —", **{i.id: i.description for i in rows}}


def _values(form) -> dict:
    """The tab's values without the CSRF token: what the integration service saves."""
    return {k: v for k, v in form.data.items() if k != "csrf_token"}


@bp.get("/integracoes")
def integrations():
    """The integration list."""
    rows = db.session.scalars(select(Integration).order_by(Integration.description))
    return page("admin/integrations.html", integrations=rows)


@bp.route("/integracoes/nova", methods=["GET", "POST"], defaults={"integration_id": None})
@bp.route("/integracoes/<int:integration_id>", methods=["GET", "POST"])
@require("manage_integrations")
def integration_edit(integration_id: int | None):
    """Create or edit an integration, tab by tab."""
    integration = (db.session.get(Integration, integration_id) or abort(404)) if integration_id else None
    tab = request.args.get("aba", "integracao") if integration else "integracao"
    if tab not in INTEGRATION_TABS:
        abort(404)
    form = INTEGRATION_TABS[tab][1](obj=integration)
    if hasattr(form, "representative_id"):
        form.representative_id.choices = form.witness_id.choices = _user_choices()
    if saved := run_form(form, lambda: save_integration(integration, _values(form))):
        outbox.commit()
        flash("Integração salva.", "ok")
        return redirect(url_for("admin.integration_edit", integration_id=saved.id, aba=tab))
    previews = message_previews(integration) if integration and tab == "notificacoes" else {}
    return page("admin/integration_form.html", status=form_status(form), integration=integration, tab=tab,
                tabs=INTEGRATION_TABS, form=form, previews=previews, token=None, token_form=EmptyForm())


@bp.post("/integracoes/<int:integration_id>/token")
@require("manage_integrations")
def integration_token(integration_id: int):
    """Generate or rotate the integration's token; the plaintext appears on this response only."""
    integration = db.session.get(Integration, integration_id) or abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    token = api_tokens.rotate_token(integration)
    outbox.commit()
    form = INTEGRATION_TABS["integracao"][1](obj=integration)
    html = render_template("admin/integration_form.html", integration=integration, tab="integracao",
                           tabs=INTEGRATION_TABS, form=form, previews={}, token=token,
                           token_form=EmptyForm())
    return html, 200, {"Cache-Control": "no-store"}


@bp.post("/integracoes/<int:integration_id>/previa")
@require("manage_integrations")
def integration_preview(integration_id: int):
    """Live preview of one notification text as typed (htmx), without saving it."""
    integration = db.session.get(Integration, integration_id) or abort(404)
    field = request.form.get("campo", "")
    if field not in MESSAGE_FIELDS:
        abort(404)
    draft = Integration(**{field: request.form.get(field, "")})
    text = message_previews(draft)[field]
    return render_template("admin/_message_preview.html", field=field, text=text, integration=integration)


@bp.get("/parametros")
def settings():
    """The general parameters."""
    return page("admin/settings.html", form=SettingsForm(obj=Settings.get()))


@bp.post("/parametros")
@require("manage_integrations")
def settings_save():
    """Save the general parameters."""
    form = SettingsForm()
    if run_form(form, lambda: save_settings(company_name=form.company_name.data,
                                            digital_signature_default=form.digital_signature_default.data)):
        outbox.commit()
        flash("Parâmetros salvos.", "ok")
        return redirect(url_for("admin.settings"))
    return page("admin/settings.html", status=form_status(form), form=form)


@bp.get("/filiais")
def branches():
    """The branch list."""
    rows = db.session.scalars(select(Branch).order_by(Branch.name))
    return page("admin/branches.html", branches=rows)


@bp.route("/filiais/nova", methods=["GET", "POST"], defaults={"branch_id": None})
@bp.route("/filiais/<int:branch_id>", methods=["GET", "POST"])
@require("manage_integrations")
def branch_edit(branch_id: int | None):
    """Create or edit a branch (with its logo)."""
    branch = (db.session.get(Branch, branch_id) or abort(404)) if branch_id else None
    form = BranchForm(obj=branch)
    form.integration_id.choices = _integration_choices()
    if run_form(form, lambda: save_branch(branch, {k: v for k, v in form.data.items() if k != "logo"},
                                          logo=_logo_upload())):
        outbox.commit()
        flash("Filial salva.", "ok")
        return redirect(url_for("admin.branches"))
    return page("admin/branch_form.html", status=form_status(form), form=form, branch=branch)


def _logo_upload() -> bytes | None:
    """The uploaded logo's bytes, read up to one byte past the limit so the service can refuse it."""
    upload = request.files.get("logo")
    return upload.stream.read(MAX_LOGO_BYTES + 1) if upload and upload.filename else None
