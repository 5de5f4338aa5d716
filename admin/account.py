"""My account (stored signature, personal API token) and staff user management."""
from flask import abort, flash, g, redirect, render_template, url_for
from sqlalchemy import select

from firma.extensions import db
from firma.models import User
from firma.org import staff
from firma.platform import outbox

from . import bp
from .auth import page, require, start_session
from .forms import EmptyForm, SignatureForm, UserForm, form_status, run_form


@bp.get("/conta")
def account():
    """The staff user's own page: stored signature and personal API token."""
    return page("admin/account.html", signature_form=SignatureForm(), form=EmptyForm(), token=None)


@bp.post("/conta/assinatura")
def account_signature():
    """Save the staff user's drawn signature."""
    form = SignatureForm()
    if run_form(form, lambda: staff.save_signature(g.user, form.signature.data or ""), malformed=400):
        outbox.commit()
        flash("Assinatura salva.", "ok")
        return redirect(url_for("admin.account"))
    return page("admin/account.html", status=form_status(form), signature_form=form, form=EmptyForm(), token=None)


@bp.get("/conta/assinatura.png")
def account_signature_png():
    """The staff user's stored signature image."""
    if not g.user.signature_png:
        abort(404)
    return g.user.signature_png, 200, {"Content-Type": "image/png", "Cache-Control": "no-store"}


@bp.post("/conta/token")
def account_token():
    """Generate (or rotate) the personal API token; its plaintext is shown on this response only."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    token = staff.issue_api_token(g.user)
    outbox.commit()
    response = render_template("admin/account.html", signature_form=SignatureForm(), form=EmptyForm(), token=token)
    return response, 200, {"Cache-Control": "no-store"}


@bp.post("/conta/token/revogar")
def account_token_revoke():
    """Revoke the staff user's personal API token."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    staff.revoke_api_token(g.user)
    outbox.commit()
    flash("Token revogado: a assinatura automática está desativada.", "ok")
    return redirect(url_for("admin.account"))


@bp.get("/usuarios")
@require("manage_users")
def users():
    """The list of staff users."""
    rows = db.session.scalars(select(User).order_by(User.name))
    return page("admin/users.html", users=rows)


@bp.route("/usuarios/novo", methods=["GET", "POST"], defaults={"user_id": None})
@bp.route("/usuarios/<int:user_id>", methods=["GET", "POST"])
@require("manage_users")
def user_edit(user_id: int | None):
    """Create or edit a staff user."""
    user = (db.session.get(User, user_id) or abort(404)) if user_id else None
    form = UserForm(obj=user)
    if run_form(form, lambda: staff.save_user(
            user, name=form.name.data, email=form.email.data, role=form.role.data,
            extra_permissions=form.extra_permissions.data or [], active=form.active.data, cpf=form.cpf.data or "",
            password=form.password.data or "")):
        outbox.commit()
        if user is g.user:
            start_session(user)  # changing one's own password ends the other sessions, not this one
        flash("Usuário salvo.", "ok")
        return redirect(url_for("admin.users"))
    return page("admin/user_form.html", status=form_status(form), form=form, user=user)
