"""Bearer authentication with the integration token; the integration is kept on `g` for the request."""
from functools import wraps

from flask import g, request

from firma.org.api_tokens import find_integration
from firma.platform import tenancy
from firma.platform.errors import problem


def require_integration(view):
    """401 problem unless the request carries a valid `Authorization: Bearer <integration token>`."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        integration = find_integration(token.strip()) if scheme.lower() == "bearer" else None
        if integration is None:
            response = problem(401, "Token de integração ausente ou inválido.", title="Não autenticado")
            response.headers["WWW-Authenticate"] = 'Bearer realm="firma"'
            return response
        g.integration = integration
        tenancy.enter(integration.organization_id)  # every query of the request sees only this organization
        return view(*args, **kwargs)

    return wrapper
