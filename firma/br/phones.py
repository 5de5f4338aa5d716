"""Phone numbers: the one validator (E.164 for storage and for WhatsApp) and the national format for display."""
import phonenumbers

from firma.platform.errors import Refusal


def _valid(value: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(value or "", region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_phone(value: str, region: str = "BR") -> str:
    """E.164 form of a typed mobile or fixed number (Brazilian numbers may omit +55); Refusal otherwise."""
    number = _valid(value, region)
    if number is None:
        raise Refusal("Telefone inválido: informe DDD e número.")
    return _e164(number)


def validate_e164(value: str) -> str:
    """The value itself when it is already strict E.164 (what WhatsApp providers take); Refusal otherwise."""
    number = _valid(value, None)
    if number is None or _e164(number) != value:
        raise Refusal(f"Telefone inválido para WhatsApp: {value!r}. Use o formato internacional, ex.: "
                      "+5511987654321.")
    return value


def format_phone(value: str | None) -> str:
    """(11) 91234-5678 for display; anything unparsable comes back as it was."""
    if not value:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(value, "BR"), phonenumbers.PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        return value
