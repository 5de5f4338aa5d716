"""Shared column helpers for the models."""
from datetime import datetime, timezone

from sqlalchemy import DateTime, String, TypeDecorator, event
from sqlalchemy.orm import mapped_column

from firma.extensions import db


def utcnow() -> datetime:
    """Timezone-aware UTC now; every stored time is UTC."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as UTC and gives them back aware, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        """Refuse naive datetimes; store UTC."""
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given; use firma.models.base.utcnow()")
            value = value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        """Give back an aware UTC datetime (SQLite forgets the zone)."""
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


def created_at():
    """A not-null creation time column, set to now on insert."""
    return mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class Coded(TypeDecorator):
    """A string column holding one LabelledEnum's values: plain strings stored, members loaded.

    Assigning through the ORM checks the value (see `_coerce_coded`); a bound query parameter is passed as is,
    so a filter on an unknown code (an API query string) matches nothing instead of failing.
    """

    impl = String
    cache_ok = True

    def __init__(self, enum: type, length: int):
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value, dialect):
        """Store the member's code; refuse a string that is not a member."""
        return None if value is None else str(value)

    def process_result_value(self, value, dialect):
        """Load the stored code as its enum member."""
        return None if value is None else self.enum(value)


def coded(enum: type, length: int, **kwargs):
    """A mapped Coded column; a plain string assigned to it becomes the member, or raises ValueError."""
    return mapped_column(Coded(enum, length), **kwargs)


@event.listens_for(db.Model, "attribute_instrument")
def _coerce_coded(cls, key, inst) -> None:
    """Make every Coded attribute turn an assigned string into its member, so a typo raises ValueError at once."""
    columns = getattr(inst.property, "columns", None)
    if not columns or not isinstance(columns[0].type, Coded):
        return
    enum = columns[0].type.enum

    @event.listens_for(inst, "set", retval=True)
    def _member(target, value, oldvalue, initiator):
        return None if value is None else enum(value)
