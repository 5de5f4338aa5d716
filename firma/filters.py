"""Jinja filters and globals for pt-BR display."""
from datetime import datetime
from zoneinfo import ZoneInfo

from firma.br.identifiers import format_cpf_cnpj, mask_cpf
from firma.br.phones import format_phone
from firma.models import ContractStatus, EnvelopeStatus, TemplateKind

BRT = ZoneInfo("America/Sao_Paulo")


def local_time(value: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    return value.astimezone(BRT).strftime(fmt) if value else "—"


def money(value) -> str:
    whole, cents = f"{float(value or 0):,.2f}".split(".")
    return f"R$ {whole.replace(',', '.')},{cents}"


def register(app) -> None:
    app.jinja_env.filters.update(
        local_time=local_time, cpf_cnpj=format_cpf_cnpj, phone=format_phone, mask_cpf=mask_cpf, money=money,
    )
    # The enums templates list in filters and menus (each member renders its code; `.label` is the word).
    app.jinja_env.globals.update(
        ContractStatus=ContractStatus, EnvelopeStatus=EnvelopeStatus, TemplateKind=TemplateKind,
    )
