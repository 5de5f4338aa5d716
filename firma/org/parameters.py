"""General parameters ("Parâmetros gerais"): the provider's name and the digital-signature default."""


from firma.models import Settings
from firma.platform.errors import Refusal


def save_settings(*, company_name: str, digital_signature_default: bool) -> Settings:
    """Parâmetros gerais."""
    if not company_name.strip():
        raise Refusal("Informe o nome do provedor.", "company_name")
    settings = Settings.get()
    settings.company_name, settings.digital_signature_default = company_name.strip(), digital_signature_default
    return settings
