"""Integrations ("Integração de assinatura digital"): validated saves and previews of their messages."""
from urllib.parse import urlsplit

from firma.delivery import messages
from firma.documents import sandbox
from firma.documents.contexts import sample_context
from firma.documents.sandbox import TemplateError
from firma.extensions import db
from firma.models import BiometricRefusal, IdentityCheckPolicy, Integration, User
from firma.org import organizations
from firma.platform import outbound, tenancy
from firma.platform.errors import Refusal

TAB_FIELDS = {
    "integracao": ("description", "integrator", "active"),
    "configuracoes": ("send_method", "require_document_photo", "require_selfie", "geolocation",
                      "allow_liveness_fallback", "identity_policy", "biometric_refusal", "representative_id", "witness_id", "link_lifetime_days",
                      "reminder_every_days", "reminder_max"),
    "notificacoes": ("email_subject_client", "email_body_client", "email_subject_witness", "email_body_witness",
                     "whatsapp_template_client", "whatsapp_text_client", "whatsapp_template_witness",
                     "whatsapp_text_witness", "whatsapp_provider"),
    "portal": ("allowed_origins",),
    "webhook": ("webhook_url", "webhook_secret"),
}

MESSAGE_FIELDS = ("email_subject_client", "email_body_client", "email_subject_witness", "email_body_witness",
                  "whatsapp_text_client", "whatsapp_text_witness")


def _origin(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.path not in ("", "/") or parts.query:
        raise Refusal(f"Origem inválida: {value} (use por exemplo https://central.provedor.com.br).",
                            "allowed_origins")
    return f"{parts.scheme}://{parts.netloc}"


def _check(data: dict) -> dict:
    """Validated values of the fields present in `data`."""
    out = dict(data)
    if "description" in data and not (data["description"] or "").strip():
        raise Refusal("Informe a descrição da integração.", "description")
    if "send_method" in data and data["send_method"] not in ("contract", "service_order"):
        raise Refusal("Método de envio inválido.", "send_method")
    if "geolocation" in data and data["geolocation"] not in ("required", "optional"):
        raise Refusal("Opção de geolocalização inválida.", "geolocation")
    if "identity_policy" in data and data["identity_policy"] not in tuple(IdentityCheckPolicy):
        raise Refusal("Política de verificação de identidade inválida.", "identity_policy")
    if "biometric_refusal" in data and data["biometric_refusal"] not in tuple(BiometricRefusal):
        raise Refusal("Opção inválida para a recusa de dados biométricos.", "biometric_refusal")
    if "whatsapp_provider" in data and data["whatsapp_provider"] not in ("console", "meta", "opa"):
        raise Refusal("Provedor de WhatsApp inválido.", "whatsapp_provider")
    for key, low, high in (("link_lifetime_days", 1, 90), ("reminder_every_days", 0, 30), ("reminder_max", 0, 10)):
        if key in data and not (isinstance(data[key], int) and low <= data[key] <= high):
            raise Refusal(f"Valor entre {low} e {high}.", key)
    for key in ("representative_id", "witness_id"):
        if data.get(key):
            user = db.session.get(User, data[key])
            if user is None or not user.active:
                raise Refusal("Usuário inválido.", key)
        elif key in data:
            out[key] = None
    if data.get("representative_id") and data.get("representative_id") == data.get("witness_id"):
        raise Refusal("Representante e testemunha do provedor devem ser pessoas diferentes.", "witness_id")
    for key in MESSAGE_FIELDS:
        if data.get(key):
            try:
                sandbox.check(data[key], "message")
            except TemplateError as exc:
                raise Refusal(exc.message, key) from None
    if "allowed_origins" in data:
        out["allowed_origins"] = "\n".join(_origin(o) for o in (data["allowed_origins"] or "").split())
    if data.get("webhook_url"):
        try:
            outbound.check_destination(data["webhook_url"])
        except outbound.UnsafeUrl as exc:
            raise Refusal(f"URL do webhook recusada: {exc.message}", "webhook_url") from None
        if data.get("webhook_secret") is not None and len(data["webhook_secret"].strip()) < 16:
            raise Refusal("O segredo do webhook precisa de pelo menos 16 caracteres.", "webhook_secret")
    return out


def save_integration(integration: Integration | None, data: dict) -> Integration:
    """Create an integration or update the fields of one tab (only the keys given are touched)."""
    known = {name for fields in TAB_FIELDS.values() for name in fields}
    values = _check({k: v for k, v in data.items() if k in known})
    if integration is None:
        organizations.check_integration_quota(tenancy.current())
        integration = Integration(description="")
        db.session.add(integration)
    for key, value in values.items():
        setattr(integration, key, value.strip() if isinstance(value, str) else value)
    if not integration.webhook_url:
        integration.webhook_url = None
    db.session.flush()
    return integration


def message_previews(integration: Integration) -> dict[str, str]:
    """Each notification filled with sample values (the integration's text, or the default when empty)."""
    sources = {
        "email_subject_client": integration.email_subject_client or messages.DEFAULT_SUBJECT,
        "email_body_client": integration.email_body_client or messages.DEFAULT_BODY,
        "email_subject_witness": integration.email_subject_witness or messages.DEFAULT_SUBJECT,
        "email_body_witness": integration.email_body_witness or messages.DEFAULT_BODY,
        "whatsapp_text_client": integration.whatsapp_text_client or messages.DEFAULT_WHATSAPP,
        "whatsapp_text_witness": integration.whatsapp_text_witness or messages.DEFAULT_WHATSAPP,
    }
    out = {}
    for key, source in sources.items():
        try:
            out[key] = messages.render(source, sample_context("message"))
        except TemplateError as exc:
            out[key] = f"Erro: {exc}"
    return out
