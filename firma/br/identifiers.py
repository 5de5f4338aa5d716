"""CPF and CNPJ (the alphanumeric CNPJ too): validate, normalise, format and mask, with python-stdnum.

Since July 2026 the Receita Federal issues CNPJs with letters in the first 12 positions
(`12.ABC.345/01DE-35`); stdnum checks their digits over the ASCII value − 48. Both are stored compact
and upper-case: 11 digits for a CPF, 14 characters for a CNPJ.
"""
import re

from stdnum.br import cnpj, cpf

from firma.platform.errors import Refusal

CPF_REFUSED = "CPF inválido: confira os 11 dígitos."
CNPJ_REFUSED = "CNPJ inválido: confira os 14 caracteres."


def compact(value: str | None) -> str:
    """The stored form of a typed CPF/CNPJ: only letters and digits, upper-case; nothing is checked."""
    return re.sub(r"[^0-9A-Za-z]", "", value or "").upper()


def _repeated(number: str) -> bool:
    # 111.111.111-11 and the like pass the check digits but are never issued.
    return len(set(number)) == 1


def is_valid_cpf(value: str | None) -> bool:
    """Whether the value is a CPF with correct check digits (punctuation allowed)."""
    number = compact(value)
    return number.isdigit() and cpf.is_valid(number) and not _repeated(number)


def is_valid_cnpj(value: str | None) -> bool:
    """Whether the value is a numeric or alphanumeric CNPJ with correct check digits."""
    number = compact(value)
    return len(number) == 14 and cnpj.is_valid(number) and not _repeated(number)


def normalise_cpf(value: str | None) -> str:
    """The compact CPF, or Refusal with a pt-BR message."""
    if not is_valid_cpf(value):
        raise Refusal(CPF_REFUSED)
    return compact(value)


def normalise_cnpj(value: str | None) -> str:
    """The compact, upper-case CNPJ, or Refusal with a pt-BR message."""
    if not is_valid_cnpj(value):
        raise Refusal(CNPJ_REFUSED)
    return compact(value)


def normalise_cpf_cnpj(value: str | None) -> str:
    """A valid CPF (11 digits) or CNPJ (14 characters) in its stored form, or Refusal in pt-BR."""
    number = compact(value)
    if len(number) == 14:
        return normalise_cnpj(number)
    if len(number) == 11 and number.isdigit():
        return normalise_cpf(number)
    raise Refusal("Informe um CPF (11 dígitos) ou CNPJ (14 caracteres) válido.")


def format_cpf_cnpj(value: str | None) -> str:
    """529.982.247-25 or 12.ABC.345/01DE-35 for display; anything else comes back as it was."""
    number = compact(value)
    if len(number) == 11 and number.isdigit():
        return cpf.format(number)
    if len(number) == 14:
        return cnpj.format(number)
    return value or ""


def mask_cpf(value: str | None) -> str:
    """CPF with the middle digits hidden, for pages a stranger might see (a CNPJ is public)."""
    number = compact(value)
    if len(number) == 11 and number.isdigit():
        return f"***.{number[3:6]}.{number[6:9]}-**"
    return format_cpf_cnpj(value)


def search_key(text: str | None) -> str:
    """The CPF/CNPJ part of a search box query ("" when it holds no digit, so names do not match CNPJs)."""
    key = compact(text)
    return key if any(c.isdigit() for c in key) else ""
