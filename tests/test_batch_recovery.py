"""A batch whose jobs were lost (a worker died) is run again by its sweep, and the link a batch item sends from
its own job stays queued for the delivery sweep when that in-process send fails."""
import dataclasses
from datetime import timedelta

from sqlalchemy import func, select

from firma.envelopes import batches
from firma.models import Batch, BatchItem, Delivery, Envelope, utcnow
from firma.platform import jobs, outbox
from tests.conftest import valid_cpf


def _lost_batch(db, contracts, *, age: timedelta, item_status: str = "pending") -> Batch:
    """A batch as a dead worker leaves it: running, its item jobs gone, nothing finished for `age`."""
    then = utcnow() - age
    batch = Batch(action="send", params={}, total=len(contracts), status="running", created_at=then,
                  progressed_at=then)
    db.session.add(batch)
    db.session.flush()
    db.session.add_all(BatchItem(batch_id=batch.id, contract_id=c.id, status=item_status) for c in contracts)
    db.session.commit()
    return batch


def _statuses(db, batch_id: int) -> dict[str, int]:
    return dict(db.session.execute(select(BatchItem.status, func.count()).where(BatchItem.batch_id == batch_id)
                                   .group_by(BatchItem.status)).all())


def test_the_sweep_runs_a_stalled_batch_again_and_leaves_a_live_one_alone(db, make_contract, make_customer):
    stalled = _lost_batch(db, [make_contract(customer=make_customer(cpf=valid_cpf(i))) for i in range(3)],
                          age=batches.STALE + timedelta(minutes=1))
    legacy = _lost_batch(db, [make_contract(customer=make_customer(cpf=valid_cpf(9)))],
                         age=batches.STALE + timedelta(minutes=1), item_status="running")
    live = _lost_batch(db, [make_contract(customer=make_customer(cpf=valid_cpf(7)))], age=timedelta(minutes=1))

    assert batches.sweep() == [stalled.id, legacy.id]

    for batch in (stalled, legacy):
        db.session.refresh(batch)
        assert batch.status == "done" and batch.processed == batch.total
        assert set(_statuses(db, batch.id)) == {"done"}
    db.session.refresh(live)
    assert live.status == "running" and _statuses(db, live.id) == {"pending": 1}
    assert db.session.scalar(select(func.count()).select_from(Envelope)) == 4
    assert batches.sweep() == []  # done batches are never run again


def test_a_failed_in_process_send_stays_queued_for_the_delivery_sweep(app, db, make_contract, make_customer,
                                                                        monkeypatch):
    specs = app.extensions[jobs.EXTENSION]["specs"]

    def lost(*args):
        raise ConnectionError("the database went away")

    monkeypatch.setitem(specs, "delivery.send", dataclasses.replace(specs["delivery.send"], fn=lost))
    contract = make_contract(customer=make_customer(cpf=valid_cpf(1)))
    batch = batches.start("send", [contract.id])
    outbox.commit()
    db.session.refresh(batch)
    assert batch.status == "done" and _statuses(db, batch.id) == {"done": 1}
    delivery = db.session.scalar(select(Delivery))
    assert delivery.status == "queued" and delivery.attempts == 0

    monkeypatch.undo()
    from firma.delivery import deliveries
    deliveries.sweep((utcnow() + timedelta(minutes=2)).isoformat())
    db.session.refresh(delivery)
    assert delivery.status == "sent" and delivery.attempts == 1
