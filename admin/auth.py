"""Sign-in, sign-out, the sign-in guard on every admin view, the one permission decorator and view helpers."""
from functools import wraps

from flask import g, redirect, render_template, request, session, url_for

from firma.evidence.audit import RequestInfo
from firma.extensions import db, limiter
from firma.models import User
from firma.org import staff
from firma.platform import tenancy
from firma.platform.outbox import commit

from . import bp
from .forms import LoginForm

PUBLIC_ENDPOINTS = {"admin.login"}


@bp.before_request
def load_user():
    """Every admin page needs a signed-in, active staff user; anyone else goes to the login page."""
    user_id = session.get("staff_id")
    g.user = db.session.get(User, user_id) if user_id else None
    if g.user is not None and not g.user.active:
        session.clear()
        g.user = None
    if g.user is not None:
        tenancy.enter(g.user.organization_id)  # from here on every query sees only the user's organization
    if g.user is None and request.endpoint not in PUBLIC_ENDPOINTS:
        return redirect(url_for("admin.login", next=request.full_path if request.method == "GET" else None))
    return None


@bp.after_request
def discard_uncommitted(response):
    """A refused or failed request leaves no half-made change behind in the session."""
    if response.status_code >= 400:
        db.session.rollback()
    return response


def require(permission: str):
    """Decorator: the view runs only for users holding `permission` (a pt-BR 403 page otherwise)."""
    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            staff.check(g.user, permission)
            return view(*args, **kwargs)
        wrapped.permission = permission
        return wrapped
    return decorate


def is_fragment() -> bool:
    """An htmx request for a part of the page (boosted navigation wants the whole page)."""
    return bool(request.htmx) and not request.htmx.boosted


def page(name: str, fragment: str | None = None, /, status: int = 200, **context):
    """The full page, or only its partial when htmx asked for a fragment."""
    return render_template(fragment if fragment and is_fragment() else name, **context), status


def info() -> RequestInfo:
    """Who is asking, for the audit events a service records."""
    return RequestInfo(ip=request.remote_addr, user_agent=request.headers.get("User-Agent", "")[:1000])


def safe_next(target: str | None) -> str:
    """Only same-site admin paths are followed after login (no open redirect)."""
    if target and target.startswith("/admin/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("admin.dashboard")


@bp.route("/entrar", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def login():
    """Sign in with e-mail and password."""
    form = LoginForm()
    if form.validate_on_submit():
        user = staff.authenticate(form.email.data, form.password.data)
        if user is not None:
            session.clear()  # a fresh session on sign-in (no fixation)
            session["staff_id"] = user.id
            session.permanent = True
            commit()
            return redirect(safe_next(request.args.get("next")))
        form.form_errors.append("E-mail ou senha incorretos.")
    status = 422 if request.method == "POST" else 200
    return render_template("admin/login.html", form=form), status


@bp.post("/sair")
def logout():
    """Sign out."""
    session.clear()
    return redirect(url_for("admin.login"))
