"""The platform operator's page: every organization (provider) and a form to create one with its first admin."""
from flask import g
from werkzeug.exceptions import NotFound

from firma.org import organizations
from firma.platform import outbox
from firma.platform.errors import friendly

from . import bp
from .auth import page
from .forms import OrganizationForm, form_status, run_form


def _operator_only() -> None:
    """Anyone but a platform operator gets a 404: the page does not exist for them."""
    if not g.user.is_operator:
        raise friendly(NotFound, "Página não encontrada.")


def _page(form: OrganizationForm, created=None, status: int = 200):
    rows = [(row, organizations.counts(row)) for row in organizations.list_organizations()]
    return page("admin/organizations.html", status=status, form=form, rows=rows, created=created)


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
