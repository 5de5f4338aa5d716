"""Batch operations over many contracts: the job "batch.run" queues one "batch.item" job per contract.

The item jobs are shared by every worker process (N workers render N documents at once). Every item is
claimed with a conditional UPDATE before it is worked on and each action skips contracts already in the
wanted state, so running a batch twice (or a second batch on the same contracts) does nothing twice; the
item that finds no other pending or running one marks the batch done (a conditional UPDATE: exactly once).
"""
import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.orm import joinedload, selectinload

from firma.delivery import deliveries
from firma.envelopes import lifecycle, sync
from firma.envelopes.history import Page
from firma.extensions import db
from firma.models import Batch, BatchItem, Branch, Contract, DocumentTemplate, Envelope, Integration, User, utcnow
from firma.org import staff
from firma.org.deactivation import inactive_ids, is_active
from firma.platform import jobs, outbox
from firma.platform.errors import Refusal
from firma.records import contracts

ACTIONS = {
    "send": "Enviar para assinatura",
    "cancel": "Cancelar a assinatura pendente",
    "update_contacts_resend": "Atualizar e-mails e celulares dos signatários e reenviar",
    "check_status": "Consultar situação e marcar contratos assinados",
}
PERMISSION = {"send": "send", "cancel": "cancel", "update_contacts_resend": "update_contacts", "check_status": "sync"}
MAX_ITEMS = 5000
# A batch with nothing finished for this long has lost its jobs (an item takes seconds).
STALE = timedelta(minutes=10)


class Skip(Exception):
    """This contract needs nothing done; the message says why."""


def start(action: str, contract_ids: list[int], *, params: dict | None = None, by: User | None = None,
          integration: Integration | None = None) -> Batch:
    """Create the batch and its items and queue "batch.run" after the commit; staff need the action's permission."""
    params = dict(params or {})
    if action not in ACTIONS:
        raise Refusal("Operação em lote desconhecida.")
    if by is not None:
        staff.check(by, PERMISSION[action])
    ids = list(dict.fromkeys(int(i) for i in contract_ids))
    if not ids:
        raise Refusal("Selecione ao menos um contrato.")
    if len(ids) > MAX_ITEMS:
        raise Refusal(f"Selecione no máximo {MAX_ITEMS} contratos por lote.")
    if action == "cancel" and not (params.get("reason") or "").strip():
        raise Refusal("Informe o motivo do cancelamento.")
    found = set(db.session.scalars(select(Contract.id).where(Contract.id.in_(ids))))
    if missing := [i for i in ids if i not in found]:
        raise Refusal(f"Contratos não encontrados: {', '.join(map(str, missing[:10]))}.")
    batch = Batch(action=action, params=params, total=len(ids), created_by_id=by.id if by else None,
                  integration_id=integration.id if integration else None)
    db.session.add(batch)
    db.session.flush()
    db.session.execute(BatchItem.__table__.insert(), [{"batch_id": batch.id, "contract_id": i, "status": "pending",
                                                       "message": "", "organization_id": batch.organization_id}
                                                      for i in ids])
    jobs.enqueue("batch.run", batch.id)
    return batch


@jobs.job("batch.run", retries=2, retry_delay=10)
def run(batch_id: int) -> None:
    """Mark the batch running and queue one "batch.item" job per pending item (a re-run re-queues none twice)."""
    batch = db.session.get(Batch, batch_id)
    if batch is None or batch.status == "done" or not is_active(batch.organization_id):
        return  # a deactivated organization's batch waits; reactivation queues this job again
    batch.status = "running"
    outbox.commit()
    item_ids = list(db.session.scalars(
        select(BatchItem.id).where(BatchItem.batch_id == batch_id, BatchItem.status == "pending")
        .order_by(BatchItem.id)
    ))
    for item_id in item_ids:
        jobs.enqueue("batch.item", batch_id, item_id)
    outbox.commit()
    if not item_ids:
        _finish_if_complete(batch_id)


@jobs.job("batch.item", retries=0)
def run_item(batch_id: int, item_id: int) -> None:
    """Work on one item of a batch and commit its result; the last item to finish marks the batch done.

    The links a "send" item creates go out from this job right after its commit, not through the queue
    (the delivery sweep sends them if this process dies first).
    """
    # Its organization and author come along and stay referenced (the session keeps only what is referenced):
    # the checks that ask for them by id later in the item find them loaded.
    batch = db.session.get(Batch, batch_id, options=[joinedload(Batch.organization), joinedload(Batch.created_by)])
    if batch is None or not is_active(batch.organization_id):
        return  # the item stays pending; reactivation runs the batch again
    with jobs.run_here("delivery.send"):
        _run_item(batch, item_id)


