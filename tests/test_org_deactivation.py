"""A deactivated organization stops: staff, API tokens, signing links and jobs; reactivation restores it all."""
import json
import re
from datetime import timedelta

from flask import g

from api.openapi import document
from firma.delivery import deliveries, reminders, webhooks
from firma.envelopes import batches, create, lifecycle
from firma.evidence import audit
from firma.models import Batch, Delivery, Envelope, Event, EventType, Organization, SignerStatus, utcnow
from firma.org import api_tokens, deactivation
from firma.platform.outbox import commit
from firma.sealing import finalise
from tests.admin_client import csrf_token, log_in, post
from tests.conftest import PASSWORD
from tests.flow import client_signer, link_for
from tests.http_stub import HttpStub


def switch(db, organization, active: bool, reason="Inadimplência"):
    if active:
        deactivation.activate(organization.id, by="teste")
    else:
        deactivation.deactivate(organization.id, reason, by="teste")
    commit()
    db.session.refresh(organization)


def test_cli_deactivates_and_reactivates_recording_who_when_and_why(app, db, organization):
    runner = app.test_cli_runner()
    done = runner.invoke(args=["org", "deactivate", str(organization.id), "--reason", "Contrato encerrado"])
    assert done.exit_code == 0, done.output
    line = json.loads(done.output)
    assert line["active"] is False and line["reason"] == "Contrato encerrado" and line["by"].startswith("cli")
    db.session.refresh(organization)
    assert not organization.active and organization.status_reason == "Contrato encerrado"
    assert organization.status_changed_at is not None and organization.status_changed_by.startswith("cli")
    assert runner.invoke(args=["org", "deactivate", str(organization.id)]).exit_code == 2  # no reason
    again = runner.invoke(args=["org", "deactivate", str(organization.id), "--reason", "x"])
    assert again.exit_code == 2 and "já está desativado" in again.output
    missing = runner.invoke(args=["org", "activate", "999999"])
    assert missing.exit_code == 2 and "não encontrado" in missing.output
    back = runner.invoke(args=["org", "activate", str(organization.id)])
    assert back.exit_code == 0, back.output
    db.session.refresh(organization)
    assert organization.active
    listed = [json.loads(x) for x in runner.invoke(args=["org", "list"]).output.splitlines()]
    assert all(row["active"] for row in listed)


def test_staff_sessions_end_and_sign_in_is_refused_until_reactivation(app, db, organization, staff):
    assert staff.get("/admin/").status_code == 200
    switch(db, organization, False)
    ended = staff.get("/admin/")
    assert ended.status_code == 302 and "/admin/entrar" in ended.headers["Location"]
    assert "Este provedor está desativado. Fale com o suporte." in staff.get(ended.headers["Location"]).text
    assert staff.get("/admin/").status_code == 302  # the session is gone, not just paused
    fresh = app.test_client()
    g.pop("csrf_token", None)
    fresh.csrf = csrf_token(fresh, "/admin/entrar")
    refused = post(fresh, "/admin/entrar", {"email": staff.user.email, "password": PASSWORD})
    assert refused.status_code == 403 and "Este provedor está desativado. Fale com o suporte." in refused.text
    wrong = post(fresh, "/admin/entrar", {"email": staff.user.email, "password": "errada"})
    assert wrong.status_code == 422 and "desativado" not in wrong.text  # says nothing without the password
    switch(db, organization, True)
    g.pop("csrf_token", None)
    log_in(app.test_client(), staff.user.email, PASSWORD)


def test_operator_page_deactivates_with_a_reason_and_operators_keep_access(app, db, organization, other_organization,
                                                                           make_user):
    operator = make_user("operator@firma.test", is_operator=True)
    client = app.test_client()
    g.pop("csrf_token", None)
    log_in(client, operator.email, PASSWORD)
    page = client.get("/admin/provedores")
    assert "Confirmar desativação" in page.text
    url = f"/admin/provedores/{other_organization.id}/desativar"
    no_reason = post(client, url, {"reason": ""})
    assert no_reason.status_code == 422 and "Informe o motivo da desativação" in no_reason.text
    db.session.refresh(other_organization)
    assert other_organization.active
    done = post(client, url, {"reason": "Pedido do cliente"})
    assert done.status_code == 302
    db.session.refresh(other_organization)
    assert not other_organization.active and other_organization.status_changed_by == operator.email
    assert other_organization.status_reason == "Pedido do cliente"
    shown = client.get("/admin/provedores").text
    assert "Desativado" in shown and "Pedido do cliente" in shown and "Confirmar reativação" in shown
    # an operator whose own organization is deactivated still reaches the operator page
    switch(db, organization, False)
    assert client.get("/admin/provedores").status_code == 200
    back = post(client, f"/admin/provedores/{other_organization.id}/ativar", {"reason": ""})
    assert back.status_code == 302
    db.session.refresh(other_organization)
    assert other_organization.active


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)  # any value: the organization is refused before the row is looked up


