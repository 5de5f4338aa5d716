"""The flow's end: declining with a reason, and the signed copy (the done page polls for it, then downloads it)."""
from flask import redirect, render_template, request, url_for
from werkzeug.exceptions import NotFound

from firma.extensions import limiter
from firma.platform.errors import Refusal, friendly
from firma.platform.outbox import commit
from firma.platform.storage.serve import send_stored
from firma.signing import actions, claims

from . import bp
from .views import (
    MODES, check_form_token, final_copy_context, final_copy_ready, form_token, go_to_next, info, load_signer,
    settled_by_another_tap,
)


@bp.route(f"/{MODES}/decline", methods=["GET", "POST"])
def decline(mode: str, token: str):
    """Refuse to sign, with a reason; the answer is the done page's confirmation."""
    signer = load_signer(token, mode, allow_done=False)
    if request.method == "GET":
        return render_decline(signer, token, mode)
    check_form_token(token)
    try:
        actions.decline(signer, request.form.get("reason", ""), info())
    except claims.AlreadyDone:
        return settled_by_another_tap(signer, token, mode)
    except Refusal as exc:
        return render_decline(signer, token, mode, error=str(exc), status=422)
    commit()
    return go_to_next(signer, token, mode)


def render_decline(signer, token, mode, *, error=None, status=200):
    """The decline form."""
    html = render_template("signer/decline.html", signer=signer, envelope=signer.envelope, token=token, mode=mode,
                           form_token=form_token(token), branch=signer.envelope.branch, error=error,
                           step="decline", step_title="Recusar assinatura")
    return html, status


@bp.get(f"/{MODES}/done/copy")
@limiter.limit("60/minute")
def final_copy(mode: str, token: str):
    """The done page's self-replacing notice about the signed copy (htmx polls it; a plain GET gets the page)."""
    signer = load_signer(token, mode)
    if not request.htmx:
        return redirect(url_for("signer.step", mode=mode, token=token, step="done"))
    poll = request.args.get("n", 0, type=int)
    return render_template("signer/_final_copy.html", envelope=signer.envelope, mode=mode, token=token,
                           **final_copy_context(signer, max(poll, 0)))


@bp.get(f"/{MODES}/assinado.pdf")
def final(mode: str, token: str):
    """The signed, sealed PDF once everyone has signed."""
    signer = load_signer(token, mode)
    envelope = signer.envelope
    if not final_copy_ready(envelope):
        raise friendly(NotFound, "O documento final fica disponível quando todos tiverem assinado.")
    return send_stored(envelope.final_path, mimetype="application/pdf",
                       download_name=f"{envelope.public_code}-assinado.pdf")
