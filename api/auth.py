"""Bearer authentication with the integration token; the integration is kept on `g` for the request."""
from functools import wraps

from flask import g, request

from firma.models import Integration
from firma.org import deactivation
from firma.org.api_tokens import find_integration
from firma.platform import tenancy
from firma.platform.errors import problem

_UNSET = object()


def authenticated_integration() -> Integration | None:
    """The integration whose token this request carries, looked up once per request (rate limits key on it)."""
    # Kept in the request's environ, not on `g`: an app context (and its `g`) can outlive one request.
    found = request.environ.get("firma.integration", _UNSET)
    if found is _UNSET:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        found = find_integration(token.strip()) if scheme.lower() == "bearer" else None
        request.environ["firma.integration"] = found
    return found


def require_integration(view):
    """401 problem unless the request carries a valid `Authorization: Bearer <integration token>`; 403 problem
    while the integration's organization is deactivated."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        integration = authenticated_integration()
        if integration is None:
            response = problem(401, "Token de integração ausente ou inválido.", title="Não autenticado")
            response.headers["WWW-Authenticate"] = 'Bearer realm="firma"'
            return response
        if not deactivation.is_active(integration.organization_id):  # the token is valid: 403, not 401
            return problem(403, deactivation.API_DETAIL, title=deactivation.API_TITLE)
        g.integration = integration
        tenancy.enter(integration.organization_id)  # every query of the request sees only this organization
        return view(*args, **kwargs)

    return wrapper
