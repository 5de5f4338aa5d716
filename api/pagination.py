"""Cursor pagination by id: `?limit=&cursor=`, answered as a Page {"data": [...], "next_cursor": ...}."""
import base64

from sqlalchemy import Select

from firma.extensions import db
from firma.platform.errors import Refusal

from .bodies import PageQuery
from .fields import MAX_ID


def encode(last_id: int) -> str:
    """The cursor that continues after `last_id`."""
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode(cursor: str) -> int:
    """The id a cursor continues after; Refusal (422, field cursor) for one we did not issue."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        last_id = int(value)
        if kind != "id" or not 0 <= last_id <= MAX_ID:
            raise ValueError
        return last_id
    except (ValueError, UnicodeDecodeError):
        raise Refusal("Cursor inválido.", "cursor") from None


def page(query: Select, id_column, shape, params: PageQuery, page_model):
    """One page of `query` in id order after `params.cursor`, each row shaped by `shape`, as `page_model`."""
    if params.cursor:
        query = query.where(id_column > decode(params.cursor))
    rows = list(db.session.scalars(query.order_by(id_column).limit(params.limit + 1)))
    more = len(rows) > params.limit
    rows = rows[:params.limit]
    return page_model(data=[shape(r) for r in rows], next_cursor=encode(rows[-1].id) if more and rows else None)
