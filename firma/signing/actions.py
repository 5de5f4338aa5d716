"""The signer's journey as plain state changes: identity, reading, signature, consent, decline.

Each function records its evidence and an audit event; views only parse requests and call these.
"""
from datetime import datetime, timedelta

from flask import current_app
from PIL import Image, ImageDraw
from sqlalchemy import select

from firma.br.identifiers import compact, is_valid_cnpj, is_valid_cpf
from firma.envelopes import links
from firma.evidence import audit, store
from firma.evidence.audit import RequestInfo
from firma.extensions import db
from firma.models import Event, EventType, EvidenceKind, GeolocationStatus, SignatureMethod, Signer, SignerStatus, utcnow
from firma.platform import outbox
from firma.platform.errors import Refusal
from firma.sealing import finalise
from firma.signing import served, signature_image
from firma.signing.claims import claim, count_attempt, reset_attempts
from firma.signing.signature_image import signature_font
from firma.signing.steps import Locked, is_step_done, steps_for

LOCKED = "Número de tentativas excedido. Por segurança, tente de novo mais tarde."


def open_link(signer: Signer, info: RequestInfo) -> None:
    """Record that the signer opened the link (once), with the device."""
    if signer.viewed_at is None:
        signer.viewed_at = utcnow()
        if signer.status in ("pending", "sent"):
            signer.status = "viewed"
        audit.record(signer.envelope, EventType.SIGNER_VIEWED, signer=signer, info=info)


def identity_locked(signer: Signer, now: datetime | None = None) -> bool:
    """Whether wrong CPF attempts locked this signer (whatever link they use) within the last CPF_LOCKOUT_MINUTES.

    The count belongs to the signer, not to a link, so asking for new links buys no new guesses; once the
    lockout has passed since the last wrong attempt, the count starts again (one conditional UPDATE).
    """
    limit = current_app.config["CPF_ATTEMPTS"]
    if signer.cpf_attempts < limit:
        return False
    last_failure = db.session.scalar(
        select(Event.created_at).where(Event.signer_id == signer.id, Event.type == EventType.SIGNER_IDENTITY_FAILED)
        .order_by(Event.id.desc()).limit(1))
    lockout = timedelta(minutes=current_app.config["CPF_LOCKOUT_MINUTES"])
    if last_failure is not None and last_failure + lockout > (now or utcnow()):
        return True
    reset_attempts(signer, Signer.cpf_attempts, at_least=limit)
    return False


def confirm_identity(signer: Signer, typed: str, info: RequestInfo) -> None:
    """Check the typed CPF/CNPJ against the record; a signer with none on record declares theirs."""
    limit = current_app.config["CPF_ATTEMPTS"]
    if identity_locked(signer):
        raise Locked(LOCKED)
    value = compact(typed)
    declared = not signer.cpf
    if signer.cpf:
        if value != signer.cpf:
            attempt = count_attempt(signer, Signer.cpf_attempts)
            if attempt > limit:  # a racing guess already used the last attempt
                raise Locked(LOCKED)
            audit.record(signer.envelope, EventType.SIGNER_IDENTITY_FAILED, signer=signer, info=info,
                         attempt=attempt)
            left = limit - attempt
            if left <= 0:
                raise Locked(LOCKED)
            raise Refusal(f"O número não confere com o cadastro. Restam {left} tentativa(s).")
    elif not (is_valid_cpf(value) or is_valid_cnpj(value)):
        raise Refusal("Informe um CPF (11 dígitos) ou CNPJ (14 caracteres) válido.")
    else:
        signer.cpf = value
    signer.identity_confirmed_at = utcnow()
    audit.record(signer.envelope, EventType.SIGNER_IDENTITY_CONFIRMED, signer=signer, info=info, declared=declared)


def mark_read(signer: Signer, *, seconds_per_page: dict, last_page_reached: bool, info: RequestInfo) -> None:
    """Record that the signer read the document, with the time spent per page."""
    pages = signer.envelope.original_pages
    clean = {}
    for key, value in (seconds_per_page or {}).items():
        if str(key).isdigit() and 1 <= int(key) <= pages:
            clean[str(int(key))] = round(min(max(float(value), 0.0), 86_400.0), 1)
    store.save(signer, EvidenceKind.READING, info=info, data={
        "pages": pages, "seconds_per_page": clean, "last_page_reached": bool(last_page_reached),
        "total_seconds": round(sum(clean.values()), 1),
    })
    signer.read_at = utcnow()
    audit.record(signer.envelope, EventType.SIGNER_READ, signer=signer, info=info,
                 last_page_reached=bool(last_page_reached))


def save_drawn_signature(signer: Signer, data_url: str, info: RequestInfo) -> None:
    """Keep the signature_pad PNG after checking it is a real, non-empty image of sane size."""
    try:
        png = signature_image.clean_png(data_url)
    except Refusal as exc:
        raise Refusal(str(exc)) from None
    store.save(signer, EvidenceKind.SIGNATURE, info=info, content=png, content_type="image/png",
               data={"method": SignatureMethod.DRAWN})
    audit.record(signer.envelope, EventType.SIGNER_SIGNATURE_CAPTURED, signer=signer, info=info,
                 method=SignatureMethod.DRAWN)


