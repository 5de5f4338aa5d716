"""Phone numbers: E.164 for storage, the national format for display."""

import phonenumbers


def normalise_phone(value: str, region: str = "BR") -> str:
    """E.164 form of a mobile or fixed number; Brazilian numbers may omit +55."""
    try:
        number = phonenumbers.parse(value or "", region)
    except phonenumbers.NumberParseException:
        raise ValueError("Telefone inválido: informe DDD e número.") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("Telefone inválido: informe DDD e número.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(value: str | None) -> str:
    if not value:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(value, "BR"), phonenumbers.PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        return value
