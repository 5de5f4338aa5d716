"""E-mail addresses: normalised, or refused with a pt-BR message."""

from email_validator import EmailNotValidError, validate_email

from firma.platform.errors import Refusal


def normalise_email(value: str) -> str:
    """The normalised address (domain lower-cased), without a DNS lookup; Refusal otherwise."""
    try:
        return validate_email((value or "").strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise Refusal("E-mail inválido.") from None
