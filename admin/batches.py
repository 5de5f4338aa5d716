"""Batch operations: start one from the contract list's selection (or its whole filter) and watch it."""
from flask import abort, g, redirect, request, url_for

from firma.envelopes import batches
from firma.extensions import db
from firma.models import Batch, Contract
from firma.platform import outbox

from . import bp
from .auth import page
from .forms import form_status, run_form
from .records import batch_form, contract_filters, contract_query


@bp.post("/lotes")
def batch_start():
    """Start a batch over the contracts selected (or matching the filters)."""
    form = batch_form()
    if batch := run_form(form, lambda: batches.start(form.action.data, _selected_ids(),
                                                     params={"reason": form.reason.data or ""}, by=g.user),
                         malformed=400):
        outbox.commit()
        return redirect(url_for("admin.batch", batch_id=batch.id))
    return page("admin/batch_error.html", status=form_status(form), form=form)


def _selected_ids() -> list[int]:
    """The ticked contracts, or every contract the list's filter shows when "select all" was used."""
    if request.form.get("select_all"):
        return list(db.session.scalars(contract_query(**contract_filters()).with_only_columns(Contract.id)
                                       .order_by(None)))
    return request.form.getlist("ids", type=int)


def _load(batch_id: int) -> Batch:
    return db.session.get(Batch, batch_id) or abort(404)


@bp.get("/lotes", endpoint="batches")
def batches_list():
    """Past and running batches, newest first, paged."""
    result = batches.recent(request.args.get("page", 1, type=int))
    return page("admin/batches.html", result=result, actions=batches.ACTIONS)


@bp.get("/lotes/<int:batch_id>")
def batch(batch_id: int):
    """A batch's progress and per-contract results, paged (polled by htmx while it runs)."""
    row = _load(batch_id)
    return page("admin/batch.html", batch=row, items=_items(row), progress=batches.progress(row),
                actions=batches.ACTIONS)


@bp.get("/lotes/<int:batch_id>/progresso")
def batch_progress(batch_id: int):
    """The self-replacing progress partial (bar and the page of results shown): polls every second until done."""
    row = _load(batch_id)
    return page("admin/_batch_progress.html", "admin/_batch_progress.html", batch=row, items=_items(row),
                progress=batches.progress(row))


def _items(row: Batch):
    return batches.items_page(row, request.args.get("page", 1, type=int))
