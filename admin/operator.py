"""The platform operator's page: every organization (provider), a form to create one with its first admin, and
the confirmed actions that deactivate and reactivate one."""
from flask import flash, g, redirect, url_for
from werkzeug.exceptions import NotFound

from firma.org import deactivation, organizations
from firma.platform import outbox
from firma.platform.errors import friendly

from . import bp
from .auth import page
from .forms import OrganizationForm, OrganizationStatusForm, form_status, run_form


def _operator_only() -> None:
    """Anyone but a platform operator gets a 404: the page does not exist for them."""
    if not g.user.is_operator:
        raise friendly(NotFound, "Página não encontrada.")


def _page(form: OrganizationForm, created=None, status: int = 200, status_form=None, failed_id=None):
    rows = [(row, organizations.counts(row)) for row in organizations.list_organizations()]
    return page("admin/organizations.html", status=status, form=form, rows=rows, created=created,
                status_form=status_form or OrganizationStatusForm(formdata=None), failed_id=failed_id)


@bp.get("/provedores")
def organization_list():
    """Every organization with what it holds (operators only)."""
    _operator_only()
    return _page(OrganizationForm(formdata=None))


@bp.post("/provedores")
def organization_create():
    """Create an organization; its first admin's password and API token are shown once (operators only)."""
    _operator_only()
    form = OrganizationForm()
    created = run_form(form, lambda: organizations.create_organization(
        form.name.data, form.cnpj.data, admin_email=form.admin_email.data or None,
        max_envelopes_per_month=form.max_envelopes_per_month.data, max_integrations=form.max_integrations.data))
    if created is None:
        return _page(form, status=form_status(form))
    outbox.commit()
    return _page(OrganizationForm(formdata=None), created=created.as_json(), status=201)


def _change_status(organization_id: int, change, done: str):
    _operator_only()
    form = OrganizationStatusForm()
    changed = run_form(form, lambda: change(organization_id, reason=form.reason.data, by=g.user.email))
    if changed is None:
        return _page(OrganizationForm(formdata=None), status=422,
                     status_form=form, failed_id=organization_id)
    outbox.commit()
    flash(f"{changed.name}: {done}", "ok")
    return redirect(url_for("admin.organization_list"))


@bp.post("/provedores/<int:organization_id>/desativar")
def organization_deactivate(organization_id: int):
    """Deactivate an organization, with a reason: its staff, API, signing links and jobs stop (operators only)."""
    return _change_status(organization_id, lambda oid, reason, by: deactivation.deactivate(oid, reason, by=by),
                          "provedor desativado.")


@bp.post("/provedores/<int:organization_id>/ativar")
def organization_activate(organization_id: int):
    """Reactivate an organization: everything it had resumes (operators only)."""
    return _change_status(organization_id, deactivation.activate, "provedor reativado.")
