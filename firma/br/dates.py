"""The one local time zone (America/Sao_Paulo) and Brazilian date formats."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

# Dates in documents, messages and pages are the ISP's local dates, not UTC.
LOCAL_TZ = ZoneInfo("America/Sao_Paulo")


def date_br(value: date | None) -> str:
    """dd/mm/aaaa ("" for none), as Brazilian documents write dates."""
    return value.strftime("%d/%m/%Y") if value else ""


def to_local(moment: datetime) -> datetime:
    """An aware moment in São Paulo time; a naive one is taken as already local."""
    return moment.astimezone(LOCAL_TZ) if moment.tzinfo else moment


def local_time(value: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """A stored (UTC) moment as São Paulo wall-clock text for pages, CSV and the manifest; "—" for none."""
    return value.astimezone(LOCAL_TZ).strftime(fmt) if value else "—"


def utc_offset(moment: datetime) -> str:
    """São Paulo's offset at that moment as the manifest prints it: "UTC−03:00" (a real minus sign)."""
    offset = moment.astimezone(LOCAL_TZ).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "−" if minutes < 0 else "+"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def evidence_time_parts(value: datetime) -> tuple[str, str]:
    """("dd/mm/aaaa hh:mm:ss (UTC−03:00)" in São Paulo, "dd/mm/aaaa hh:mm:ss UTC"); a naive moment is local."""
    moment = value if value.tzinfo else value.replace(tzinfo=LOCAL_TZ)
    utc = moment.astimezone(ZoneInfo("UTC"))
    return (f"{local_time(moment, '%d/%m/%Y %H:%M:%S')} ({utc_offset(moment)})",
            f"{utc.strftime('%d/%m/%Y %H:%M:%S')} UTC")


def evidence_time(value: datetime | None) -> str:
    """The one evidence format: "dd/mm/aaaa hh:mm:ss (UTC−03:00)" local with UTC beside; "—" for none."""
    return " · ".join(evidence_time_parts(value)) if value else "—"
