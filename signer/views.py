"""The signing flow's routes: load the signer by link token (404/410), call one service, render a step.

`/s/<token>/...` and `/embed/<token>/...` share every route; `mode` says whether we are in the portal's iframe.
"""
import hashlib
import hmac
import json

from flask import abort, current_app, jsonify, redirect, render_template, request, send_from_directory, url_for
from htmx_flask import make_response  # flask's, plus the HX-* response headers as keywords
from werkzeug.exceptions import Forbidden, Gone, NotFound

from firma.documents import previews
from firma.envelopes import links
from firma.evidence import store
from firma.evidence.audit import RequestInfo
from firma.extensions import csrf, db, limiter
from firma.identity import capture, faces, liveness, policy
from firma.models import EnvelopeStatus, EvidenceKind, SignerStatus
from firma.org import deactivation
from firma.platform import clients, logs, tenancy
from firma.platform.errors import Refusal, friendly
from firma.platform.headers import allow_framing_by
from firma.platform.outbox import commit
from firma.signing import actions, claims, consent, steps

from . import bp

MODES = "<any(s, embed):mode>/<token>"
STEP_TITLES = {
    "welcome": "Identificação", "consent": "Consentimento", "read": "Leitura do documento", "document": "Foto do documento",
    "selfie": "Selfie", "signature": "Assinatura", "confirm": "Confirmação", "done": "Concluído",
}
POLL_LIMIT = 90  # the done page asks for the signed copy for about three minutes, then offers a manual reload

csrf.exempt(bp)  # the link token is the credential; our own form token is bound to it (works with no cookies)


# --- loading and guards ------------------------------------------------------------------------------

def load_signer(token: str, mode: str, *, allow_done: bool = True):
    """The signer of a link token (404/410 in pt-BR when invalid, cancelled or expired)."""
    signer = links.find_signer(token)
    if signer is None:
        raise friendly(NotFound, "Este link não é válido ou foi substituído por um mais recente. "
                                 "Use o último link que você recebeu ou peça um novo ao provedor.")
    tenancy.enter(signer.organization_id)  # the link binds the request to its organization
    if not deactivation.is_active(signer.organization_id):  # nothing is shown or recorded while it is inactive
        raise friendly(Forbidden, deactivation.SIGNER_MESSAGE)
    envelope = signer.envelope
    logs.note(envelope=envelope.public_code, integration=envelope.integration_id, signer_role=signer.role)
    if mode == "embed":
        allow_framing_by(envelope.integration.origins)
    if envelope.status == "cancelled":
        raise friendly(Gone, "Esta assinatura foi cancelada pelo provedor.")
    if links.is_expired(signer) and envelope.status != "completed":
        raise friendly(Gone, "Este link expirou. Peça um novo link ao provedor.")
    if signer.is_done and not allow_done:
        abort(redirect(url_for("signer.step", mode=mode, token=token, step="done")))
    return signer


def info() -> RequestInfo:
    """The request's IP and user agent, as the services record them."""
    return RequestInfo(ip=request.remote_addr, user_agent=request.headers.get("User-Agent", "")[:1000],
                       port=clients.source_port())


