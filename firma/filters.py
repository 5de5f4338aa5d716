"""Jinja filters for pt-BR display: each one is a br/ formatter, registered here and nowhere else."""
from firma.br.dates import local_time
from firma.br.identifiers import format_cpf_cnpj, mask_cpf
from firma.br.money import money
from firma.br.phones import format_phone
from firma.models import ContractStatus, EnvelopeStatus, ReviewState, TemplateKind


def register(app) -> None:
    """Make the pt-BR formatters available to every page template."""
    app.jinja_env.filters.update(
        local_time=local_time, cpf_cnpj=format_cpf_cnpj, phone=format_phone, mask_cpf=mask_cpf, money=money,
    )
    # The enums templates list in filters and menus (each member renders its code; `.label` is the word).
    app.jinja_env.globals.update(
        ContractStatus=ContractStatus, EnvelopeStatus=EnvelopeStatus, TemplateKind=TemplateKind,
        ReviewState=ReviewState,
    )
