"""CPF and CNPJ (the alphanumeric CNPJ too): validate, normalise, format and mask."""
import re


def digits(value: str | None) -> str:
    return re.sub(r"\D", "", value or "")


def _check_digit(numbers: list[int], weights: list[int]) -> int:
    rest = sum(n * w for n, w in zip(numbers, weights)) % 11
    return 0 if rest < 2 else 11 - rest


def is_valid_cpf(value: str) -> bool:
    d = [int(c) for c in digits(value)]
    if len(d) != 11 or len(set(d)) == 1:
        return False
    first = _check_digit(d[:9], list(range(10, 1, -1)))
    second = _check_digit(d[:10], list(range(11, 1, -1)))
    return d[9] == first and d[10] == second


def is_valid_cnpj(value: str) -> bool:
    d = [int(c) for c in digits(value)]
    if len(d) != 14 or len(set(d)) == 1:
        return False
    weights = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
    first = _check_digit(d[:12], weights)
    second = _check_digit(d[:13], [6] + weights)
    return d[12] == first and d[13] == second


def normalise_cpf(value: str) -> str:
    if not is_valid_cpf(value):
        raise ValueError("CPF inválido: confira os 11 dígitos.")
    return digits(value)


def normalise_cnpj(value: str) -> str:
    if not is_valid_cnpj(value):
        raise ValueError("CNPJ inválido: confira os 14 dígitos.")
    return digits(value)


def normalise_cpf_cnpj(value: str) -> str:
    """Digits of a valid CPF (11) or CNPJ (14)."""
    d = digits(value)
    if len(d) == 14:
        return normalise_cnpj(d)
    if len(d) == 11:
        return normalise_cpf(d)
    raise ValueError("Informe um CPF (11 dígitos) ou CNPJ (14 dígitos) válido.")


def format_cpf_cnpj(value: str | None) -> str:
    d = digits(value)
    if len(d) == 11:
        return f"{d[:3]}.{d[3:6]}.{d[6:9]}-{d[9:]}"
    if len(d) == 14:
        return f"{d[:2]}.{d[2:5]}.{d[5:8]}/{d[8:12]}-{d[12:]}"
    return value or ""


def mask_cpf(value: str | None) -> str:
    """CPF with the middle digits hidden, for pages a stranger might see."""
    d = digits(value)
    return f"***.{d[3:6]}.{d[6:9]}-**" if len(d) == 11 else format_cpf_cnpj(value)
