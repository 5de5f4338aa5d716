"""Automatic signing: the provider's representative and witness sign with their stored signature."""

from firma.evidence import store
from firma.evidence.audit import RequestInfo
from firma.models import EvidenceKind, SignatureMethod, Signer, User, utcnow
from firma.signing.actions import mark_signed


def can_sign_automatically(user: User) -> bool:
    """Whether a staff user is active and has both a stored signature and an API token."""
    return bool(user.active and user.api_token_hash and user.signature_png)


def sign_automatically(signer: Signer) -> None:
    """Apply a staff user's stored signature (they granted it with their personal API token)."""
    user = signer.user
    info = RequestInfo(ip=None, user_agent="Firma (assinatura automática)")
    store.save(signer, EvidenceKind.SIGNATURE, info=info, content=user.signature_png, content_type="image/png",
                   data={"method": SignatureMethod.STORED, "user_id": user.id, "user_email": user.email})
    signer.identity_confirmed_at = signer.read_at = utcnow()
    mark_signed(signer, info=info, document_sha256=signer.envelope.original_sha256, automatic=True)