def form_token(token: str) -> str:
    """CSRF token bound to the link token, not to a cookie, so the flow works in a cookie-less iframe."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"signer-form:" + links.hash_token(token).encode(), hashlib.sha256).hexdigest()


def check_form_token(token: str) -> None:
    """Refuse a post whose form token is not bound to this link (CSRF without cookies)."""
    sent = request.form.get("form_token", "").encode("utf-8", "replace")  # bytes: any hostile text compares
    if not hmac.compare_digest(sent, form_token(token).encode()):
        abort(400, "Formulário expirado. Recarregue a página.")


def signer_for_post(token: str, mode: str, step: str | None = None, *, upload: bool = False):
    """Load a signer for a form post: the step must be reachable, an upload within limits, the form token right."""
    signer = load_signer(token, mode, allow_done=False)
    if step and not steps.may_open(signer, step):
        abort(409)
    if upload and upload_too_large():  # judged by the declared length, before the body is read
        abort(render_step(signer, token, mode, step, error=too_large_message(), status=413))
    check_form_token(token)
    return signer


# --- rendering ---------------------------------------------------------------------------------------

def render_step(signer, token: str, mode: str, step: str, *, error: str | None = None, status: int = 200, **ctx):
    """Render a step, as a fragment for htmx or as the whole page."""
    names = steps.steps_for(signer)
    branch = signer.envelope.branch
    context = dict(
        signer=signer, envelope=signer.envelope, token=token, mode=mode, step=step, steps=names,
        step_number=names.index(step) + 1 if step in names else len(names), step_title=STEP_TITLES[step],
        error=error, form_token=form_token(token), branch=branch,
        agreement_text=actions.AGREEMENT_TEXT, **ctx,
    )
    if step == "welcome" and actions.identity_locked(signer):
        context.update(locked=True, error=error or actions.LOCKED)
    if step == "done":
        context.update(final_copy_context(signer))
    if step == "consent":
        context["consent"] = consent.texts_for(signer)
    if step in ("consent", "read"):
        envelope = signer.envelope
        # Render the pages while the signer reads the consent texts, so the reading step shows them at once.
        previews.request_missing_pages(envelope.original_path, envelope.original_sha256, envelope.original_pages)
    if step == "read":
        context["pages"] = [(n, previews.cached_page(envelope.original_sha256, n) is not None)
                            for n in range(1, envelope.original_pages + 1)]
    if step in ("document", "selfie"):
        context.update(capture_context(signer))
    partial = f"signer/_{step}.html"
    if request.htmx:
        return make_response(render_template(partial, **context), status,
                             push_url=url_for("signer.step", mode=mode, token=token, step=step))
    return make_response(render_template("signer/page.html", partial=partial, **context), status)  # includes it


def final_copy_ready(envelope) -> bool:
    """Whether the signed, sealed PDF can be downloaded."""
    return envelope.status == EnvelopeStatus.COMPLETED and bool(envelope.final_path)


def final_copy_context(signer, poll: int = 0) -> dict:
    """What the done page says about the signed copy: ready, being sealed (poll again), or awaiting others."""
    envelope = signer.envelope
    ready = final_copy_ready(envelope)
    sealing = (not ready and envelope.status == EnvelopeStatus.PENDING
               and all(s.status == SignerStatus.SIGNED for s in envelope.signers))
    return dict(copy_ready=ready, copy_sealing=sealing, poll=poll, keep_polling=sealing and poll < POLL_LIMIT)


def go_to_next(signer, token: str, mode: str):
    """Answer with the signer's next step (htmx swap or redirect)."""
    step = steps.current_step(signer)
    if request.htmx:
        return render_step(signer, token, mode, step)
    return redirect(url_for("signer.step", mode=mode, token=token, step=step), 303)


# --- routes ------------------------------------------------------------------------------------------

@bp.get(f"/{MODES}")
@limiter.limit("120/minute")
def start(mode: str, token: str):
    """The link's landing: record the visit, go to the first unfinished step."""
    signer = load_signer(token, mode)
    actions.open_link(signer, info())
    commit()
    return render_step(signer, token, mode, steps.current_step(signer))


@bp.get(f"/{MODES}/<any(welcome, consent, read, document, selfie, signature, confirm, done):step>")
@limiter.limit("120/minute")
def step(mode: str, token: str, step: str):
    """Show a step the signer may open."""
    signer = load_signer(token, mode, allow_done=step == "done")
    if step != "done" and not steps.may_open(signer, step):
        return redirect(url_for("signer.step", mode=mode, token=token, step=steps.current_step(signer)))
    if step == "done" and not signer.is_done and signer.envelope.status == "pending":
        return redirect(url_for("signer.start", mode=mode, token=token))
    return render_step(signer, token, mode, step)


@bp.post(f"/{MODES}/welcome")
@limiter.limit("20/minute")
def welcome(mode: str, token: str):
    """Confirm identity by typing the CPF."""
    signer = signer_for_post(token, mode)
    try:
        actions.confirm_identity(signer, request.form.get("cpf", ""), info())
    except Refusal as exc:
        commit()  # failed attempts are counted and logged
        return render_step(signer, token, mode, "welcome", error=str(exc), status=422)
    commit()
    return go_to_next(signer, token, mode)