def test_api_tokens_get_a_403_problem_on_every_operation(client, db, organization, integration):
    token = api_tokens.rotate_token(integration)
    commit()
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/customers", headers=auth).status_code == 200
    switch(db, organization, False)
    operations = [(p, m) for p, ops in document()["paths"].items() for m in ops]
    assert len(operations) > 10
    for path, method in operations:
        url = _fill(path)
        answer = client.open(f"/api/v1{url}", method=method.upper(), headers=auth, json={})
        assert answer.status_code == 403, (method, path, answer.status_code, answer.text[:200])
        assert answer.mimetype == "application/problem+json" and answer.json["title"] == "Provedor desativado"
    wrong = client.get("/api/v1/customers", headers={"Authorization": "Bearer nao-existe"})
    assert wrong.status_code == 401  # an unknown token is still a 401
    switch(db, organization, True)
    assert client.get("/api/v1/customers", headers=auth).status_code == 200


def test_signing_links_show_a_friendly_page_and_keep_the_evidence(client, db, organization, envelope):
    signer = client_signer(envelope)
    token = link_for(signer)
    assert client.get(f"/s/{token}").status_code == 200
    events = Event.query.filter_by(envelope_id=envelope.id).count()
    switch(db, organization, False)
    for url in (f"/s/{token}", f"/s/{token}/read", f"/embed/{token}", f"/s/{token}/documento.pdf"):
        page = client.get(url)
        assert page.status_code == 403 and "Este documento não está disponível no momento." in page.text, url
    refused = client.post(f"/s/{token}/welcome", data={"cpf": signer.cpf})
    assert refused.status_code == 403
    db.session.expire_all()
    assert Event.query.filter_by(envelope_id=envelope.id).count() == events  # nothing recorded, nothing lost
    switch(db, organization, True)
    assert client.get(f"/s/{token}").status_code == 200


def test_messages_and_reminders_wait_and_resume_after_reactivation(db, organization, sent):
    signer = sent.signers[0]
    start = signer.last_sent_at
    switch(db, organization, False)
    assert reminders.sweep(start + timedelta(days=3)).reminders == 0
    row = deliveries.send_link(signer, purpose="resend")
    commit()
    db.session.refresh(row)
    assert row.status == "queued" and row.attempts == 0  # nothing left
    later = utcnow() + timedelta(minutes=5)
    assert deliveries.sweep(later.isoformat())["requeued"] == 0
    switch(db, organization, True)
    assert deliveries.sweep(later.isoformat())["requeued"] == 1
    db.session.refresh(row)
    assert row.status == "sent"
    assert reminders.sweep(start + timedelta(days=3)).reminders == 1


def test_webhooks_wait_and_resume_after_reactivation(db, organization, integration, make_contract):
    with HttpStub() as erp:
        integration.webhook_url, integration.webhook_secret = f"{erp.url}/hook", "whsec_teste"
        db.session.commit()
        envelope = create.create_for_contract(make_contract())
        commit()
        posted = len(erp.requests)
        switch(db, organization, False)
        lifecycle.cancel(envelope, reason="Cliente desistiu")
        commit()
        rows = Delivery.query.filter_by(envelope_id=envelope.id, channel="webhook", purpose="envelope.cancelled").all()
        assert [r.status for r in rows] == ["queued"] and len(erp.requests) == posted
        later = utcnow() + timedelta(minutes=5)
        assert webhooks.sweep(later.isoformat())["requeued"] == 0 and len(erp.requests) == posted
        switch(db, organization, True)
        assert webhooks.sweep(later.isoformat())["requeued"] == 1
        db.session.refresh(rows[0])
        assert rows[0].status == "sent" and len(erp.requests) == posted + 1


def test_batches_wait_and_resume_after_reactivation(db, organization, make_contract):
    contract = make_contract()
    switch(db, organization, False)
    batch = batches.start("check_status", [contract.id])
    commit()
    db.session.expire_all()
    batch = db.session.get(Batch, batch.id)
    assert batch.status != "done" and [i.status for i in batch.items] == ["pending"]
    batches.run_item(batch.id, batch.items[0].id)  # an item job queued before the deactivation waits too
    db.session.expire_all()
    assert db.session.get(Batch, batch.id).items[0].status == "pending"
    switch(db, organization, True)
    db.session.expire_all()
    batch = db.session.get(Batch, batch.id)
    assert batch.status == "done" and [i.status for i in batch.items] != ["pending"]


def test_fully_signed_envelopes_are_still_sealed_but_copies_wait(db, organization, make_contract):
    envelope = create.create_for_contract(make_contract())
    commit()
    switch(db, organization, False)
    for signer in envelope.signers:
        signer.status, signer.signed_at = SignerStatus.SIGNED, utcnow()
        audit.record(envelope, EventType.SIGNER_SIGNED, signer=signer)
    db.session.commit()
    assert finalise.sweep((utcnow() + timedelta(hours=1)).isoformat()) == 1
    db.session.expire_all()
    envelope = db.session.get(Envelope, envelope.id)
    assert envelope.status == "completed" and envelope.final_path
    copies = Delivery.query.filter_by(envelope_id=envelope.id, purpose="completed").all()
    assert copies and all(c.status == "queued" for c in copies)
    assert db.session.get(Organization, organization.id).active is False
