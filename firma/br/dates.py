"""The one local time zone (America/Sao_Paulo) and Brazilian date formats."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

# Dates in documents are the ISP's local dates, not UTC.
LOCAL_TZ = ZoneInfo("America/Sao_Paulo")


def date_br(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _local(moment: datetime) -> datetime:
    return moment.astimezone(LOCAL_TZ) if moment.tzinfo else moment
