"""Signature history: filters, search, pages, CSV, the envelope detail and its actions, and downloads."""
from datetime import timedelta

from sqlalchemy import func, select

from firma.envelopes import create, lifecycle, links
from firma.models import Delivery, Envelope, Event, utcnow
from firma.platform import outbox
from tests.admin_client import post


def make_envelope(make_contract, **kw) -> Envelope:
    envelope = create.create_for_contract(make_contract(**kw))
    outbox.commit()
    return envelope


def test_history_filters_pages_and_csv(staff, db, make_contract, make_customer):
    first = make_envelope(make_contract, customer=make_customer(name="Beatriz Lima"))
    second = make_envelope(make_contract, customer=make_customer(name="Carlos Dias", cpf="15350946056"))
    lifecycle.cancel(second, reason="Desistiu")
    outbox.commit()
    page = staff.get("/admin/historico").get_data(as_text=True)
    assert first.public_code in page and second.public_code in page
    only_pending = staff.get("/admin/historico?status=pending").get_data(as_text=True)
    assert first.public_code in only_pending and second.public_code not in only_pending
    by_cpf = staff.get("/admin/historico?q=153.509").get_data(as_text=True)
    assert second.public_code in by_cpf and first.public_code not in by_cpf
    by_name = staff.get("/admin/historico?q=beatriz", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert by_name.lstrip().startswith('<div id="history-rows">') and first.public_code in by_name
    tomorrow = (utcnow() + timedelta(days=2)).date().isoformat()
    assert "Nenhuma assinatura" in staff.get(f"/admin/historico?de={tomorrow}").get_data(as_text=True)
    csv = staff.get("/admin/historico.csv?status=cancelled")
    assert csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Código;Documento;Situação") and len(lines) == 2 and "Cancelado" in lines[1]
    assert lines[1].split(";")[4] == second.integration.description  # the integration by name, not its id


def test_history_pagination(staff, db, make_contract):
    from firma.envelopes import history
    codes = [make_envelope(make_contract).public_code for _ in range(3)]
    result = history.page(history.Filters(), 2, size=2)
    assert (result.page, result.pages, result.total, len(result.items)) == (2, 2, 3, 1)
    assert result.items[0].public_code == codes[0]
    assert "Página 1 de 1" not in staff.get("/admin/historico").get_data(as_text=True)


def test_envelope_detail_and_downloads(staff, db, make_contract):
    envelope = make_envelope(make_contract, witness=True)
    page = staff.get(f"/admin/assinaturas/{envelope.id}").get_data(as_text=True)
    assert "Testemunha Um" in page and "Envelope criado" in page and "Cadeia de hashes íntegra" in page
    with staff.get(f"/admin/assinaturas/{envelope.id}/original.pdf") as original:
        assert original.status_code == 200 and original.data.startswith(b"%PDF")
    manifest = staff.get(f"/admin/assinaturas/{envelope.id}/manifesto.pdf")
    assert manifest.status_code == 200 and manifest.data.startswith(b"%PDF")
    assert staff.get(f"/admin/assinaturas/{envelope.id}/final.pdf").status_code == 404
    assert staff.get("/admin/assinaturas/9999").status_code == 404


def test_sync_pending_says_who_is_missing(staff, db, make_contract):
    envelope = make_envelope(make_contract)
    response = post(staff, f"/admin/assinaturas/{envelope.id}/sincronizar")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Sincronização" in body
    assert envelope.signers[0].name in body.split("sync-report")[1].split("</section>")[0]


def test_resend_on_other_channel(staff, db, make_contract):
    envelope = make_envelope(make_contract)
    signer = envelope.signers[0]
    assert post(staff, f"/admin/assinaturas/{envelope.id}/reenviar",
                {"signer_id": signer.id, "channel": "email"}).status_code == 302
    delivery = db.session.scalar(select(Delivery).where(Delivery.signer_id == signer.id))
    assert (delivery.channel, delivery.purpose, delivery.target) == ("email", "resend", signer.email)
    assert post(staff, f"/admin/assinaturas/{envelope.id}/reenviar", {"signer_id": 999, "channel": ""}).status_code == 404


def test_update_contact_and_resend_kills_the_old_link(staff, db, make_contract):
    envelope = make_envelope(make_contract)
    signer = envelope.signers[0]
    old = links.issue(signer)
    outbox.commit()
    response = post(staff, f"/admin/assinaturas/{envelope.id}/contato",
                    {"signer_id": signer.id, "email": "novo@example.com", "phone": "", "channel": "email"})
    assert response.status_code == 302
    db.session.refresh(signer)
    assert signer.email == "novo@example.com" and signer.channel == "email"
    assert links.find_signer(old) is None
    assert db.session.scalar(select(Delivery).where(Delivery.signer_id == signer.id)).target == "novo@example.com"
    bad = post(staff, f"/admin/assinaturas/{envelope.id}/contato",
               {"signer_id": signer.id, "email": "x@", "channel": "email"})
    assert bad.status_code == 422 and "E-mail inválido." in bad.get_data(as_text=True)


def test_cancel_needs_reason_and_a_pending_envelope(staff, db, make_contract):
    envelope = make_envelope(make_contract)
    assert post(staff, f"/admin/assinaturas/{envelope.id}/cancelar", {"reason": ""}).status_code == 422
    assert post(staff, f"/admin/assinaturas/{envelope.id}/cancelar", {"reason": "Cliente desistiu"}).status_code == 302
    db.session.refresh(envelope)
    assert envelope.status == "cancelled" and envelope.cancel_reason == "Cliente desistiu"
    again = post(staff, f"/admin/assinaturas/{envelope.id}/cancelar", {"reason": "de novo"})
    assert again.status_code == 422 and "pendente" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Event).where(
        Event.envelope_id == envelope.id, Event.type == "envelope.cancelled")) == 1
