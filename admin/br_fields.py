"""Form fields that show Brazilian formats in edit forms (129,90 · 529.982.247-25 · (19) 98765-4321 · 13000-000).

Only the display changes: a posted value is kept exactly as typed (so a refused form shows what was typed), and
the services still parse and normalise what comes in.
"""
from wtforms import StringField

from firma.br.cep import format_cep
from firma.br.identifiers import format_cpf_cnpj
from firma.br.money import money_input
from firma.br.phones import format_phone


class _Formatted(StringField):
    """A text field whose stored value is shown through `show` until the person types something else."""

    show = staticmethod(str)
    input_attrs: dict = {}

    def __init__(self, *args, **kwargs):
        render_kw = {**self.input_attrs, **(kwargs.pop("render_kw", None) or {})}
        super().__init__(*args, render_kw=render_kw, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return self.show(self.data) if self.data not in (None, "") else ""


class MoneyField(_Formatted):
    """An amount in reais: 1234,56."""

    show = staticmethod(money_input)
    input_attrs = {"inputmode": "decimal", "placeholder": "0,00"}


class CpfCnpjField(_Formatted):
    """A CPF or CNPJ with its dots, slash and dash."""

    show = staticmethod(format_cpf_cnpj)
    input_attrs = {"inputmode": "text", "autocomplete": "off", "placeholder": "000.000.000-00"}


class PhoneField(_Formatted):
    """A Brazilian phone: (19) 98765-4321."""

    show = staticmethod(format_phone)
    input_attrs = {"inputmode": "tel", "autocomplete": "tel", "placeholder": "(00) 00000-0000"}


class CepField(_Formatted):
    """A CEP: 13000-000."""

    show = staticmethod(format_cep)
    input_attrs = {"inputmode": "numeric", "autocomplete": "postal-code", "placeholder": "00000-000"}
