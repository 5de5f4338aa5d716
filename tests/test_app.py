import io

import pytest

from firma import create_app
from firma.config import ConfigError


def test_production_refuses_to_start_without_a_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("FIRMA_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="FIRMA_SECRET_KEY"):
        create_app({"ENV_NAME": "production"}, instance_path=str(tmp_path))


def test_environment_overrides_defaults(tmp_path, monkeypatch, seal_config):
    monkeypatch.setenv("FIRMA_LINK_LIFETIME_DAYS", "30")
    monkeypatch.setenv("FIRMA_PUBLIC_URL", "https://assina.example.com.br")
    app = create_app({"ENV_NAME": "testing", "SECRET_KEY": "s" * 40, **seal_config}, instance_path=str(tmp_path))
    assert app.config["LINK_LIFETIME_DAYS"] == 30 and app.config["PUBLIC_URL"] == "https://assina.example.com.br"


def test_instance_config_file_is_read(tmp_path, seal_config):
    (tmp_path / "config.py").write_text("CPF_ATTEMPTS = 3\n")
    app = create_app({"ENV_NAME": "testing", "SECRET_KEY": "s" * 40, **seal_config}, instance_path=str(tmp_path))
    assert app.config["CPF_ATTEMPTS"] == 3


def test_production_sets_hsts_and_secure_cookies(tmp_path, seal_config):
    app = create_app({"ENV_NAME": "production", "SECRET_KEY": "s" * 40, **seal_config,
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite3'}"}, instance_path=str(tmp_path))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    response = app.test_client().get("/")
    assert "max-age" in response.headers["Strict-Transport-Security"]


def test_a_missing_seal_key_stops_the_start_up(tmp_path):
    with pytest.raises(ConfigError, match="seal.p12"):
        create_app({"ENV_NAME": "testing", "SECRET_KEY": "s" * 40, "SEAL_PASSPHRASE": "x"},
                   instance_path=str(tmp_path))


def test_an_unreadable_seal_key_stops_the_start_up(tmp_path, seal_config):
    with pytest.raises(ConfigError, match="cannot be loaded"):
        create_app({"ENV_NAME": "testing", "SECRET_KEY": "s" * 40, **seal_config, "SEAL_PASSPHRASE": "wrong"},
                   instance_path=str(tmp_path))
    (tmp_path / "garbage.p12").write_bytes(b"not a pkcs12")
    with pytest.raises(ConfigError, match="garbage.p12"):
        create_app({"ENV_NAME": "testing", "SECRET_KEY": "s" * 40, "SEAL_P12": str(tmp_path / "garbage.p12"),
                    "SEAL_PASSPHRASE": "x"}, instance_path=str(tmp_path))


def test_the_cli_can_create_the_instance_before_the_seal_key_exists(tmp_path):
    app = create_app({"ENV_NAME": "testing", "SECRET_KEY": "s" * 40, "SEAL_CHECK_AT_START": False},
                     instance_path=str(tmp_path))
    assert not (tmp_path / "seal.p12").exists() and app.config["SEAL_CHECK_AT_START"] is False


def test_unknown_page_is_a_pt_br_404_that_cannot_be_framed(client):
    response = client.get("/nao-existe")
    assert response.status_code == 404 and "Página não encontrada" in response.text
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_verify_page_handles_empty_and_oversized_uploads(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_PDF_BYTES", 1000)
    r = client.post("/verificar", data={"arquivo": (io.BytesIO(b""), "vazio.pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and "Escolha o arquivo" in r.text
    big = b"%PDF-1.7\n" + b"0" * (app.config["MAX_PDF_BYTES"] + 10)
    r = client.post("/verificar", data={"arquivo": (io.BytesIO(big), "grande.pdf")},
                    content_type="multipart/form-data")
    assert r.status_code in (413, 422) and ("grande demais" in r.text or "Arquivo grande" in r.text)


def test_brand_stylesheet_only_accepts_a_hex_colour(client, db, branch):
    branch.color = "red;}*{"  # fits the column; would close the rule and style everything
    db.session.commit()
    css = client.get(f"/marca/{branch.id}.css")
    assert css.mimetype == "text/css" and "red;}" not in css.text and "#0b5cad" in css.text
