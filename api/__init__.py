"""Blueprint: the REST API for ERPs."""
import hashlib

from flask import Blueprint, request
from flask_limiter.util import get_remote_address

from firma.extensions import limiter

bp = Blueprint("api", __name__)


def _caller() -> str:
    """Rate-limit per integration token (hashed), or per address for requests without one."""
    auth = request.headers.get("Authorization", "")
    return "token:" + hashlib.sha256(auth.encode()).hexdigest() if auth else "ip:" + get_remote_address()


# An ERP's batch jobs are bursty but bounded; a leaked or looping client must not starve the others.
limiter.limit("600/minute", key_func=_caller)(bp)

# Routes register on import; `shared` first, for the error handlers.
from . import shared  # noqa: E402,F401
from . import batches, contracts, customers, envelopes, openapi, portal, templates  # noqa: E402,F401
