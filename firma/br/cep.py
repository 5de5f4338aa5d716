"""CEP (postal code): eight digits stored, 01234-567 shown; stdnum 2.2 has no CEP, so the check lives here."""
import re

from firma.platform.errors import Refusal


def normalise_cep(value: str | None) -> str:
    """The eight digits of a CEP ("" for none), or Refusal with a pt-BR message."""
    number = re.sub(r"\D", "", value or "")
    if (value or "").strip() and len(number) != 8:
        raise Refusal("CEP inválido: informe os 8 dígitos.")
    return number


def format_cep(value: str | None) -> str:
    """01234-567 for display; anything that is not eight digits comes back as it was."""
    number = re.sub(r"\D", "", value or "")
    return f"{number[:5]}-{number[5:]}" if len(number) == 8 else (value or "")
