"""An envelope's signers from the panel: add a validator, generate a new link to hand over in person."""
from flask import abort, g

from firma.delivery import deliveries
from firma.envelopes import signers as service
from firma.platform import outbox

from . import bp
from .auth import info, require
from .forms import HandOverForm, ValidatorForm, run_form
from .history import _act, _detail, _envelope, _signer


@bp.post("/assinaturas/<int:envelope_id>/validadores")
@require("send")
def envelope_add_validator(envelope_id: int):
    """Add a validator (approves or rejects, no signature image) and send the link."""
    env = _envelope(envelope_id)
    form = ValidatorForm()

    def add():
        signer = service.add_validator(env, name=form.name.data, cpf=form.cpf.data, email=form.email.data,
                                       phone=form.phone.data, channel=form.channel.data, by=g.user, info=info())
        deliveries.send_link(signer)
        return signer

    return _act(env, form, add, lambda signer: f"Validador {signer.name} incluído e link enviado.", validator_form=form)


@bp.post("/assinaturas/<int:envelope_id>/novo-link")
@require("send")
def envelope_hand_over(envelope_id: int):
    """A new signing link shown once (copy it to hand over); the signer's previous link stops working."""
    env = _envelope(envelope_id)
    form = HandOverForm()
    if not form.validate_on_submit():
        abort(400)
    signer = _signer(env, form.signer_id.data)
    if url := run_form(form, lambda: service.hand_over_link(signer, by=g.user, info=info())):
        outbox.commit()
        response = _detail(env, handed=(signer, url))
        return response[0], 200, {"Cache-Control": "no-store"}
    return _detail(env, failed=form)
