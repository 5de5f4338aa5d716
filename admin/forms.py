"""Flask-WTF forms of the panel (CSRF on every one) and the one way to run a service behind one.

Domain validation lives in the services: a form checks shapes, the service raises `Refusal`, and
`run_form` puts its message beside the field it names.
"""
from collections.abc import Callable
from typing import TypeVar

from flask import abort
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField, DateField, EmailField, FieldList, Form, FormField, HiddenField, IntegerField, PasswordField,
    SelectField, SelectMultipleField, StringField, TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from firma.delivery.deliveries import MESSAGE_CHANNELS
from firma.extensions import db
from firma.models import (
    PERMISSIONS, BiometricRefusal, IdentityCheckPolicy, ReviewDecision, SignerRole, StaffRole, TemplateKind,
)
from firma.platform.errors import Refusal
from firma.records.customers import clean_field

from .br_fields import CepField, CpfCnpjField, MoneyField, PhoneField

REQUIRED = DataRequired(message="Campo obrigatório.")
UPLOAD_ROLES = (SignerRole.CLIENT, SignerRole.CLIENT_WITNESS, SignerRole.VALIDATOR)
UPLOAD_ROWS = 4
YES_NO_DEFAULT = {"default": "Padrão da integração", "yes": "Sim", "no": "Não"}


T = TypeVar("T")


def coerce_id(value) -> int | None:
    """A select's value as a row id, or None for the blank choice."""
    return int(value) if value not in (None, "", "None") else None


def run_form(form: FlaskForm, call: Callable[[], T], *, malformed: int | None = None) -> T | None:
    """Validate the posted `form`, then run the service `call`; its result, or None when either refused.

    A Refusal rolls the session back (nothing half-made is rendered or flushed later) and lands on the
    form field it names, or among the form's own errors when it names none or a field the form lacks;
    `form_status(form)` then answers 422. `malformed` aborts with that status instead when the form
    itself is invalid: forms of hidden fields and fixed choices, where that is no person's typing mistake.
    """
    if not form.validate_on_submit():
        if malformed and form.is_submitted():
            abort(malformed)
        return None
    try:
        return call()
    except Refusal as exc:
        db.session.rollback()
        refuse(form, exc)
        return None


def refuse(form: FlaskForm, exc: Refusal) -> None:
    """Put a service's refusal on `form`: beside its field, or as a form-level error."""
    if exc.field and exc.field in form:
        form[exc.field].errors = [*form[exc.field].errors, exc.message]
    else:
        form.form_errors.append(exc.message)


def form_status(*forms: FlaskForm) -> int:
    """422 when a posted form carries any error (its own validators' or a service's), 200 otherwise."""
    return 422 if any(form.errors for form in forms) else 200


def checked_by_service(form, field) -> None:
    """Validator: the customer service's own check of this field, so every bad field is reported at once."""
    try:
        clean_field(field.name, field.data or "")
    except Refusal as exc:
        raise ValidationError(exc.message) from None


class LoginForm(FlaskForm):
    """Sign-in: e-mail and password."""

    email = EmailField("E-mail", validators=[REQUIRED, Length(max=254)])
    password = PasswordField("Senha", validators=[REQUIRED, Length(max=200)])


class UserForm(FlaskForm):
    """A staff user: name, e-mail, CPF, role, extra permissions, password."""

    name = StringField("Nome", validators=[REQUIRED, Length(max=120)])
    email = EmailField("E-mail", validators=[REQUIRED, Length(max=254)])
    cpf = CpfCnpjField("CPF", validators=[Optional(), Length(max=14)])
    role = SelectField("Perfil", choices=StaffRole.choices())
    extra_permissions = SelectMultipleField("Permissões adicionais", choices=dict(PERMISSIONS))
    active = BooleanField("Ativo", default=True)
    password = PasswordField("Senha (deixe em branco para manter)", validators=[Optional(), Length(max=200)])


class SignatureForm(FlaskForm):
    """A drawn signature as a PNG data URL."""

    signature = HiddenField("Assinatura")


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for action buttons."""


class ReasonForm(FlaskForm):
    """A reason (cancelling an envelope)."""

    reason = TextAreaField("Motivo", validators=[DataRequired(message="Informe o motivo do cancelamento."),
                                                 Length(max=1000)])


class ReviewForm(FlaskForm):
    """A reviewer's decision on a failed identity check, with its reason."""

    decision = SelectField("Decisão", choices=ReviewDecision.choices())
    reason = TextAreaField("Motivo da decisão", validators=[DataRequired(message="Informe o motivo da decisão."),
                                                            Length(max=1000)])


