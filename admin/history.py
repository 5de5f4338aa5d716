"""The signature history: filters, search, pages, CSV; one envelope's detail and its actions."""
from datetime import date

from flask import Response, abort, current_app, flash, g, redirect, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select

from firma.delivery import deliveries
from firma.delivery.deliveries import MESSAGE_CHANNELS
from firma.envelopes import detail, history as service, lifecycle, sync
from firma.evidence import audit, manifest, manifest_pdf
from firma.extensions import db
from firma.identity import policy, review
from firma.models import Branch, Delivery, Envelope, EnvelopeStatus, Evidence, Integration, ReviewState, Signer
from firma.platform import outbox
from firma.platform.storage.serve import send_stored

from . import bp
from .auth import info, page, require
from .forms import (
    ContactUpdateForm, EmptyForm, HandOverForm, ReasonForm, ResendForm, ReviewForm, ValidatorForm, form_status,
    run_form,
)


def _date(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def filters_from_request() -> service.Filters:
    """The history's filters from the query string."""
    status, review_state = request.args.get("status", ""), request.args.get("revisao", "")
    return service.Filters(
        status=EnvelopeStatus(status) if status in tuple(EnvelopeStatus) else None,
        review_state=ReviewState(review_state) if review_state in tuple(ReviewState) else None,
        branch_id=request.args.get("branch_id", type=int),
        integration_id=request.args.get("integration_id", type=int), start=_date("de"), end=_date("ate"),
        q=request.args.get("q", "")[:100],
    )


def filter_args(f: service.Filters) -> dict:
    """The filters as query-string arguments, for pagination links and the CSV."""
    args = {"status": f.status, "revisao": f.review_state, "branch_id": f.branch_id, "integration_id": f.integration_id, "q": f.q,
            "de": f.start.isoformat() if f.start else None, "ate": f.end.isoformat() if f.end else None}
    return {k: v for k, v in args.items() if v}


@bp.get("/historico")
def history():
    """The signature history, filtered and paged."""
    f = filters_from_request()
    result = service.page(f, request.args.get("page", 1, type=int))
    return page("admin/history.html", "admin/_history_rows.html", result=result, f=f, args=filter_args(f),
                branches=db.session.scalars(select(Branch).order_by(Branch.name)),
                integrations=db.session.scalars(select(Integration).order_by(Integration.description)))


@bp.get("/historico.csv")
def history_csv():
    """The filtered history as CSV (UTF-8 with BOM for Excel)."""
    body = "\ufeff" + service.csv_text(filters_from_request())  # BOM: Excel opens UTF-8 CSV correctly
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="historico-assinaturas.csv"'})


def _envelope(envelope_id: int) -> Envelope:
    return db.session.get(Envelope, envelope_id) or abort(404)


def _signer(envelope: Envelope, signer_id) -> Signer:
    signer = db.session.get(Signer, int(signer_id)) if str(signer_id or "").isdigit() else None
    if signer is None or signer.envelope_id != envelope.id:
        abort(404)
    return signer


def _detail(envelope: Envelope, *, failed: FlaskForm | None = None, report=None, **extra):
    """The envelope's page; `failed` is the action form that was refused, its messages shown on top (422)."""
    deliveries = db.session.scalars(select(Delivery).where(Delivery.envelope_id == envelope.id)
                                    .order_by(Delivery.id.desc()))
    return page("admin/envelope.html", status=form_status(failed) if failed else 200, envelope=envelope,
                events=audit.events_of(envelope.id), chain_error=audit.verify_chain(envelope.id),
                deliveries=deliveries, failed=failed, report=report,
                form=EmptyForm(), reason_form=ReasonForm(), review_form=ReviewForm(),
                outcomes={s.id: policy.outcome(s) for s in envelope.signers}, contact_form=ContactUpdateForm(),
                resend_form=ResendForm(), message_channels=MESSAGE_CHANNELS, detail=detail, hand_over_form=HandOverForm(),
                **{"validator_form": ValidatorForm(formdata=None), **extra})


def _act(envelope: Envelope, form: FlaskForm, call, done, *, malformed: int | None = None, **extra):
    """Run an envelope action posted with `form`: on success commit, flash `done` and go back to the envelope.

    `done` is the message, or a function of the action's result that makes it; a refused form shows the
    envelope again with the form's messages (422), `extra` passed on to that page.
    """
    if result := run_form(form, call, malformed=malformed):
        outbox.commit()
        flash(done(result) if callable(done) else done, "ok")
        return redirect(url_for("admin.envelope", envelope_id=envelope.id))
    return _detail(envelope, failed=form, **extra)


@bp.get("/assinaturas/<int:envelope_id>")
def envelope(envelope_id: int):
    """An envelope's page: signers, deliveries, events and evidence."""
    return _detail(_envelope(envelope_id))


@bp.post("/assinaturas/<int:envelope_id>/sincronizar")
@require("sync")
def envelope_sync(envelope_id: int):
    """Consult and repair an envelope's situation ("sincronizar")."""
    env = _envelope(envelope_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    report = sync.sync_envelope(env)
    outbox.commit()
    return _detail(env, report=report)


@bp.post("/assinaturas/<int:envelope_id>/reenviar")
@require("send")
def envelope_resend(envelope_id: int):
    """Send a signer's link again, on a chosen channel."""
    env = _envelope(envelope_id)
    form = ResendForm()
    return _act(env, form, lambda: deliveries.send_link(_signer(env, form.signer_id.data),
                                                        channel=form.channel.data or None, purpose="resend"),
                lambda delivery: f"Link reenviado para {delivery.signer.name}.", malformed=400)


@bp.post("/assinaturas/<int:envelope_id>/contato")
@require("update_contacts")
def envelope_contact(envelope_id: int):
    """Correct a signer's e-mail or phone and send a fresh link (the old one stops working)."""
    env = _envelope(envelope_id)
    form = ContactUpdateForm()

    def update():
        signer = _signer(env, form.signer_id.data)
        lifecycle.update_contact(signer, email=form.email.data, phone=form.phone.data,
                                 channel=form.channel.data or None, by=g.user, info=info())
        return deliveries.send_link(signer, purpose="resend")

    return _act(env, form, update, lambda d: f"Contato de {d.signer.name} atualizado e novo link enviado.",
                malformed=400)


@bp.post("/assinaturas/<int:envelope_id>/cancelar")
@require("cancel")
def envelope_cancel(envelope_id: int):
    """Cancel an envelope with a reason."""
    env = _envelope(envelope_id)
    form = ReasonForm()
    return _act(env, form, lambda: lifecycle.cancel(env, reason=form.reason.data, by=g.user, info=info()),
                "Assinatura cancelada.")


@bp.post("/assinaturas/<int:envelope_id>/revisao")
@require("review_identity")
def envelope_review(envelope_id: int):
    """Approve or reject an envelope held for manual review of its identity check, with a reason."""
    env = _envelope(envelope_id)
    form = ReviewForm()
    return _act(env, form, lambda: review.decide(env, form.decision.data, form.reason.data, by=g.user.email,
                                                 info=info()), "Revisão registrada.")


@bp.get("/assinaturas/<int:envelope_id>/<any(original, final, manifesto):what>.pdf")
def envelope_download(envelope_id: int, what: str):
    """Download the original, final or manifest PDF of an envelope."""
    env = _envelope(envelope_id)
    name = f"{env.public_code}-{what}.pdf"
    if what == "manifesto":
        data = manifest_pdf.render_manifest(manifest.collect(env, public_url=current_app.config["PUBLIC_URL"]))
        return Response(data, mimetype="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    path = env.original_path if what == "original" else env.final_path
    if not path:
        abort(404)
    return send_stored(path, mimetype="application/pdf", as_attachment=True, download_name=name)


@bp.get("/evidencias/<int:envelope_id>/<int:evidence_id>")
def evidence_file(envelope_id: int, evidence_id: int):
    """One evidence file of an envelope (photo, selfie frame, signature)."""
    row = db.session.get(Evidence, evidence_id)
    if row is None or row.envelope_id != envelope_id or not row.path:
        abort(404)
    image = (row.content_type or "") in ("image/png", "image/jpeg", "image/webp")
    return send_stored(row.path, mimetype=row.content_type if image else "application/octet-stream",
                       as_attachment=not image, download_name=f"evidencia-{row.id}", max_age=0)
