"""Signing links: a fresh 256-bit token per issue, stored hashed, scoped to one signer, expiring."""
import base64
import functools
import hashlib
import hmac
from datetime import datetime, timedelta, timezone

from flask import current_app, url_for
from sqlalchemy import bindparam, select
from sqlalchemy.orm import defer, joinedload

from firma.extensions import db
from firma.models import Branch, Envelope, Integration, Signer, utcnow
from firma.platform.tokens import hash_token, new_token


def issue(signer: Signer, *, now: datetime | None = None, derived: bool = False) -> str:
    """Give the signer a new link token (any earlier link stops working) and return it, once.

    `derived`: the token is an HMAC of the signer and the issue time under the secret key, so `live_token` can
    give the same link again while it lives (the portal asks on every page view).
    """
    now = now or utcnow()
    signer.last_sent_at = now
    token = _derived_token(signer) if derived else new_token()
    signer.token_hash = hash_token(token)
    signer.token_expires_at = signer.envelope.expires_at
    # CPF attempts belong to the signer and survive a new link (actions.identity_locked); liveness ones start again.
    signer.liveness_attempts = 0
    signer.last_sent_at = now
    db.session.flush()
    return token


def live_token(signer: Signer, *, now: datetime | None = None) -> str:
    """The signer's current link if it was derived (`issue(derived=True)`) and has not expired, else a new one."""
    if signer.token_hash and signer.last_sent_at is not None and not is_expired(signer, now):
        candidate = _derived_token(signer)
        if hmac.compare_digest(hash_token(candidate), signer.token_hash):
            return candidate
    return issue(signer, now=now, derived=True)


def _derived_token(signer: Signer) -> str:
    """256 bits from HMAC-SHA256(secret key, signer id and issue time to the microsecond): only this instance can
    compute it again, and every issue gives another one."""
    issued = signer.last_sent_at.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="microseconds")
    message = f"signing-link:{signer.id}:{issued}".encode()
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def revoke(signer: Signer) -> None:
    """Make the signer's current link stop working (a new one must be issued)."""
    signer.token_hash = None
    db.session.flush()


def find_signer(token: str) -> Signer | None:
    """The signer this token belongs to, or None; expiry is the caller's to judge (it shows its own page)."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(_by_token_hash(), {"token_hash": hash_token(token)})


# Columns no signing page or signer action reads: messages, webhooks and finalisation are jobs with their own
# session, and a deferred column still loads (in one more query) if something asks for it.
_ENVELOPE_UNREAD = ("variables", "final_versions", "finalise_error", "cancel_reason", "review_reason")
_INTEGRATION_UNREAD = ("integrator", "token_hash", "token_hint", "email_subject_client", "email_body_client",
                       "email_subject_witness", "email_body_witness", "whatsapp_template_client",
                       "whatsapp_text_client", "whatsapp_template_witness", "whatsapp_text_witness",
                       "whatsapp_provider", "whatsapp_settings", "webhook_url", "webhook_secret")


@functools.cache
def _by_token_hash():
    """One round trip for what every signer page shows: the envelope, its branch and integration, and the
    organization (its `active` flag is checked on every page), without the columns the pages never read (the
    branch's logo is served apart). Built once: a statement object keeps its cache key, so each request skips
    building the options and the key again."""
    envelope = joinedload(Signer.envelope)
    return (select(Signer).where(Signer.token_hash == bindparam("token_hash"))
            .options(envelope.options(*(defer(getattr(Envelope, name)) for name in _ENVELOPE_UNREAD)),
                     envelope.joinedload(Envelope.branch).defer(Branch.logo_png),
                     envelope.joinedload(Envelope.integration).options(
                         *(defer(getattr(Integration, name)) for name in _INTEGRATION_UNREAD)),
                     joinedload(Signer.organization)))


def is_expired(signer: Signer, now: datetime | None = None) -> bool:
    """Whether the signer's link has passed its expiry."""
    return signer.token_expires_at is not None and signer.token_expires_at <= (now or utcnow())


def signing_url(token: str, *, embed: bool = False) -> str:
    """Absolute URL of the signing page, built from PUBLIC_URL so it also works outside a request."""
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    with current_app.test_request_context(base_url=base):
        return url_for("signer.start", mode="embed" if embed else "s", token=token, _external=True)


def default_expiry(days: int, now: datetime | None = None) -> datetime:
    """When a link issued now expires, `days` from now."""
    return (now or utcnow()) + timedelta(days=days)
