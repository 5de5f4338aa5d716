"""Cursor pagination by id: `?limit=&cursor=`, answered as {"data": [...], "next_cursor": ...}."""
import base64

from flask import request
from sqlalchemy import Select

from firma.extensions import db
from firma.platform.errors import Refusal

DEFAULT_LIMIT, MAX_LIMIT = 50, 200


def encode(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        if kind != "id":
            raise ValueError
        return int(value)
    except (ValueError, UnicodeDecodeError):
        raise Refusal("Cursor inválido.", "cursor") from None


def page(query: Select, id_column, serialise) -> dict:
    """One page of `query` in id order after the request's cursor."""
    try:
        limit = min(max(int(request.args.get("limit", DEFAULT_LIMIT)), 1), MAX_LIMIT)
    except ValueError:
        raise Refusal("limit deve ser um número.", "limit") from None
    cursor = request.args.get("cursor")
    if cursor:
        query = query.where(id_column > decode(cursor))
    rows = list(db.session.scalars(query.order_by(id_column).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return {"data": [serialise(r) for r in rows], "next_cursor": encode(rows[-1].id) if more and rows else None}