class ContactUpdateForm(FlaskForm):
    """A signer's new e-mail, phone or channel."""

    signer_id = HiddenField()
    email = StringField("E-mail", validators=[Optional(), Length(max=254)])
    phone = StringField("Celular", validators=[Optional(), Length(max=20)])
    channel = SelectField("Canal", choices={"": "Manter"} | {c.value: c.label for c in MESSAGE_CHANNELS})


class ResendForm(FlaskForm):
    """Which signer to send the link again, and on which channel."""

    signer_id = HiddenField()
    channel = SelectField("Canal", choices={"": "O mesmo"} | {c.value: c.label for c in MESSAGE_CHANNELS})


class SettingsForm(FlaskForm):
    """The general parameters."""

    company_name = StringField("Nome do provedor", validators=[REQUIRED, Length(max=120)])
    digital_signature_default = BooleanField("Novos contratos usam assinatura digital")


class BranchForm(FlaskForm):
    """A branch: name, CNPJ, address, colour, logo and integration."""

    name = StringField("Nome", validators=[REQUIRED, Length(max=120)])
    cnpj = CpfCnpjField("CNPJ", validators=[REQUIRED, Length(max=18)], render_kw={"placeholder": "00.000.000/0000-00"})
    address = StringField("Endereço", validators=[Length(max=250)])
    city = StringField("Cidade", validators=[Length(max=80)])
    state = StringField("UF", validators=[Length(max=2)])
    phone = PhoneField("Telefone", validators=[Length(max=20)])
    color = StringField("Cor (#rrggbb)", default="#0b5cad", validators=[Length(max=7)])
    logo = FileField("Logotipo (PNG, JPEG ou WebP)")
    integration_id = SelectField("Integração de assinatura digital", coerce=coerce_id)


class IntegrationMainForm(FlaskForm):
    """An integration's main tab: description, integrator, active."""

    description = StringField("Descrição", validators=[REQUIRED, Length(max=120)])
    integrator = StringField("Integrador", default="Firma", validators=[Length(max=60)])
    active = BooleanField("Ativa", default=True)


class IntegrationConfigForm(FlaskForm):
    """An integration's rules: send method, requirements, provider's signers, link lifetime, reminders."""

    send_method = SelectField("Método de envio", choices={"contract": "Ao salvar o contrato",
                                                          "service_order": "Ao abrir ordem de serviço"})
    require_document_photo = BooleanField("Foto do documento obrigatória")
    require_selfie = BooleanField("Selfie obrigatória")
    geolocation = SelectField("Geolocalização", choices={"optional": "Opcional", "required": "Obrigatória"})
    allow_liveness_fallback = BooleanField("Aceitar foto simples quando a câmera ao vivo não estiver disponível")
    identity_policy = SelectField("Se a comparação facial falhar ou a prova de vida não for verificada",
                                  choices=IdentityCheckPolicy.choices())
    biometric_refusal = SelectField("Se o signatário não autorizar o uso de dados biométricos",
                                    choices=BiometricRefusal.choices())
    representative_id = SelectField("Representante do provedor", coerce=coerce_id)
    witness_id = SelectField("Testemunha do provedor", coerce=coerce_id)
    link_lifetime_days = IntegerField("Validade do link (dias)", validators=[NumberRange(1, 90)])
    reminder_every_days = IntegerField("Lembrete a cada (dias)", validators=[NumberRange(0, 30)])
    reminder_max = IntegerField("Máximo de lembretes", validators=[NumberRange(0, 10)])


class IntegrationNotifyForm(FlaskForm):
    """An integration's e-mail and WhatsApp messages and provider."""

    email_subject_client = StringField("Assunto do e-mail ao cliente", validators=[Length(max=200)])
    email_body_client = TextAreaField("E-mail ao cliente")
    email_subject_witness = StringField("Assunto do e-mail à testemunha", validators=[Length(max=200)])
    email_body_witness = TextAreaField("E-mail à testemunha do cliente")
    whatsapp_provider = SelectField("Provedor de WhatsApp", choices={"console": "Console (testes)",
                                                                     "meta": "Meta WhatsApp Cloud API",
                                                                     "opa": "Opa! Suite"})
    whatsapp_template_client = StringField("Modelo de WhatsApp ao cliente", validators=[Length(max=120)])
    whatsapp_text_client = TextAreaField("Texto de WhatsApp ao cliente")
    whatsapp_template_witness = StringField("Modelo de WhatsApp à testemunha", validators=[Length(max=120)])
    whatsapp_text_witness = TextAreaField("Texto de WhatsApp à testemunha")


