"""E-mail addresses: normalised, or refused with a pt-BR message."""

from email_validator import EmailNotValidError, validate_email

from firma.platform.errors import Refusal


def normalise_email(value: str) -> str:
    """The normalised address (domain lower-cased), without a DNS lookup; Refusal otherwise."""
    try:
        return validate_email((value or "").strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise Refusal("E-mail inválido.") from None


def refuse_control_characters(value: str | None) -> str | None:
    """The address as given, refused when it carries CR, LF or another control character (header injection)."""
    if value and any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise Refusal("E-mail inválido: contém quebra de linha ou caractere de controle.", "email")
    return value