@bp.post(f"/{MODES}/consent")
def consent_step(mode: str, token: str):
    """The signature terms and, apart, the biometric consent; a refusal follows the integration's policy."""
    signer = signer_for_post(token, mode, "consent")
    answer = request.form.get("biometric")
    try:
        go_on = consent.give(signer, terms=request.form.get("terms") == "yes",
                             biometric={"yes": True, "no": False}.get(answer), info=info())
        if not go_on:
            actions.decline(signer, actions.BIOMETRIC_REFUSED_REASON, info())
    except Refusal as exc:
        return render_step(signer, token, mode, "consent", error=str(exc), status=422)
    commit()
    return go_to_next(signer, token, mode)


@bp.post(f"/{MODES}/read")
def read(mode: str, token: str):
    """The document: page images, download, hash; "I have read" records the reading."""
    signer = signer_for_post(token, mode, "read")
    if request.form.get("have_read") != "yes":
        return render_step(signer, token, mode, "read", error="Marque que você leu o documento.", status=422)
    try:
        seconds = json.loads(request.form.get("reading", "") or "{}")
        seconds = seconds if isinstance(seconds, dict) else {}
    except ValueError:
        seconds = {}
    actions.mark_read(signer, seconds_per_page=seconds, info=info(),
                      last_page_reached=request.form.get("last_page_reached") == "yes")
    commit()
    return go_to_next(signer, token, mode)


@bp.post(f"/{MODES}/signature")
def signature(mode: str, token: str):
    """Save the drawn (or, without JavaScript, typed) signature."""
    signer = signer_for_post(token, mode, "signature")
    try:
        if request.form.get("signature"):
            actions.save_drawn_signature(signer, request.form["signature"], info())
        else:
            actions.save_typed_signature(signer, request.form.get("typed_name", ""), info())
    except Refusal as exc:
        return render_step(signer, token, mode, "signature", error=str(exc), status=422)
    commit()
    return go_to_next(signer, token, mode)


@bp.post(f"/{MODES}/geolocation")
@limiter.limit("30/minute")
def geolocation(mode: str, token: str):
    """Record the location the browser gave, or that it was denied."""
    signer = signer_for_post(token, mode)
    try:
        actions.record_geolocation(signer, status=request.form.get("status", ""), info=info(),
                                   latitude=request.form.get("latitude"), longitude=request.form.get("longitude"),
                                   accuracy=request.form.get("accuracy"))
    except Refusal as exc:
        return render_template("signer/_geo_status.html", error=str(exc)), 422
    commit()
    return render_template("signer/_geo_status.html", geo=store.latest(signer, EvidenceKind.GEOLOCATION))


@bp.post(f"/{MODES}/confirm")
def confirm(mode: str, token: str):
    """Agree and sign this document."""
    signer = signer_for_post(token, mode)
    try:
        actions.confirm(signer, consent=request.form.get("consent") == "yes", info=info())
    except claims.AlreadyDone:
        return settled_by_another_tap(signer, token, mode)
    except Refusal as exc:
        return render_step(signer, token, mode, "confirm", error=str(exc), status=422)
    commit()
    return go_to_next(signer, token, mode)


def settled_by_another_tap(signer, token: str, mode: str):
    """A double tap lost the claim: drop its transaction and show where the winning request left the signer."""
    db.session.rollback()
    return go_to_next(signer, token, mode)


def capture_context(signer) -> dict:
    """What the document and selfie steps show: the sides already sent, attempts left, fallback policy."""
    front, back = store.latest(signer, EvidenceKind.DOCUMENT_FRONT), store.latest(signer, EvidenceKind.DOCUMENT_BACK)
    return dict(front=front, back=back, attempts_left=capture.attempts_left(signer),
                max_attempts=capture.MAX_LIVENESS_ATTEMPTS, prompts=liveness.PROMPTS,
                allows_fallback=policy.allows_fallback(signer))


