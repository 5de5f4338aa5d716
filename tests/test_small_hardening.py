"""Small hardening: CSV formulas neutralised, weak production secrets refused, bidi controls stripped, CR/LF
e-mails refused."""
import csv
import io

import pytest

from firma import create_app
from firma.config import ConfigError
from firma.delivery import messages
from firma.envelopes import create, history, lifecycle
from firma.evidence import manifest
from firma.platform.errors import Refusal
from firma.platform.outbox import commit
from firma.platform.text import csv_cell, strip_bidi

RLO_NAME = "Maria \u202eFDP.exe\u202c da \u2067Silva\u2069\u200f"


@pytest.mark.parametrize("value", ["=1+1", "+55 19 9999", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1",
                                   "=cmd|' /C calc'!A0"])
def test_formula_like_cells_get_an_apostrophe(value):
    assert csv_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Contrato 12", "", 42, None, "Jo=ão"])
def test_other_cells_are_unchanged(value):
    assert csv_cell(value) == value


def test_history_csv_neutralises_hostile_names(make_contract, make_customer, branch, db):
    branch.name = "@SUM(1+1)*cmd|' /C calc'!A0"
    db.session.commit()
    create.create_for_contract(make_contract(make_customer(name="=HYPERLINK(\"http://evil\";\"x\")")))
    commit()
    rows = list(csv.reader(io.StringIO(history.csv_text(history.Filters())), delimiter=";"))
    (row,) = rows[1:]
    assert row[3] == "'" + branch.name
    assert row[8].startswith("'=HYPERLINK")
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


@pytest.mark.parametrize("secret", ["x", "s" * 31, "ç" * 15])
def test_production_refuses_a_short_secret_and_says_how_to_set_one(tmp_path, seal_config, secret):
    with pytest.raises(ConfigError) as info:
        create_app({"ENV_NAME": "production", "SECRET_KEY": secret, **seal_config}, instance_path=str(tmp_path))
    assert "32 bytes" in str(info.value) and "FIRMA_SECRET_KEY" in str(info.value)
    assert "secrets.token_urlsafe" in str(info.value)


def test_production_accepts_a_32_byte_secret(tmp_path, seal_config):
    app = create_app({"ENV_NAME": "production", "SECRET_KEY": "s" * 32, **seal_config,
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite3'}"}, instance_path=str(tmp_path))
    assert app.config["SECRET_KEY"] == "s" * 32


def test_strip_bidi_removes_every_direction_control():
    assert strip_bidi(RLO_NAME) == "Maria FDP.exe da Silva"
    assert strip_bidi(None) is None and strip_bidi("") == ""


def test_bidi_controls_stay_out_of_subjects_and_the_manifest(make_contract, make_customer, branch, integration, db):
    integration.email_subject_client = "Contrato de {{ cliente.nome }} para assinar"
    branch.name = "Fibra \u202eTeste"
    db.session.commit()
    envelope = create.create_for_contract(make_contract(make_customer(name=RLO_NAME)))
    commit()
    signer = envelope.signers[0]
    subject = messages.link_message(signer, "http://firma.test/s/x").subject
    assert subject == "Contrato de Maria FDP.exe da Silva para assinar"
    assert "\u202e" not in messages.completed_message(signer).subject
    data = manifest.collect(envelope, public_url="http://firma.test")
    assert data.signers[0].name == "Maria FDP.exe da Silva" and data.branch_name == "Fibra Teste"
    assert all(e.signer_name is None or "\u202e" not in e.signer_name for e in data.events)
    assert all("\u202e" not in a["signer_name"] for a in manifest.artifacts_of(envelope))


@pytest.mark.parametrize("email", ["cliente@example.com\r\nBcc: todos@evil.test", "cliente@example.com\nX: y",
                                   "cli\rente@example.com"])
def test_signer_e_mail_with_cr_or_lf_is_refused(email, make_contract, make_customer, db):
    contract = make_contract(make_customer(email=email, phone=None))
    with pytest.raises(Refusal) as info:
        create.create_for_contract(contract)
    assert info.value.field == "email"
    db.session.rollback()


def test_corrected_signer_e_mail_with_cr_lf_is_refused(make_contract, db):
    envelope = create.create_for_contract(make_contract())
    commit()
    with pytest.raises(Refusal) as info:
        lifecycle.update_contact(envelope.signers[0], email="a@example.com\r\nBcc: b@evil.test", phone=None,
                                 channel="email")
    assert info.value.field == "email"
