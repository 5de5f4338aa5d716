"""Integrations (tabs, token shown once, previews), general parameters, branches, users and my account."""
import io

from PIL import Image
from sqlalchemy import select

from firma.models import Branch, Integration, Settings, User
from firma.org import api_tokens
from firma.platform.tokens import hash_token
from firma.signing import automatic
from tests.admin_client import post
from tests.images import signature_data_url


def test_integration_create_and_every_tab(staff, db, make_user):
    response = post(staff, "/admin/integracoes/nova", {"description": "ERP Principal", "integrator": "IXC",
                                                       "active": "y"})
    assert response.status_code == 302
    integration = db.session.scalar(select(Integration))
    rep, wit = make_user("rep@isp.test"), make_user("wit@isp.test")
    config = {"send_method": "service_order", "require_selfie": "y", "geolocation": "required",
              "representative_id": rep.id, "witness_id": wit.id, "link_lifetime_days": 7,
              "reminder_every_days": 1, "reminder_max": 2}
    assert post(staff, f"/admin/integracoes/{integration.id}?aba=configuracoes", config).status_code == 302
    db.session.refresh(integration)
    assert (integration.send_method, integration.require_selfie, integration.require_document_photo,
            integration.representative_id, integration.link_lifetime_days) == ("service_order", True, False, rep.id, 7)
    same = post(staff, f"/admin/integracoes/{integration.id}?aba=configuracoes", {**config, "witness_id": rep.id})
    assert same.status_code == 422 and "pessoas diferentes" in same.get_data(as_text=True)
    bad = post(staff, f"/admin/integracoes/{integration.id}?aba=configuracoes", {**config, "link_lifetime_days": 0})
    assert bad.status_code == 422
    assert post(staff, f"/admin/integracoes/{integration.id}?aba=portal",
                {"allowed_origins": "https://central.isp.com.br/\nhttp://portal.test:8080"}).status_code == 302
    db.session.refresh(integration)
    assert integration.origins == ["https://central.isp.com.br", "http://portal.test:8080"]
    bad = post(staff, f"/admin/integracoes/{integration.id}?aba=portal", {"allowed_origins": "javascript:alert(1)"})
    assert bad.status_code == 422 and "Origem inválida" in bad.get_data(as_text=True)
    bad = post(staff, f"/admin/integracoes/{integration.id}?aba=webhook",
               {"webhook_url": "https://erp.isp/hook", "webhook_secret": "curto"})
    assert bad.status_code == 422 and "16 caracteres" in bad.get_data(as_text=True)
    assert post(staff, f"/admin/integracoes/{integration.id}?aba=webhook",
                {"webhook_url": "https://erp.isp/hook", "webhook_secret": "s" * 32}).status_code == 302
    assert "ERP Principal" in staff.get("/admin/integracoes").get_data(as_text=True)
    assert staff.get(f"/admin/integracoes/{integration.id}?aba=nada").status_code == 404


def test_notifications_tab_validates_and_previews(staff, db, integration):
    url = f"/admin/integracoes/{integration.id}?aba=notificacoes"
    page = staff.get(url).get_data(as_text=True)
    assert "Prévia com dados de exemplo" in page and "Maria da Silva" in page
    bad = post(staff, url, {"whatsapp_provider": "console", "email_body_client": "Olá {{ cliente.nme }}"})
    assert bad.status_code == 422 and "cliente.nme" in bad.get_data(as_text=True).replace("&#39;", "'")
    assert post(staff, url, {"whatsapp_provider": "console",
                             "whatsapp_text_client": "Oi {{ signatario.nome }}: {{ link }}"}).status_code == 302
    live = post(staff, f"/admin/integracoes/{integration.id}/previa",
                {"campo": "email_subject_client", "email_subject_client": "Contrato de {{ cliente.nome }}"})
    assert "Contrato de Maria da Silva" in live.get_data(as_text=True)


def test_integration_token_is_shown_once_and_stored_hashed(staff, db, integration):
    response = post(staff, f"/admin/integracoes/{integration.id}/token")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "não será mostrado novamente" in body
    token = body.split('id="new-token">')[1].split("<")[0]
    db.session.refresh(integration)
    assert integration.token_hash == hash_token(token) and integration.token_hint == token[:6]
    assert token not in staff.get(f"/admin/integracoes/{integration.id}").get_data(as_text=True)
    post(staff, f"/admin/integracoes/{integration.id}/token")
    db.session.refresh(integration)
    assert integration.token_hash != hash_token(token) and api_tokens.find_integration(token) is None


