"""Batch operations from the contract list: 200 contracts with per-contract results, idempotent re-runs,
the other actions, the progress partial, and the dashboard with its retry buttons."""
from sqlalchemy import func, select

from firma.envelopes import batches, create
from firma.models import Batch, BatchItem, Contract, Delivery, Envelope, Signer
from firma.platform import outbox
from tests.admin_client import post
from tests.conftest import valid_cpf


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def items_by_status(db, batch_id: int) -> dict[str, int]:
    return dict(db.session.execute(select(BatchItem.status, func.count()).where(BatchItem.batch_id == batch_id)
                                   .group_by(BatchItem.status)).all())


def test_batch_send_of_200_contracts(staff, db, make_contract, make_customer, make_template):
    template = make_template()
    contracts = [make_contract(customer=make_customer(cpf=valid_cpf(i)), template=template) for i in range(185)]
    for i in range(185, 195):
        contracts.append(make_contract(customer=make_customer(cpf=valid_cpf(i)), template=template, status="cancelled"))
    for i in range(195, 200):
        contracts.append(make_contract(customer=make_customer(cpf=valid_cpf(i), email=None, phone=None), template=template))
    response = post(staff, "/admin/lotes", {"action": "send", "reason": "", "ids": [c.id for c in contracts]})
    assert response.status_code == 302
    batch = db.session.scalar(select(Batch))
    assert (batch.status, batch.total, batch.processed) == ("done", 200, 200)
    assert items_by_status(db, batch.id) == {"done": 185, "skipped": 10, "failed": 5}
    failed = db.session.scalar(select(BatchItem).where(BatchItem.status == "failed"))
    assert "e-mail ou celular" in failed.message
    assert count(db, Envelope) == 185 and count(db, Delivery, Delivery.purpose == "link") == 185
    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "200 de 200 processados — 100 %" in page and "Página 1 de 2 (200)" in page
    assert page.count("Enviado (FRM-") == 100 and "Contrato cancelado." not in page  # results come 100 a page
    second_page = staff.get(response.headers["Location"] + "?page=2").get_data(as_text=True)
    assert second_page.count("Contrato cancelado.") == 10 and second_page.count("Enviado (FRM-") == 85
    # running it twice does nothing twice: the same job again, and a new batch over the same contracts
    batches.run(batch.id)
    post(staff, "/admin/lotes", {"action": "send", "reason": "", "ids": [c.id for c in contracts]})
    second = db.session.scalar(select(Batch).order_by(Batch.id.desc()))
    assert items_by_status(db, second.id) == {"skipped": 195, "failed": 5}
    assert count(db, Envelope) == 185 and count(db, Delivery, Delivery.purpose == "link") == 185


def test_select_all_matching_the_filter(staff, db, make_contract, make_customer, make_template):
    template = make_template()
    drafts = [make_contract(customer=make_customer(cpf=valid_cpf(i)), template=template) for i in range(3)]
    make_contract(customer=make_customer(cpf=valid_cpf(9)), template=template, status="active")
    response = post(staff, "/admin/lotes?status=draft", {"action": "check_status", "reason": "", "select_all": "1"})
    assert response.status_code == 302
    batch = db.session.scalar(select(Batch))
    assert sorted(i.contract_id for i in batch.items) == sorted(c.id for c in drafts)
    assert items_by_status(db, batch.id) == {"skipped": 3}


