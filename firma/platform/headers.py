"""Response headers: CSP without inline script, framing only for /embed/ and only from allowed origins."""
from flask import Response, current_app, request

FRAME_ORIGINS = "firma.frame_origins"  # per request (in environ, not g, which a test app context shares)

BASE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
)


def set_security_headers(response: Response) -> Response:
    """Add CSP, framing, referrer and HSTS headers to a response."""
    origins = request.environ.get(FRAME_ORIGINS)  # set by the /embed/ view once it loaded the integration
    if origins is not None:
        ancestors = " ".join(origins) if origins else "'none'"
        response.headers["Content-Security-Policy"] = f"{BASE_CSP}; frame-ancestors {ancestors}"
    else:
        response.headers["Content-Security-Policy"] = f"{BASE_CSP}; frame-ancestors 'none'"
        response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Permissions-Policy"] = "camera=(self), geolocation=(self), microphone=()"
    if current_app.config["ENV_NAME"] == "production":
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if request.path.startswith(("/s/", "/embed/")):
        response.headers["Cache-Control"] = "no-store"
    return response


def allow_framing_by(origins: list[str]) -> None:
    """Let these origins (the integration's subscriber portal) embed the current response."""
    request.environ[FRAME_ORIGINS] = origins
