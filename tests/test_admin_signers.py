"""The envelope's signers from the panel: a validator added and approving, a new link handed over once."""
import re

from sqlalchemy import select

from firma.envelopes import create, links
from firma.models import Delivery, Event
from firma.platform import outbox
from firma.evidence.audit import SYSTEM
from firma.signing import actions, steps
from tests.admin_client import post
from tests.conftest import valid_cpf

URL = re.compile(r'id="handed-url"[^>]*value="([^"]+)"')


def make_envelope(make_contract):
    envelope = create.create_for_contract(make_contract())
    outbox.commit()
    return envelope


def test_new_link_is_shown_once_kills_the_old_one_and_is_an_event(staff, db, make_contract):
    envelope = make_envelope(make_contract)
    signer = next(s for s in envelope.signers if s.role == "client")
    old = links.issue(signer)
    outbox.commit()
    response = post(staff, f"/admin/assinaturas/{envelope.id}/novo-link", {"signer_id": signer.id})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    url = URL.search(body).group(1)
    token = url.rsplit("/", 1)[1]
    assert links.find_signer(token).id == signer.id and links.find_signer(old) is None
    assert "Copiar link" in body and "não será mostrado de novo" in body
    event = db.session.scalar(select(Event).where(Event.envelope_id == envelope.id, Event.type == "signer.link_handed"))
    assert event.signer_id == signer.id and event.data["by"] == staff.user.email
    assert "Novo link gerado pela equipe" in staff.get(f"/admin/assinaturas/{envelope.id}").get_data(as_text=True)
    # Shown once: the page opened again carries no URL.
    assert URL.search(staff.get(f"/admin/assinaturas/{envelope.id}").get_data(as_text=True)) is None
    assert post(staff, f"/admin/assinaturas/{envelope.id}/novo-link", {"signer_id": 999}).status_code == 404


def test_no_new_link_for_a_finished_signer(staff, db, make_contract):
    envelope = make_envelope(make_contract)
    done = envelope.signers[0]
    actions.decline(done, "Não concordo", SYSTEM)
    outbox.commit()
    response = post(staff, f"/admin/assinaturas/{envelope.id}/novo-link", {"signer_id": done.id})
    assert response.status_code == 422 and "não há link para gerar" in response.get_data(as_text=True)


def test_validator_is_added_last_gets_a_link_and_approves_without_signature(staff, db, make_contract):
    envelope = make_envelope(make_contract)
    bad = post(staff, f"/admin/assinaturas/{envelope.id}/validadores",
               {"name": "Vera", "cpf": "111.111.111-11", "email": "x@", "channel": ""})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "CPF inválido" in text and 'id="validator-cpf-error"' in text
    response = post(staff, f"/admin/assinaturas/{envelope.id}/validadores",
                    {"name": "Vera Souza", "cpf": valid_cpf(7), "email": "vera@example.com", "channel": "email"})
    assert response.status_code == 302
    db.session.refresh(envelope)
    validator = envelope.signers[-1]
    assert (validator.role, validator.name, validator.order) == ("validator", "Vera Souza", len(envelope.signers))
    assert "signature" not in steps.steps_for(validator)
    assert db.session.scalar(select(Delivery).where(Delivery.signer_id == validator.id)).target == "vera@example.com"
    assert db.session.scalar(select(Event).where(Event.signer_id == validator.id, Event.type == "signer.added"))
