"""The provider representative's and witness's API tokens, from the integration's settings (IXC's "Token usuário API")."""
from flask import abort, flash, redirect, render_template, url_for

from firma.models import Integration
from firma.extensions import db
from firma.org import staff
from firma.platform import outbox

from . import bp
from .auth import require
from .forms import INTEGRATION_TABS, EmptyForm
from .org import _user_choices

TAB = "configuracoes"
ROLES = {"representante": "representative", "testemunha": "witness"}


def _user(integration_id: int, who: str):
    integration = db.session.get(Integration, integration_id) or abort(404)
    if who not in ROLES:
        abort(404)
    user = getattr(integration, ROLES[who])
    if user is None or not EmptyForm().validate_on_submit():
        abort(400)
    return integration, user


@bp.post("/integracoes/<int:integration_id>/<who>/token")
@require("manage_integrations")
def integration_signer_token(integration_id: int, who: str):
    """Generate (or rotate) the representative's or witness's API token; its plaintext is on this response only."""
    integration, user = _user(integration_id, who)
    token = staff.issue_api_token(user)
    outbox.commit()
    form = INTEGRATION_TABS[TAB][1](obj=integration)
    form.representative_id.choices = form.witness_id.choices = _user_choices()
    html = render_template("admin/integration_form.html", integration=integration, tab=TAB, tabs=INTEGRATION_TABS,
                           form=form, previews={}, token=None, token_form=EmptyForm(), signer_token=(who, token))
    return html, 200, {"Cache-Control": "no-store"}


@bp.post("/integracoes/<int:integration_id>/<who>/token/revogar")
@require("manage_integrations")
def integration_signer_token_revoke(integration_id: int, who: str):
    """Revoke the representative's or witness's API token (their automatic signing stops)."""
    integration, user = _user(integration_id, who)
    staff.revoke_api_token(user)
    outbox.commit()
    flash(f"Token de {user.name} revogado: a assinatura automática está desativada.", "ok")
    return redirect(url_for("admin.integration_edit", integration_id=integration.id, aba=TAB))
