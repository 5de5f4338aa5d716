"""Sign-in, sign-out, the sign-in guard on every admin view, the one permission decorator and view helpers."""
import time
from functools import wraps

from flask import current_app, flash, g, make_response, redirect, render_template, request, session, url_for

from firma.evidence.audit import RequestInfo
from firma.extensions import db, limiter
from firma.models import User
from firma.org import deactivation, staff
from firma.platform import clients, tenancy
from firma.platform.outbox import commit

from . import bp
from .forms import LoginForm

PUBLIC_ENDPOINTS = {"admin.login"}


IDLE_MESSAGE = "Sua sessão expirou por inatividade. Entre novamente."


@bp.before_request
def load_user():
    """Every admin page needs a signed-in, active staff user of an active organization (operators excepted) on a
    current, recently used session; anyone else goes to the login page."""
    user_id = session.get("staff_id")
    g.user = db.session.get(User, user_id) if user_id else None
    if g.user is not None:
        idle = time.time() - session.get("seen", 0) > current_app.config["ADMIN_IDLE_MINUTES"] * 60
        suspended = not g.user.is_operator and not deactivation.is_active(g.user.organization_id)
        if not g.user.active or session.get("staff_version") != g.user.session_version or idle or suspended:
            session.clear()
            g.user = None
            if idle or suspended:
                flash(deactivation.STAFF_MESSAGE if suspended else IDLE_MESSAGE, "error")
        else:
            session["seen"] = int(time.time())
    if g.user is not None:
        tenancy.enter(g.user.organization_id)  # from here on every query sees only the user's organization
    if g.user is None and request.endpoint not in PUBLIC_ENDPOINTS:
        return redirect(url_for("admin.login", next=request.full_path if request.method == "GET" else None))
    return None


def start_session(user: User) -> None:
    """A fresh session for this user (no fixation), bound to the user's current session version."""
    session.clear()
    session["staff_id"], session["staff_version"] = user.id, user.session_version
    session["seen"] = int(time.time())
    session.permanent = True


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
    return RequestInfo(ip=request.remote_addr, user_agent=request.headers.get("User-Agent", "")[:1000],
                       port=clients.source_port())


def safe_next(target: str | None) -> str:
    """Only same-site admin paths are followed after login (no open redirect)."""
    if target and target.startswith("/admin/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("admin.dashboard")


LOCKED_OUT = "Muitas tentativas de entrada sem sucesso. Por segurança, o acesso foi bloqueado por alguns minutos."


def _login_account() -> str:
    """Failed sign-ins are counted per account, whichever address tries (a spread-out guesser is still stopped)."""
    return "login-account:" + request.form.get("email", "").strip().lower()[:254]


def _login_address() -> str:
    """...and per address, whichever account it tries."""
    return "login-address:" + (request.remote_addr or "unknown")


def _locked_out(_limit):
    """The login page again, saying the account or address is temporarily locked."""
    form = LoginForm()
    form.form_errors.append(LOCKED_OUT)
    return make_response(render_template("admin/login.html", form=form), 429)


def _failed(response) -> bool:
    return response.status_code == 422


@bp.route("/entrar", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_FAILURE_LIMIT"], key_func=_login_account, methods=["POST"],
               deduct_when=_failed, on_breach=_locked_out)
@limiter.limit(lambda: current_app.config["LOGIN_IP_LIMIT"], key_func=_login_address, methods=["POST"],
               deduct_when=_failed, on_breach=_locked_out)
def login():
    """Sign in with e-mail and password."""
    form = LoginForm()
    if form.validate_on_submit():
        user = staff.authenticate(form.email.data, form.password.data)
        if user is not None and not user.is_operator and not deactivation.is_active(user.organization_id):
            form.form_errors.append(deactivation.STAFF_MESSAGE)  # only after the right password: no probing
            return render_template("admin/login.html", form=form), 403
        if user is not None:
            start_session(user)
            commit()
            return redirect(safe_next(request.args.get("next")))
        form.form_errors.append("E-mail ou senha incorretos.")
    status = 422 if request.method == "POST" else 200
    return render_template("admin/login.html", form=form), status


@bp.post("/sair")
def logout():
    """Sign out: this and every other session of the user end."""
    if g.user is not None:
        staff.end_sessions(g.user)
        commit()
    session.clear()
    return redirect(url_for("admin.login"))