def upload_too_large() -> bool:
    """Refuse by the declared length before reading the body (a multipart envelope adds a little)."""
    return (request.content_length or 0) > current_app.config["MAX_UPLOAD_BYTES"] + 64 * 1024


def read_upload(name: str, limit: int) -> bytes:
    """An uploaded file's bytes, refusing more than the limit before reading it all."""
    upload = request.files.get(name)
    return upload.stream.read(limit + 1) if upload else b""


def too_large_message() -> str:
    """The pt-BR message for an upload over the limit."""
    return f"A foto é grande demais (máximo {current_app.config['MAX_UPLOAD_BYTES'] // 1_000_000} MB)."


@bp.post(f"/{MODES}/document/<any(front, back):side>")
@limiter.limit("30/minute")
def document_photo(mode: str, token: str, side: str):
    """Upload the front or back photo of the ID document."""
    signer = signer_for_post(token, mode, "document", upload=True)
    try:
        row = capture.save_document_photo(signer, side, read_upload("photo", current_app.config["MAX_UPLOAD_BYTES"]),
                                           info())
    except Refusal as exc:
        commit()  # the rejection is an audit event
        return render_step(signer, token, mode, "document", error=str(exc), status=422)
    commit()
    if side == "front" and not row.data["face_found"]:
        return render_step(signer, token, mode, "document", error=capture.NO_FACE_ON_DOCUMENT, status=422)
    if side == "front":
        if request.htmx:
            return render_step(signer, token, mode, "document")
        return redirect(url_for("signer.step", mode=mode, token=token, step="document"), 303)
    return go_to_next(signer, token, mode)


@bp.post(f"/{MODES}/selfie/challenge")
@limiter.limit("20/minute")
def selfie_challenge(mode: str, token: str):
    """A fresh random liveness challenge for the selfie step."""
    signer = signer_for_post(token, mode, "selfie")
    try:
        challenge = capture.start_liveness(signer)
    except Refusal as exc:
        return jsonify(error=str(exc)), 422
    commit()
    return jsonify(challenge=challenge, prompts=[liveness.PROMPTS[c] for c in challenge],
                   attempts_left=capture.attempts_left(signer))


@bp.post(f"/{MODES}/selfie")
@limiter.limit("20/minute")
def selfie(mode: str, token: str):
    """Check a burst of selfie frames against the challenge."""
    signer = signer_for_post(token, mode, "selfie", upload=True)
    frames = [f.stream.read(faces.MAX_FRAME_BYTES + 1)
              for f in request.files.getlist("frame")[: liveness.MAX_FRAMES + 1]]
    try:
        result = capture.check_selfie_burst(signer, frames, info())
    except Refusal as exc:
        return render_step(signer, token, mode, "selfie", error=str(exc), status=422)
    if result.passed and policy.blocked(signer) and capture.attempts_left(signer) == 0:
        actions.decline(signer, policy.BLOCKED_REASON, info())  # block: retry, then decline
    commit()
    if not result.passed:
        return render_step(signer, token, mode, "selfie", error=result.message, status=422)
    if policy.blocked(signer) and not signer.is_done:
        return render_step(signer, token, mode, "selfie", error=policy.BLOCKED_MESSAGE, status=422)
    return go_to_next(signer, token, mode)


@bp.post(f"/{MODES}/selfie/photo")
@limiter.limit("20/minute")
def selfie_photo(mode: str, token: str):
    """The fallback selfie photo where no camera stream is available."""
    signer = signer_for_post(token, mode, "selfie", upload=True)
    try:
        capture.save_fallback_selfie(signer, read_upload("photo", current_app.config["MAX_UPLOAD_BYTES"]), info())
    except Refusal as exc:
        commit()
        return render_step(signer, token, mode, "selfie", error=str(exc), status=422)
    commit()
    return go_to_next(signer, token, mode)


# --- PWA: the worker must be served from the root to control /s/ and /embed/ pages ---------------------

@bp.get("/sw.js")
def service_worker():
    """The service worker script, served from the root scope."""
    response = send_from_directory(current_app.static_folder, "sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/offline")
def offline():
    """The page shown when the phone is offline."""
    return render_template("signer/offline.html")
