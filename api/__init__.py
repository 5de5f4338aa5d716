"""Blueprint: the REST API for ERPs."""
from flask import Blueprint, current_app, request

from firma.extensions import limiter

bp = Blueprint("api", __name__)

# Routes register on import; `shared` first, for the error handlers.
from . import shared  # noqa: E402,F401
from .auth import authenticated_integration  # noqa: E402


def _integration_key() -> str:
    """An authenticated request spends its integration's budget, whatever address or token spelling it uses."""
    return f"integration:{authenticated_integration().id}"


def _address_key() -> str:
    """Requests without a valid token are counted per address (the real one, once ProxyFix has run)."""
    return "api-auth-failure:" + (request.remote_addr or "unknown")


# An ERP's batch jobs are bursty but bounded; a leaked or looping client must not starve the others.
limiter.shared_limit(lambda: current_app.config["API_RATE_LIMIT"], "api", key_func=_integration_key,
                     exempt_when=lambda: authenticated_integration() is None)(bp)
# Guessing tokens: every refused token from one address spends one budget (a fresh guess is no fresh bucket).
limiter.shared_limit(lambda: current_app.config["API_AUTH_FAILURE_LIMIT"], "api-auth", key_func=_address_key,
                     exempt_when=lambda: authenticated_integration() is not None,
                     deduct_when=lambda response: response.status_code == 401)(bp)

from . import batches, contracts, customers, envelopes, openapi, portal, templates  # noqa: E402,F401