def test_general_parameters(staff, db):
    assert post(staff, "/admin/parametros", {"company_name": "Fibra Boa"}).status_code == 302
    settings = Settings.get(staff.user.organization_id)
    assert settings.company_name == "Fibra Boa" and settings.digital_signature_default is False
    assert post(staff, "/admin/parametros", {"company_name": ""}).status_code == 422


def png_bytes(fmt="JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (900, 300), (200, 10, 10)).save(out, fmt)
    return out.getvalue()


def test_branch_with_logo_and_colour(staff, db, integration):
    data = {"name": "Filial Centro", "cnpj": "11.222.333/0001-81", "color": "#AA3300",
            "integration_id": integration.id, "logo": (io.BytesIO(png_bytes()), "logo.jpg")}
    response = post(staff, "/admin/filiais/nova", data, content_type="multipart/form-data")
    assert response.status_code == 302
    branch = db.session.scalar(select(Branch))
    assert branch.color == "#aa3300" and branch.integration_id == integration.id
    with Image.open(io.BytesIO(branch.logo_png)) as logo:
        assert logo.format == "PNG" and max(logo.size) <= 600
    bad = post(staff, "/admin/filiais/nova", {**data, "color": "red", "logo": (io.BytesIO(b"x"), "a.png")},
               content_type="multipart/form-data")
    assert bad.status_code == 422 and "#rrggbb" in bad.get_data(as_text=True)
    bad = post(staff, "/admin/filiais/nova", {**data, "logo": (io.BytesIO(b"not an image"), "a.png")},
               content_type="multipart/form-data")
    assert bad.status_code == 422 and "imagem PNG, JPEG ou WebP" in bad.get_data(as_text=True)
    bad = post(staff, "/admin/filiais/nova", {**data, "cnpj": "11.222.333/0001-00", "logo": None},
               content_type="multipart/form-data")
    assert bad.status_code == 422 and "CNPJ inválido" in bad.get_data(as_text=True)
    assert "Filial Centro" in staff.get("/admin/filiais").get_data(as_text=True)


def test_users_and_permissions(staff, db):
    response = post(staff, "/admin/usuarios/novo", {"name": "Op", "email": "op@isp.com.br", "role": "viewer",
                                                    "extra_permissions": ["sync"], "active": "y",
                                                    "password": "curta"})
    assert response.status_code == 422 and "10 caracteres" in response.get_data(as_text=True)
    assert post(staff, "/admin/usuarios/novo", {"name": "Op", "email": "op@isp.com.br", "role": "viewer",
                                                "extra_permissions": ["sync"], "active": "y",
                                                "password": "uma-senha-longa"}).status_code == 302
    user = db.session.scalar(select(User).where(User.email == "op@isp.com.br"))
    assert user.can("sync") and not user.can("send")
    dup = post(staff, "/admin/usuarios/novo", {"name": "X", "email": "OP@isp.com.br", "role": "viewer",
                                               "password": "uma-senha-longa"})
    assert dup.status_code == 422 and "Não foi possível usar este e-mail" in dup.get_data(as_text=True)
    assert "op@isp.com.br" in staff.get("/admin/usuarios").get_data(as_text=True)


def test_stored_signature_and_personal_token(staff, db):
    blank = post(staff, "/admin/conta/assinatura", {"signature": ""})
    assert blank.status_code == 422 and "Desenhe sua assinatura" in blank.get_data(as_text=True)
    assert post(staff, "/admin/conta/assinatura", {"signature": signature_data_url()}).status_code == 302
    assert staff.get("/admin/conta/assinatura.png").headers["Content-Type"] == "image/png"
    body = post(staff, "/admin/conta/token").get_data(as_text=True)
    token = body.split('id="new-token">')[1].split("<")[0]
    user = db.session.get(User, staff.user.id)
    db.session.refresh(user)
    assert user.api_token_hash == hash_token(token) and automatic.can_sign_automatically(user)
    assert token not in staff.get("/admin/conta").get_data(as_text=True)
    post(staff, "/admin/conta/token/revogar")
    db.session.refresh(user)
    assert user.api_token_hash is None and not automatic.can_sign_automatically(user)
