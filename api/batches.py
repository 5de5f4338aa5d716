"""Batches: start an operation over contracts and poll it."""
from flask import g, url_for

from firma.envelopes import batches
from firma.extensions import db
from firma.models import Batch as BatchRow
from firma.platform import outbox

from . import bp
from .auth import require_integration
from .bodies import BatchInput
from .contracts import own_contract
from .idempotency import idempotent
from .schemas import Batch
from .shared import NotFound, answer, body, row_id


@bp.post("/batches")
@require_integration
@idempotent
def create_batch():
    """Start a batch over the integration's contracts; poll it at the Location."""
    data = body(BatchInput)
    ids = [own_contract(number).id for number in data.contract_numbers]
    batch = batches.start(data.action, ids, params=data.params.model_dump(),
                          integration=g.integration)
    outbox.commit()
    return answer(Batch.of(batch), status=202, location=url_for("api.get_batch", batch_id=batch.id))


@bp.get("/batches/<int:batch_id>")
@require_integration
def get_batch(batch_id: int):
    """A batch's progress."""
    batch = db.session.get(BatchRow, row_id(batch_id))
    if batch is None or batch.integration_id != g.integration.id:
        raise NotFound("Lote não encontrado.")
    return answer(Batch.of(batch))