def _run_item(batch: Batch, item_id: int) -> None:
    """Claim, work and record the item in one transaction: a crash leaves it pending for the sweep, never half done;
    a second run of the same item waits for the first's row lock and then finds it claimed."""
    if not _claim(item_id):
        db.session.rollback()
        return
    item = db.session.get(BatchItem, item_id)
    try:
        envelope, message = ACTION_RUNNERS[batch.action](_contract(item.contract_id), batch.params, batch.created_by)
        item.status, item.message, item.envelope_id = "done", message, envelope.id if envelope else None
    except Skip as exc:
        item.status, item.message = "skipped", str(exc)
    except Refusal as exc:
        _fail_item(batch.id, item_id, str(exc))
        return
    except Exception:  # a bug or a lost database: record it on the item so the batch still ends
        logging.getLogger(__name__).exception("batch %s item %s failed", batch.id, item_id)
        _fail_item(batch.id, item_id, "Erro inesperado ao processar este contrato; tente novamente.")
        return
    _count_and_finish(batch.id)


def _claim(item_id: int) -> bool:
    return bool(db.session.execute(
        update(BatchItem).where(BatchItem.id == item_id, BatchItem.status == "pending").values(status="running")
    ).rowcount)


def _fail_item(batch_id: int, item_id: int, message: str) -> None:
    """Undo the item's work and record why it failed (in a new transaction: claim and failure together)."""
    db.session.rollback()
    if _claim(item_id):
        item = db.session.get(BatchItem, item_id)
        item.status, item.message = "failed", message
        _count_and_finish(batch_id)
    else:
        db.session.rollback()


def _count_and_finish(batch_id: int) -> None:
    """Count the item and, when it was the last one, mark the batch done; then commit.

    The counting UPDATE locks the batch's row until the commit, so items finish one after another: the check
    that follows (a new statement, so it sees every item committed before the lock) is true for the last one only.
    """
    now = utcnow()
    db.session.execute(update(Batch).where(Batch.id == batch_id)
                       .values(processed=Batch.processed + 1, progressed_at=now))
    unfinished = exists().where(and_(BatchItem.batch_id == batch_id, BatchItem.status.in_(("pending", "running"))))
    db.session.flush()  # this item's own status, before the check reads it
    db.session.execute(update(Batch).where(Batch.id == batch_id, Batch.status == "running", ~unfinished)
                       .values(status="done", finished_at=now, processed=_count_processed(batch_id)))
    outbox.commit()


def _finish_if_complete(batch_id: int) -> None:
    """Mark the batch done once no item is pending or running (a re-run that finds nothing left to do)."""
    unfinished = exists().where(and_(BatchItem.batch_id == batch_id, BatchItem.status.in_(("pending", "running"))))
    db.session.execute(update(Batch).where(Batch.id == batch_id, Batch.status == "running", ~unfinished)
                       .values(status="done", finished_at=utcnow(), processed=_count_processed(batch_id)))
    outbox.commit()


@jobs.job("batch.sweep", every_minutes=5)
def sweep(now_iso: str | None = None) -> list[int]:
    """Run again the batches whose jobs were lost (a worker died holding them): queued or running and nothing
    finished for STALE. Their pending items are queued again; an item still queued elsewhere runs only once."""
    now = datetime.fromisoformat(now_iso) if now_iso else utcnow()
    stale = list(db.session.scalars(select(Batch.id).where(
        Batch.status.in_(("queued", "running")), func.coalesce(Batch.progressed_at, Batch.created_at) < now - STALE,
        Batch.organization_id.not_in(inactive_ids())).order_by(Batch.id)))
    if stale:  # an item claimed by a version that committed its claim apart from its work
        db.session.execute(update(BatchItem).where(BatchItem.batch_id.in_(stale), BatchItem.status == "running")
                           .values(status="pending"))
    for batch_id in stale:
        jobs.enqueue("batch.run", batch_id)
    outbox.commit()
    return stale


def _count_processed(batch_id: int):
    return (select(func.count()).where(BatchItem.batch_id == batch_id,
                                       BatchItem.status.in_(("done", "skipped", "failed"))).scalar_subquery())


def _contract(contract_id: int) -> Contract:
    """The item's contract with what every action reads next (customer, branch and its integration, template)."""
    return db.session.get(Contract, contract_id, options=[
        joinedload(Contract.customer), joinedload(Contract.branch).joinedload(Branch.integration),
        joinedload(Contract.template).joinedload(DocumentTemplate.term_links), joinedload(Contract.witness),
    ])


