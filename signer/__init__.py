"""Blueprint: the public signing flow (views and forms only; the logic lives in firma.signing)."""
from flask import Blueprint

bp = Blueprint("signer", __name__)

from . import closing, document, views  # noqa: E402,F401  (routes register on import)
