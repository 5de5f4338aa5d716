"""E-mail addresses: normalised, or refused with a pt-BR message."""

from email_validator import EmailNotValidError, validate_email


def normalise_email(value: str) -> str:
    try:
        return validate_email((value or "").strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueError("E-mail inválido.") from None
