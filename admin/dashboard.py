"""The panel's front page and the retry buttons for failed deliveries and finalisations."""
from flask import abort, flash, g, redirect, url_for

from firma.delivery import deliveries, webhooks
from firma.envelopes import batches
from firma.envelopes.dashboard import summary
from firma.extensions import db
from firma.models import Delivery, Envelope
from firma.platform import outbox
from firma.platform.errors import Refusal
from firma.sealing import finalise

from . import bp
from .auth import page, require
from .forms import EmptyForm


@bp.get("/")
def dashboard():
    """The front page: counts, longest waits, failures to retry."""
    return page("admin/dashboard.html", summary=summary(), form=EmptyForm(), batch_actions=batches.ACTIONS)


@bp.post("/entregas/<int:delivery_id>/reenviar")
@require("send")
def retry_delivery(delivery_id: int):
    """Send a failed message or webhook again."""
    row = db.session.get(Delivery, delivery_id) or abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        if row.channel == "webhook":
            webhooks.replay(row, by=g.user)
        elif row.signer is not None:
            deliveries.send_link(row.signer, channel=row.channel, purpose="resend")
        else:
            abort(404)
    except Refusal as exc:
        flash(exc.message, "error")
        return redirect(url_for("admin.dashboard"))
    outbox.commit()
    flash("Reenvio colocado na fila.", "ok")
    return redirect(url_for("admin.dashboard"))


@bp.post("/assinaturas/<int:envelope_id>/finalizar")
@require("sync")
def retry_finalise(envelope_id: int):
    """Ask again for the finalisation of a fully signed envelope."""
    envelope = db.session.get(Envelope, envelope_id) or abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    outbox.after_commit(lambda: finalise.request(envelope.id))
    outbox.commit()
    flash("Finalização solicitada novamente.", "ok")
    return redirect(url_for("admin.dashboard"))
