"""Signing links: a fresh 256-bit token per issue, stored hashed, scoped to one signer, expiring."""
from datetime import datetime, timedelta

from flask import current_app, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from firma.extensions import db
from firma.models import Envelope, Signer, utcnow
from firma.platform.tokens import hash_token, new_token


def issue(signer: Signer, *, now: datetime | None = None) -> str:
    """Give the signer a new link token (any earlier link stops working) and return it, once."""
    now = now or utcnow()
    token = new_token()
    signer.token_hash = hash_token(token)
    signer.token_expires_at = signer.envelope.expires_at
    # A locked-out signer is told to ask for a new link: a new link is a new set of attempts.
    signer.cpf_attempts = signer.liveness_attempts = 0
    signer.last_sent_at = now
    db.session.flush()
    return token


def revoke(signer: Signer) -> None:
    """Make the signer's current link stop working (a new one must be issued)."""
    signer.token_hash = None
    db.session.flush()


def find_signer(token: str) -> Signer | None:
    """The signer this token belongs to, or None; expiry is the caller's to judge (it shows its own page)."""
    if not token or len(token) > 100:
        return None
    # One round trip for what every signer page shows: the envelope, its branch and integration.
    return db.session.scalar(
        select(Signer).where(Signer.token_hash == hash_token(token))
        .options(joinedload(Signer.envelope).joinedload(Envelope.branch),
                 joinedload(Signer.envelope).joinedload(Envelope.integration))
    )


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
