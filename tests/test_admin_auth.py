"""Staff sign-in, the sign-in guard, the login rate limit and the 403 page for every forbidden action."""
import pytest

from firma.envelopes import create
from tests.admin_client import csrf_token, log_in, post
from tests.conftest import PASSWORD

# (method, url) a viewer may not use; ids are created by the `records` fixture below.
FORBIDDEN_FOR_VIEWER = [
    ("GET", "/admin/usuarios"), ("GET", "/admin/usuarios/novo"), ("POST", "/admin/usuarios/novo"),
    ("GET", "/admin/integracoes/nova"), ("GET", "/admin/integracoes/{integration}"),
    ("POST", "/admin/integracoes/{integration}/token"), ("POST", "/admin/parametros"),
    ("GET", "/admin/filiais/nova"), ("GET", "/admin/filiais/{branch}"),
    ("GET", "/admin/clientes/novo"), ("POST", "/admin/clientes/{customer}"), ("GET", "/admin/contatos/novo"),
    ("GET", "/admin/contratos/novo"), ("POST", "/admin/contratos/{contract}"),
    ("POST", "/admin/contratos/{contract}/termos"), ("GET", "/admin/ordens/nova"), ("GET", "/admin/assuntos/novo"),
    ("GET", "/admin/modelos/novo"), ("GET", "/admin/modelos/{template}"), ("POST", "/admin/modelos/previa"),
    ("POST", "/admin/assinaturas/{envelope}/sincronizar"), ("POST", "/admin/assinaturas/{envelope}/reenviar"),
    ("POST", "/admin/assinaturas/{envelope}/contato"), ("POST", "/admin/assinaturas/{envelope}/cancelar"),
    ("POST", "/admin/assinaturas/{envelope}/finalizar"), ("POST", "/admin/lotes"),
]


@pytest.fixture()
def records(db, make_contract, integration):
    from firma.platform import outbox
    contract = make_contract()
    envelope = create.create_for_contract(contract)
    outbox.commit()
    return {"integration": integration.id, "branch": contract.branch_id, "customer": contract.customer_id,
            "contract": contract.id, "template": contract.template_id, "envelope": envelope.id}


@pytest.fixture()
def viewer(app, make_user):
    user = make_user("viewer@isp.test", role="viewer")
    client = app.test_client()
    log_in(client, user.email, PASSWORD)
    return client


def test_login_page_and_guard(client):
    assert "Acesso da equipe" in client.get("/admin/entrar").get_data(as_text=True)
    response = client.get("/admin/contratos")
    assert response.status_code == 302 and "/admin/entrar" in response.headers["Location"]


def test_wrong_password_is_refused(client, make_user):
    user = make_user()
    token = csrf_token(client, "/admin/entrar")
    response = client.post("/admin/entrar", data={"email": user.email, "password": "errada-123456",
                                                  "csrf_token": token})
    assert response.status_code == 422
    assert "E-mail ou senha incorretos." in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_login_without_csrf_is_refused(client, make_user):
    user = make_user()
    response = client.post("/admin/entrar", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302


def test_login_logout_and_inactive_user(staff, db):
    assert staff.get("/admin/").status_code == 200
    assert staff.user.last_login_at is not None or db.session.get(type(staff.user), staff.user.id).last_login_at
    staff.user.active = False
    db.session.commit()
    assert staff.get("/admin/").status_code == 302


def test_logout(staff):
    assert post(staff, "/admin/sair").status_code == 302
    assert staff.get("/admin/").status_code == 302


def test_next_is_followed_only_inside_admin(client, make_user):
    user = make_user()
    token = csrf_token(client, "/admin/entrar")
    response = client.post("/admin/entrar?next=//evil.example/x",
                           data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/admin/"


def test_password_is_stored_hashed(make_user):
    user = make_user()
    assert PASSWORD not in user.password_hash and user.password_hash.startswith(("scrypt:", "pbkdf2:"))


@pytest.mark.parametrize(("method", "url"), FORBIDDEN_FOR_VIEWER)
def test_viewer_gets_403_page(viewer, records, method, url):
    url = url.format(**records)
    response = viewer.get(url) if method == "GET" else post(viewer, url, {"action": "send", "ids": "1"})
    assert response.status_code == 403
    body = response.get_data(as_text=True)
    assert "Acesso negado" in body and "Você não tem permissão" in body


@pytest.mark.parametrize("url", ["/admin/", "/admin/contratos", "/admin/historico", "/admin/clientes",
                                 "/admin/integracoes", "/admin/filiais", "/admin/modelos", "/admin/ordens",
                                 "/admin/parametros", "/admin/contatos", "/admin/conta"])
def test_viewer_can_read(viewer, url):
    assert viewer.get(url).status_code == 200
