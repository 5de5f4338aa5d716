"""Admin sessions end for real: logout, password change and deactivation bump the user's session version, and an
idle session expires."""
import time

from flask import g

from firma.models import User
from tests.admin_client import csrf_token, log_in, post
from tests.conftest import PASSWORD


def _second_session(app, user):
    """Another browser signed in as the same user."""
    other = app.test_client()
    g.pop("csrf_token", None)
    log_in(other, user.email, PASSWORD)
    return other


def _user_form(user, **changes) -> dict:
    data = {"name": user.name, "email": user.email.replace("@isp.test", "@example.com"), "cpf": "", "role": getattr(user.role, "value", user.role), "active": "y", "password": ""}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_logout_ends_every_session_of_the_user(app, staff):
    other = _second_session(app, staff.user)
    stolen = staff.get_cookie("session").value  # e.g. copied from the browser before logging out
    assert other.get("/admin/").status_code == 200
    assert post(staff, "/admin/sair").status_code == 302
    assert staff.get("/admin/").status_code == 302
    assert other.get("/admin/").status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/admin/").status_code == 302


def test_password_change_ends_the_users_sessions(app, staff, make_user, db):
    victim = make_user("operador@example.com", role="operator")
    theirs = _second_session(app, victim)
    g.pop("csrf_token", None)
    staff.csrf = csrf_token(staff)
    assert theirs.get("/admin/").status_code == 200
    form = _user_form(victim, password="uma-senha-nova-bem-longa")
    assert post(staff, f"/admin/usuarios/{victim.id}", form).status_code == 302
    assert theirs.get("/admin/").status_code == 302
    assert staff.get("/admin/").status_code == 200  # the admin who changed it is not affected


def test_own_password_change_keeps_this_session_only(app, staff, db):
    other = _second_session(app, staff.user)
    g.pop("csrf_token", None)
    staff.csrf = csrf_token(staff)
    form = _user_form(staff.user, password="minha-senha-nova-longa")
    assert post(staff, f"/admin/usuarios/{staff.user.id}", form).status_code == 302
    assert staff.get("/admin/").status_code == 200
    assert other.get("/admin/").status_code == 302


def test_deactivation_bumps_the_session_version(app, staff, make_user, db):
    victim = make_user("operador@example.com", role="operator")
    before = victim.session_version
    theirs = _second_session(app, victim)
    g.pop("csrf_token", None)
    staff.csrf = csrf_token(staff)
    assert post(staff, f"/admin/usuarios/{victim.id}", _user_form(victim, active=None)).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, victim.id).session_version == before + 1
    assert theirs.get("/admin/").status_code == 302


def test_idle_session_expires(app, staff):
    assert staff.get("/admin/").status_code == 200
    with staff.session_transaction() as session:
        session["seen"] = int(time.time()) - app.config["ADMIN_IDLE_MINUTES"] * 60 - 5
    response = staff.get("/admin/")
    assert response.status_code == 302 and "/admin/entrar" in response.headers["Location"]
    assert "expirou por inatividade" in staff.get("/admin/entrar").get_data(as_text=True)
    assert staff.get("/admin/").status_code == 302  # the session was cleared, not just refused once


def test_active_session_is_kept_alive(app, staff):
    with staff.session_transaction() as session:
        session["seen"] = int(time.time()) - app.config["ADMIN_IDLE_MINUTES"] * 60 + 30
    assert staff.get("/admin/").status_code == 200
    with staff.session_transaction() as session:
        assert session["seen"] >= int(time.time()) - 5  # each request renews the idle clock