def _pending_envelope(contract: Contract) -> Envelope | None:
    return db.session.scalar(select(Envelope).where(
        Envelope.contract_id == contract.id, Envelope.kind == "contract", Envelope.status == "pending",
    ).order_by(Envelope.id.desc()).limit(1))


def _latest_envelope(contract: Contract) -> Envelope | None:
    return db.session.scalar(select(Envelope).where(Envelope.contract_id == contract.id, Envelope.kind == "contract")
                             .order_by(Envelope.id.desc()).limit(1))


def _send(contract: Contract, params: dict, by: User | None):
    if contract.status == "cancelled":
        raise Skip("Contrato cancelado.")
    if contract.status == "active":
        raise Skip("Contrato já ativo.")
    live = db.session.scalar(select(Envelope).where(
        Envelope.contract_id == contract.id, Envelope.kind == "contract",
        Envelope.status.in_(("pending", "completed"))).limit(1))
    if live is not None:
        raise Skip(f"Já enviado para assinatura ({live.public_code}).")
    envelope = contracts.send_contract(contract, by=by)
    return envelope, f"Enviado ({envelope.public_code})."


def _cancel(contract: Contract, params: dict, by: User | None):
    envelope = _pending_envelope(contract)
    if envelope is None:
        raise Skip("Nenhuma assinatura pendente.")
    lifecycle.cancel(envelope, reason=params["reason"], by=by)
    return envelope, f"Cancelado ({envelope.public_code})."


def _update_contacts(contract: Contract, params: dict, by: User | None):
    envelope = _pending_envelope(contract)
    if envelope is None:
        raise Skip("Nenhuma assinatura pendente.")
    sources = {"client": contract.customer, "client_witness": contract.witness}
    changed = []
    for signer in envelope.signers:
        source = sources.get(signer.role)
        if source is None or signer.is_done or (signer.email, signer.phone) == (source.email, source.phone):
            continue
        lifecycle.update_contact(signer, email=source.email, phone=source.phone, channel=None, by=by)
        deliveries.send_link(signer)
        changed.append(signer.name)
    if not changed:
        raise Skip("Contatos já atualizados.")
    return envelope, "Contato atualizado e link reenviado: " + ", ".join(changed) + "."


def _check_status(contract: Contract, params: dict, by: User | None):
    envelope = _latest_envelope(contract)
    if envelope is None:
        raise Skip("Nenhuma assinatura enviada.")
    if contract.status == "active":
        raise Skip("Contrato já ativo.")
    report = sync.sync_envelope(envelope)
    if envelope.status != "completed":
        raise Skip(report.message)
    contract.status, contract.activated_at = "active", contract.activated_at or utcnow()
    return envelope, "Assinado; contrato marcado como ativo."


ACTION_RUNNERS = {"send": _send, "cancel": _cancel, "update_contacts_resend": _update_contacts,
                  "check_status": _check_status}


def progress(batch: Batch) -> dict[str, int]:
    """Counts of item outcomes and the percentage done, for the progress bar."""
    counts = dict(db.session.execute(
        select(BatchItem.status, func.count()).where(BatchItem.batch_id == batch.id)
        .group_by(BatchItem.status)
    ).all())
    finished = sum(counts.get(s, 0) for s in ("done", "skipped", "failed"))
    percent = 100 if batch.status == "done" else (finished * 100 // batch.total if batch.total else 0)
    return {"done": counts.get("done", 0), "skipped": counts.get("skipped", 0), "failed": counts.get("failed", 0),
            "finished": finished, "percent": percent}


def items_page(batch: Batch, number: int = 1, size: int = 100) -> Page:
    """One page of a batch's per-contract results, each with its contract and customer (three SELECTs by key:
    the batch's rows are new, and a join planned on a fresh table's statistics nest-loops over all of them)."""
    pages = max(1, -(-batch.total // size))
    number = min(max(1, number), pages)
    items = list(db.session.scalars(
        select(BatchItem).where(BatchItem.batch_id == batch.id).order_by(BatchItem.id)
        .options(selectinload(BatchItem.contract).selectinload(Contract.customer))
        .limit(size).offset((number - 1) * size)))
    return Page(items, number, pages, batch.total)


def recent(number: int = 1, size: int = 25) -> Page:
    """Batches newest first, one page at a time, for the list of past batches."""
    total = db.session.scalar(select(func.count()).select_from(Batch)) or 0
    pages = max(1, -(-total // size))
    number = min(max(1, number), pages)
    items = list(db.session.scalars(select(Batch).order_by(Batch.id.desc()).limit(size).offset((number - 1) * size)))
    return Page(items, number, pages, total)