def save_typed_signature(signer: Signer, typed_name: str, info: RequestInfo) -> None:
    """No-JavaScript fallback: the signer types their full name and we render it as the signature image."""
    name = " ".join((typed_name or "").split())
    if len(name) < 3 or len(name) > 120:
        raise Refusal("Digite seu nome completo para assinar.")
    img = Image.new("RGBA", (900, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    font = signature_font(64)
    draw.text((20, 60), name, fill=(20, 30, 90, 255), font=font)
    png = signature_image.to_png(img.crop(img.getbbox()))
    store.save(signer, EvidenceKind.SIGNATURE, info=info, content=png, content_type="image/png",
                   data={"method": SignatureMethod.TYPED, "typed_name": name})
    audit.record(signer.envelope, EventType.SIGNER_SIGNATURE_CAPTURED, signer=signer, info=info,
                 method=SignatureMethod.TYPED)


def record_geolocation(signer: Signer, *, status: str, latitude=None, longitude=None, accuracy=None,
                       info: RequestInfo) -> None:
    """Store the browser's answer: granted with coordinates, or denied / unavailable / timeout."""
    if status not in tuple(GeolocationStatus):
        raise Refusal("Resposta de localização inválida.")
    data: dict = {"status": status}
    if status == GeolocationStatus.GRANTED:
        try:
            lat, lon, acc = float(latitude), float(longitude), float(accuracy or 0)
        except (TypeError, ValueError):
            raise Refusal("Localização inválida.") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180 and 0 <= acc < 1e7):
            raise Refusal("Localização inválida.")
        data.update(latitude=round(lat, 6), longitude=round(lon, 6), accuracy_m=round(acc, 1))
    store.save(signer, EvidenceKind.GEOLOCATION, info=info, data=data)
    audit.record(signer.envelope, EventType.SIGNER_GEOLOCATION, signer=signer, info=info, **data)


def confirm(signer: Signer, *, consent: bool, info: RequestInfo) -> None:
    """The signer's final act: explicit consent, every required piece present; the hash seen is the server's record."""
    if signer.is_done:
        raise Refusal("Esta assinatura já foi concluída.")
    missing = [s for s in steps_for(signer)[:-1] if not is_step_done(signer, s)]
    if missing:
        raise Refusal("Ainda faltam etapas antes de confirmar.")
    if not consent:
        raise Refusal("Para assinar, marque que concorda em assinar este documento.")
    document_sha256 = served.seen_document_sha256(signer)
    geo = store.latest(signer, EvidenceKind.GEOLOCATION)
    audit.lock_envelope(signer.envelope_id)  # before any evidence row, in the order every writer takes its locks
    if signer.require_geolocation and not (geo and geo.data.get("status") == GeolocationStatus.GRANTED):
        raise Refusal("Este documento exige sua localização. Toque em “Compartilhar minha localização”.")
    if geo is None:
        record_geolocation(signer, status=GeolocationStatus.NOT_SHARED, info=info)
    store.save(signer, EvidenceKind.DEVICE, info=info, data=store.device(info))
    mark_signed(signer, info=info, document_sha256=document_sha256, automatic=False, agreement=AGREEMENT_TEXT)


# The act of signing, on the confirm step; the terms and the biometric consent were given on the consent step.
AGREEMENT_TEXT = "Li o documento e concordo em assiná-lo eletronicamente."
BIOMETRIC_REFUSED_REASON = "Não autorizou o tratamento de dados biométricos exigido para esta assinatura."


def decline(signer: Signer, reason: str, info: RequestInfo) -> None:
    """The signer refuses to sign, with a reason; the envelope is declined."""
    reason = " ".join((reason or "").split())
    if signer.is_done:
        raise Refusal("Esta assinatura já foi concluída.")
    if len(reason) < 3:
        raise Refusal("Conte em poucas palavras por que você recusa.")
    claim(signer, SignerStatus.DECLINED)
    signer.declined_at, signer.decline_reason = utcnow(), reason[:1000]
    envelope = signer.envelope
    envelope.status = "declined"
    for other in envelope.signers:
        if other is not signer:  # the decliner's own link keeps showing the confirmation
            links.revoke(other)
    if envelope.contract is not None and envelope.kind == "contract" and envelope.contract.status == "awaiting_signature":
        envelope.contract.status = "draft"
    audit.record(envelope, EventType.SIGNER_DECLINED, signer=signer, info=info, reason=reason[:1000])


def mark_signed(signer: Signer, *, info: RequestInfo, document_sha256: str, automatic: bool, **details) -> None:
    """Claim the signature, then record it and its audit event; shared by the signer's confirm and automatic signing.

    A double tap that loses the claim raises AlreadyDone; its transaction (evidence included) must be rolled back.
    """
    claim(signer, SignerStatus.SIGNED)
    signer.signed_at, signer.document_sha256_seen = utcnow(), document_sha256
    audit.record(signer.envelope, EventType.SIGNER_SIGNED, signer=signer, info=info, document_sha256=document_sha256,
                 automatic=automatic, **details)
    envelope_id = signer.envelope_id
    if signer.envelope.all_signed:
        outbox.after_commit(lambda: finalise.request(envelope_id))