def test_batch_cancel_update_contacts_and_check_status(staff, db, make_contract, make_customer, make_template):
    template = make_template()
    contracts = [make_contract(customer=make_customer(cpf=valid_cpf(i)), template=template) for i in range(3)]
    for contract in contracts:
        create.create_for_contract(contract)
    outbox.commit()
    ids = [c.id for c in contracts]
    refused = post(staff, "/admin/lotes", {"action": "cancel", "reason": "", "ids": ids})
    assert refused.status_code == 422 and "motivo" in refused.get_data(as_text=True)
    contracts[0].customer.email = "trocado@example.com"
    db.session.commit()
    post(staff, "/admin/lotes", {"action": "update_contacts_resend", "reason": "", "ids": ids})
    batch = db.session.scalar(select(Batch).order_by(Batch.id.desc()))
    assert items_by_status(db, batch.id) == {"done": 1, "skipped": 2}
    signer = db.session.scalar(select(Signer).where(Signer.email == "trocado@example.com"))
    assert signer is not None and count(db, Delivery, Delivery.signer_id == signer.id) == 1
    post(staff, "/admin/lotes", {"action": "cancel", "reason": "Migração de plano", "ids": ids[:2]})
    batch = db.session.scalar(select(Batch).order_by(Batch.id.desc()))
    assert items_by_status(db, batch.id) == {"done": 2}
    assert count(db, Envelope, Envelope.status == "cancelled") == 2
    # a completed envelope marks its contract active
    pending = db.session.scalar(select(Envelope).where(Envelope.status == "pending"))
    for s in pending.signers:
        s.status = "signed"
    pending.status = "completed"
    db.session.commit()
    post(staff, "/admin/lotes", {"action": "check_status", "reason": "", "ids": ids})
    batch = db.session.scalar(select(Batch).order_by(Batch.id.desc()))
    assert items_by_status(db, batch.id) == {"done": 1, "skipped": 2}
    assert db.session.get(Contract, ids[2]).status == "active"


def test_batch_permission_and_validation(app, db, make_user, make_contract):
    from tests.admin_client import log_in
    from tests.conftest import PASSWORD
    contract = make_contract()
    user = make_user("sync@isp.test", role="viewer", extra_permissions=["sync"])
    client = app.test_client()
    log_in(client, user.email, PASSWORD)
    assert post(client, "/admin/lotes", {"action": "send", "reason": "", "ids": [contract.id]}).status_code == 403
    assert post(client, "/admin/lotes", {"action": "check_status", "reason": "", "ids": [contract.id]}).status_code == 302
    empty = post(client, "/admin/lotes", {"action": "check_status", "reason": ""})
    assert empty.status_code == 422 and "Selecione ao menos um contrato." in empty.get_data(as_text=True)


def test_progress_partial_polls_until_done(staff, db, make_contract):
    contract = make_contract()
    batch = Batch(action="send", total=2, status="running")
    db.session.add(batch)
    db.session.flush()
    db.session.add_all([BatchItem(batch_id=batch.id, contract_id=contract.id, status="done")])
    db.session.commit()
    partial = staff.get(f"/admin/lotes/{batch.id}/progresso", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert partial.lstrip().startswith('<div id="batch-progress"')
    assert 'hx-trigger="load delay:1s"' in partial and 'hx-swap="outerHTML"' in partial and "50 %" in partial
    # the per-contract rows travel with the bar, so they update without a reload
    assert contract.number in partial and 'badge-done">Concluído' in partial
    batch.status = "done"
    db.session.commit()
    partial = staff.get(f"/admin/lotes/{batch.id}/progresso", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "hx-trigger" not in partial and "100 %" in partial
    assert staff.get("/admin/lotes/999").status_code == 404


def test_dashboard_counts_waiting_and_retries(staff, db, make_contract):
    envelope = create.create_for_contract(make_contract())
    outbox.commit()
    signer = envelope.signers[0]
    failed = Delivery(dedupe_key="x", channel="email", purpose="link", envelope_id=envelope.id, signer_id=signer.id,
                      target=signer.email, status="failed", last_error="SMTP fora do ar", attempts=5)
    envelope.finalise_state, envelope.finalise_error = "failed", "SealError: certificado"
    db.session.add(failed)
    db.session.commit()
    page = staff.get("/admin/").get_data(as_text=True)
    assert "SMTP fora do ar" in page and "SealError: certificado" in page and envelope.public_code in page
    assert post(staff, f"/admin/entregas/{failed.id}/reenviar").status_code == 302
    resent = db.session.scalar(select(Delivery).where(Delivery.purpose == "resend"))
    assert resent is not None and resent.channel == "email"
    assert post(staff, f"/admin/assinaturas/{envelope.id}/finalizar").status_code == 302
