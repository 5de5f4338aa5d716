"""Blueprint: the staff panel (every view requires a signed-in staff user; see admin.auth)."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

# Routes register on import; auth first, as it installs the sign-in guard.
from . import auth  # noqa: E402,F401
from . import account, batches, dashboard, documents, history, operator, org, records, ui  # noqa: E402,F401
from . import integration_signers, signers, template_versions, uploads  # noqa: E402,F401
