"""Devices in words: the manifest's reading of a User-Agent header."""
from __future__ import annotations

from typing import Any

from user_agents import parse as parse_user_agent

NOT_COLLECTED = "não coletado"


def describe_user_agent(user_agent: str | None) -> tuple[str, str, str]:
    """(device, operating system, browser) in words, from a User-Agent header."""
    if not user_agent:
        return NOT_COLLECTED, NOT_COLLECTED, NOT_COLLECTED
    ua = parse_user_agent(user_agent)
    kind = "Celular" if ua.is_mobile else "Tablet" if ua.is_tablet else "Computador" if ua.is_pc else "Dispositivo"
    model = " ".join(p for p in (ua.device.brand, ua.device.model) if p and not p.startswith("Generic"))
    return f"{kind} {model}".strip(), _named(ua.os), _named(ua.browser)


def _named(part: Any) -> str:
    return "não identificado" if part.family == "Other" else f"{part.family} {part.version_string}".strip()
