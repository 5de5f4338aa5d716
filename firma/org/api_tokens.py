"""Integration API tokens: shown once when created, stored only as SHA-256 with a short hint."""
from sqlalchemy import select

from firma.extensions import db
from firma.models import Integration
from firma.platform.tokens import hash_token, new_token


def rotate_token(integration: Integration) -> str:
    """Give the integration a new Bearer token (the old one stops working) and return it, once."""
    token = new_token()
    integration.token_hash = hash_token(token)
    integration.token_hint = token[:6]
    db.session.flush()
    return token


def find_integration(token: str) -> Integration | None:
    """The active integration this Bearer token belongs to, or None."""
    if not token or len(token) > 200:
        return None
    return db.session.scalar(select(Integration).where(Integration.token_hash == hash_token(token),
                                                       Integration.active.is_(True)))
