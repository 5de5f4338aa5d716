"""`Idempotency-Key` on POST: the same key and body replay the stored response; another body is a 422."""
import hashlib
from functools import wraps

from flask import Response, g, make_response, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from firma.extensions import db
from firma.models import IdempotencyKey
from firma.platform.errors import problem

HEADER = "Idempotency-Key"


def _request_hash() -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.content_type or ""):
        digest.update(part.encode() + b"\0")
    digest.update(request.get_data())
    return digest.hexdigest()


def idempotent(view):
    """Run a POST once per key: store its response (below 500) and replay it for retries of the same request."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return view(*args, **kwargs)
        if len(key) > 200 or "\x00" in key:
            return problem(400, "Idempotency-Key inválida (até 200 caracteres, sem NUL).")
        fingerprint = _request_hash()
        row = _existing(key)
        if row is None:
            row = IdempotencyKey(integration_id=g.integration.id, key=key, request_hash=fingerprint)
            db.session.add(row)
            try:
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                row = _existing(key)
            else:
                return _run_and_store(row.id, view, args, kwargs)
        if row.request_hash != fingerprint:
            return problem(422, "Esta Idempotency-Key já foi usada com outro conteúdo.", title="Chave reutilizada")
        if row.response_status is None:
            return problem(409, "Um pedido com esta Idempotency-Key ainda está em andamento.", title="Em andamento")
        response = Response(row.response_body, status=row.response_status,
                            mimetype="application/problem+json" if row.response_status >= 400 else "application/json")
        response.headers["Idempotent-Replayed"] = "true"
        return response

    return wrapper


def _existing(key: str) -> IdempotencyKey | None:
    return db.session.scalar(select(IdempotencyKey).where(IdempotencyKey.integration_id == g.integration.id,
                                                          IdempotencyKey.key == key))


def _run_and_store(row_id: int, view, args, kwargs):
    try:
        response = view(*args, **kwargs)
    except Exception:
        db.session.rollback()
        _forget(row_id)
        raise
    response = make_response(response)
    if response.status_code >= 500:
        _forget(row_id)
        return response
    row = db.session.get(IdempotencyKey, row_id)
    row.response_status, row.response_body = response.status_code, response.get_data(as_text=True)
    db.session.commit()
    return response


def _forget(row_id: int) -> None:
    """A failed attempt leaves the key free, so the ERP's retry can succeed."""
    row = db.session.get(IdempotencyKey, row_id)
    if row is not None:
        db.session.delete(row)
        db.session.commit()