class IntegrationPortalForm(FlaskForm):
    """The origins allowed to embed the signing page."""

    allowed_origins = TextAreaField("Origens autorizadas a incorporar a página de assinatura (uma por linha)")


class IntegrationWebhookForm(FlaskForm):
    """The ERP's webhook URL and secret."""

    webhook_url = StringField("URL do webhook", validators=[Length(max=500)])
    webhook_secret = StringField("Segredo do webhook", validators=[Length(max=128)])


INTEGRATION_TABS = {
    "integracao": ("Integração", IntegrationMainForm),
    "configuracoes": ("Configurações", IntegrationConfigForm),
    "notificacoes": ("Notificações", IntegrationNotifyForm),
    "portal": ("Portal", IntegrationPortalForm),
    "webhook": ("Webhook", IntegrationWebhookForm),
}


class CustomerForm(FlaskForm):
    """A customer, each field checked by the customer service's own rules."""

    name = StringField("Nome ou razão social", validators=[REQUIRED, Length(max=160)])
    cpf_cnpj = CpfCnpjField("CPF/CNPJ", validators=[REQUIRED, Length(max=18), checked_by_service])
    email = StringField("E-mail", validators=[Length(max=254), checked_by_service])
    phone = PhoneField("Celular", validators=[Length(max=20), checked_by_service])
    rg = StringField("RG", validators=[Length(max=20)])
    birth_date = DateField("Data de nascimento", validators=[Optional()])
    street = StringField("Logradouro", validators=[Length(max=160)])
    number = StringField("Número", validators=[Length(max=20)])
    complement = StringField("Complemento", validators=[Length(max=80)])
    district = StringField("Bairro", validators=[Length(max=80)])
    city = StringField("Cidade", validators=[Length(max=80)])
    state = StringField("UF", validators=[Length(max=2), checked_by_service])
    zip_code = CepField("CEP", validators=[Length(max=9), checked_by_service])


class ContactForm(FlaskForm):
    """A contact (a client's witness)."""

    name = StringField("Nome", validators=[REQUIRED, Length(max=160)])
    cpf = CpfCnpjField("CPF", validators=[Length(max=14), checked_by_service])
    email = StringField("E-mail", validators=[Length(max=254), checked_by_service])
    phone = PhoneField("Celular", validators=[Length(max=20), checked_by_service])
    customer_id = SelectField("Cliente relacionado", coerce=coerce_id)


class ContractForm(FlaskForm):
    """A contract: customer, branch, template, plan and the signature switches."""

    number = StringField("Número", validators=[REQUIRED, Length(max=30)])
    customer_id = SelectField("Cliente", coerce=coerce_id)
    branch_id = SelectField("Filial", coerce=coerce_id)
    template_id = SelectField("Modelo de contrato", coerce=coerce_id)
    plan = StringField("Plano", validators=[Length(max=120)])
    price = MoneyField("Valor mensal (R$)", validators=[Length(max=14)])
    due_day = IntegerField("Dia de vencimento", default=10, validators=[NumberRange(1, 31)])
    loyalty_months = IntegerField("Fidelidade (meses)", default=12, validators=[NumberRange(0, 60)])
    installation_address = StringField("Endereço de instalação", validators=[Length(max=250)])
    use_digital_signature = BooleanField("Usar assinatura digital")
    activate_on_signature = BooleanField("Ativar o contrato ao ser assinado", default=True)
    witness_contact_id = SelectField("Testemunha do cliente (avalista)", coerce=coerce_id)
    require_selfie = SelectField("Exigir selfie", choices=YES_NO_DEFAULT)
    require_document_photo = SelectField("Exigir foto do documento", choices=YES_NO_DEFAULT)
    identity_policy = SelectField("Se a verificação de identidade falhar",
                                  choices={"default": "Padrão da integração", **IdentityCheckPolicy.choices()})


class TermForm(FlaskForm):
    """A term to attach to a contract, signed with it or on its own."""

    template_id = SelectField("Termo", coerce=coerce_id)
    signed = SelectField("Assinado", choices={"no": "Não (enviar link próprio)", "yes": "Sim"})


