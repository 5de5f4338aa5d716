"""Operations endpoints for load balancers and Prometheus: /healthz, /readyz and /metrics (no CSRF, no rate limit)."""
from flask import Blueprint, Response, current_app, jsonify, request

from firma.platform import health, metrics

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    """The process is up and answers (no database, no queue: a restart would not fix those)."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready for traffic when the database, the job queue and storage answer; 503 naming the failing ones."""
    app = current_app._get_current_object()
    checks = health.readiness(app)
    ready = all(result == "ok" for result in checks.values())
    return jsonify(status="ok" if ready else "fail", checks=checks), 200 if ready else 503


@bp.get("/metrics")
def metrics_view():
    """Prometheus exposition, behind FIRMA_METRICS_TOKEN (404 when unset, 401 for a wrong token)."""
    app = current_app._get_current_object()
    metrics.authorise(app, request.headers.get("Authorization", ""))
    body, content_type = metrics.exposition(app)
    response = Response(body, content_type=content_type)
    response.cache_control.no_store = True
    return response