class TemplateForm(FlaskForm):
    """A document template: name, kind, HTML body and linked terms."""

    name = StringField("Nome", validators=[REQUIRED, Length(max=160)])
    kind = SelectField("Tipo", choices=TemplateKind.choices())
    body = TextAreaField("Conteúdo (HTML com variáveis)", validators=[REQUIRED])
    active = BooleanField("Ativo", default=True)
    terms = SelectMultipleField("Termos vinculados", coerce=int)
    auto_terms = SelectMultipleField("Inserir automaticamente no contrato", coerce=int)


class SubjectForm(FlaskForm):
    """A service-order subject, flagged or not for digital signature."""

    name = StringField("Nome", validators=[REQUIRED, Length(max=120)])
    digital_signature = BooleanField("Integração de assinatura digital")
    template_id = SelectField("Modelo de ordem de serviço", coerce=coerce_id)


class ServiceOrderForm(FlaskForm):
    """A new service order."""

    number = StringField("Número", validators=[REQUIRED, Length(max=30)])
    customer_id = SelectField("Cliente", coerce=coerce_id)
    branch_id = SelectField("Filial", coerce=coerce_id)
    subject_id = SelectField("Assunto", coerce=coerce_id)
    contract_id = SelectField("Contrato", coerce=coerce_id)
    description = TextAreaField("Descrição")


class BatchForm(FlaskForm):
    """A batch action over the selected contracts."""

    action = SelectField("Operação")
    reason = StringField("Motivo (para cancelamento)", validators=[Length(max=1000)])
    select_all = HiddenField()


class ValidatorForm(FlaskForm):
    """A validator to add to a pending envelope: who, and where to send the link."""

    name = StringField("Nome", validators=[REQUIRED, Length(max=160)])
    cpf = StringField("CPF", validators=[REQUIRED, Length(max=14)])
    email = StringField("E-mail", validators=[Optional(), Length(max=254)])
    phone = StringField("Celular", validators=[Optional(), Length(max=20)])
    channel = SelectField("Canal", choices={"": "Automático (WhatsApp se houver celular)"}
                          | {c.value: c.label for c in MESSAGE_CHANNELS})


class HandOverForm(FlaskForm):
    """Which signer gets a new link to hand over in person."""

    signer_id = HiddenField()


class UploadSignerRow(Form):
    """One signer row of an uploaded PDF (left blank: ignored)."""

    # The service refuses an unknown role or channel; a row left out of the post must not fail here.
    role = SelectField("Papel", choices={r.value: r.label for r in UPLOAD_ROLES}, validate_choice=False)
    name = StringField("Nome", validators=[Length(max=160)])
    cpf = StringField("CPF", validators=[Length(max=14)])
    email = StringField("E-mail", validators=[Length(max=254)])
    phone = StringField("Celular", validators=[Length(max=20)])
    channel = SelectField("Canal", choices={"": "Automático (WhatsApp se houver celular)"}
                          | {c.value: c.label for c in MESSAGE_CHANNELS}, validate_choice=False)
    require_document_photo = BooleanField("Foto do documento")
    require_selfie = BooleanField("Selfie com prova de vida")
    require_geolocation = BooleanField("Localização obrigatória")


class UploadForm(FlaskForm):
    """A PDF the ISP already has, sent for signature: file, title, branch and signers."""

    pdf = FileField("Arquivo PDF")
    title = StringField("Título do documento", validators=[REQUIRED, Length(max=200)])
    branch_id = SelectField("Filial", coerce=coerce_id)
    provider_signers = BooleanField("Incluir representante e testemunha do provedor (assinatura automática)")
    signers = FieldList(FormField(UploadSignerRow), min_entries=UPLOAD_ROWS, max_entries=UPLOAD_ROWS)


class OrganizationForm(FlaskForm):
    """A new organization (provider), on the platform operator's page."""

    name = StringField("Razão social", validators=[REQUIRED, Length(max=160)])
    cnpj = StringField("CNPJ", validators=[REQUIRED, Length(max=18)])
    admin_email = EmailField("E-mail do primeiro administrador", validators=[Optional(), Length(max=254)])
    max_envelopes_per_month = IntegerField("Limite de envios por mês", validators=[Optional(), NumberRange(0, 10**7)])
    max_integrations = IntegerField("Limite de integrações", validators=[Optional(), NumberRange(0, 1000)])


class OrganizationStatusForm(FlaskForm):
    """Deactivate or reactivate an organization, with the reason (required to deactivate; the service checks)."""

    reason = StringField("Motivo", validators=[Length(max=500)])
