"""The domain's codes and their pt-BR labels: one enum per idea, each member carrying the word a person reads.

The values are the strings stored in the database and sent over the API and webhooks; the labels are only for
screens, e-mails and the manifest. Every enum lives here, beside the others, so one file holds the whole
vocabulary: a new status or event type is added in one place and the tests check every reader shows its label.
"""
from enum import StrEnum


class LabelledEnum(StrEnum):
    """A string enum whose members carry a pt-BR `label`; members compare equal to their stored strings."""

    def __new__(cls, value: str, label: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def choices(cls) -> dict[str, str]:
        """value → label in declaration order: a form's select choices, or a lookup by stored string."""
        return {member.value: member.label for member in cls}


class EnvelopeStatus(LabelledEnum):
    """Where a signature request stands."""

    PENDING = "pending", "Pendente"
    COMPLETED = "completed", "Concluído"
    CANCELLED = "cancelled", "Cancelado"
    EXPIRED = "expired", "Expirado"
    DECLINED = "declined", "Recusado"


class SignerStatus(LabelledEnum):
    """Where one signer stands."""

    PENDING = "pending", "Pendente"
    SENT = "sent", "Enviado"
    VIEWED = "viewed", "Visualizado"
    SIGNED = "signed", "Assinado"
    DECLINED = "declined", "Recusado"
    EXPIRED = "expired", "Expirado"


class SignerRole(LabelledEnum):
    """In what capacity a person signs."""

    CLIENT = "client", "Cliente"
    CLIENT_WITNESS = "client_witness", "Testemunha do cliente"
    PROVIDER_REPRESENTATIVE = "provider_representative", "Representante do provedor"
    PROVIDER_WITNESS = "provider_witness", "Testemunha do provedor"
    VALIDATOR = "validator", "Validador"


class Channel(LabelledEnum):
    """How we reach someone: a signer's link channel, or a delivery's (messages and webhooks)."""

    EMAIL = "email", "E-mail"
    WHATSAPP = "whatsapp", "WhatsApp"
    PORTAL = "portal", "Portal do assinante"
    AUTOMATIC = "automatic", "Automático"
    WEBHOOK = "webhook", "Webhook"


SIGNER_CHANNELS = (Channel.EMAIL, Channel.WHATSAPP, Channel.PORTAL, Channel.AUTOMATIC)


class DocumentKind(LabelledEnum):
    """What an envelope signs."""

    CONTRACT = "contract", "Contrato"
    TERM = "term", "Termo"
    SERVICE_ORDER = "service_order", "Ordem de serviço"
    UPLOAD = "upload", "Documento enviado"


class TemplateKind(LabelledEnum):
    """What a document template produces (an envelope's kind, uploads aside)."""

    CONTRACT = "contract", DocumentKind.CONTRACT.label
    TERM = "term", DocumentKind.TERM.label
    SERVICE_ORDER = "service_order", DocumentKind.SERVICE_ORDER.label


class ContractStatus(LabelledEnum):
    """Where a contract stands."""

    DRAFT = "draft", "Rascunho"
    AWAITING_SIGNATURE = "awaiting_signature", "Aguardando assinatura"
    ACTIVE = "active", "Ativo"
    CANCELLED = "cancelled", "Cancelado"


class StaffRole(LabelledEnum):
    """A staff user's profile, which grants a set of permissions."""

    ADMIN = "admin", "Administrador"
    OPERATOR = "operator", "Operador"
    VIEWER = "viewer", "Consulta"


class DeliveryStatus(LabelledEnum):
    """Where one message or webhook delivery stands."""

    QUEUED = "queued", "Na fila"
    SENDING = "sending", "Enviando"
    SENT = "sent", "Enviado"
    RETRY = "retry", "Nova tentativa"
    FAILED = "failed", "Falhou"
    SKIPPED = "skipped", "Ignorado"


class DeliveryPurpose(LabelledEnum):
    """Why a message is sent (a webhook delivery's purpose is instead the event type it reports)."""

    LINK = "link", "Link de assinatura"
    RESEND = "resend", "Reenvio do link"
    REMINDER = "reminder", "Lembrete"
    COMPLETED = "completed", "Documento assinado"


class BatchStatus(LabelledEnum):
    """Where a batch operation stands."""

    QUEUED = "queued", "Na fila"
    RUNNING = "running", "Em andamento"
    DONE = "done", "Concluído"
    FAILED = "failed", "Falhou"


class BatchItemStatus(LabelledEnum):
    """One contract's outcome in a batch."""

    PENDING = "pending", "Pendente"
    RUNNING = "running", "Em andamento"
    DONE = "done", "Concluído"
    SKIPPED = "skipped", "Ignorado"
    FAILED = "failed", "Falhou"


class FinaliseState(LabelledEnum):
    """Where the sealing of an envelope's final PDF stands."""

    NONE = "none", "Não iniciada"
    RUNNING = "running", "Em andamento"
    DONE = "done", "Concluída"
    FAILED = "failed", "Falhou"


class EventType(LabelledEnum):
    """Every audit event type written through firma.evidence.audit.record."""

    ENVELOPE_CREATED = "envelope.created", "Envelope criado"
    ENVELOPE_SENT = "envelope.sent", "Envelope enviado aos signatários"
    ENVELOPE_CANCELLED = "envelope.cancelled", "Envelope cancelado"
    ENVELOPE_EXPIRED = "envelope.expired", "Envelope expirado"
    ENVELOPE_FINALISE_FAILED = "envelope.finalise_failed", "Falha ao gerar o documento final"
    ENVELOPE_COMPLETED = "envelope.completed", "Documento final gerado e selado"
    ENVELOPE_LTA_REFRESHED = "envelope.lta_refreshed", "Novo carimbo do tempo de arquivamento (LTA) no documento final"
    ENVELOPE_REVIEW_REQUIRED = "envelope.review_required", "Revisão manual da identificação solicitada"
    ENVELOPE_REVIEW_DECIDED = "envelope.review_decided", "Revisão manual da identificação decidida"
    CONTRACT_ACTIVATED = "contract.activated", "Contrato ativado"
    SIGNER_ADDED = "signer.added", "Signatário incluído"
    SIGNER_CONTACT_UPDATED = "signer.contact_updated", "Contato do signatário corrigido"
    SIGNER_LINK_SENT = "signer.link_sent", "Link enviado ao signatário"
    SIGNER_LINK_HANDED = "signer.link_handed", "Novo link gerado pela equipe (entregue em mãos)"
    SIGNER_VIEWED = "signer.viewed", "Link aberto pelo signatário"
    SIGNER_IDENTITY_CONFIRMED = "signer.identity_confirmed", "Identidade confirmada (CPF)"
    SIGNER_IDENTITY_FAILED = "signer.identity_failed", "CPF informado não confere"
    SIGNER_DOCUMENT_SERVED = "signer.document_served", "Documento exibido ao signatário"
    SIGNER_CONSENTED = "signer.consented", "Termos da assinatura eletrônica aceitos"
    SIGNER_BIOMETRIC_CONSENT = "signer.biometric_consent", "Tratamento de dados biométricos autorizado"
    SIGNER_BIOMETRIC_REFUSED = "signer.biometric_refused", "Tratamento de dados biométricos não autorizado"
    SIGNER_READ = "signer.read", "Leitura do documento concluída"
    SIGNER_DOCUMENT_PHOTO = "signer.document_photo", "Foto do documento registrada"
    SIGNER_PHOTO_REJECTED = "signer.photo_rejected", "Foto recusada"
    SIGNER_LIVENESS = "signer.liveness", "Prova de vida realizada"
    SIGNER_IDENTITY_CHECK = "signer.identity_check", "Verificação de identidade avaliada"
    SIGNER_SIGNATURE_CAPTURED = "signer.signature_captured", "Assinatura registrada"
    SIGNER_GEOLOCATION = "signer.geolocation", "Localização registrada"
    SIGNER_SIGNED = "signer.signed", "Documento assinado"
    SIGNER_DECLINED = "signer.declined", "Assinatura recusada"


class ServedFormat(LabelledEnum):
    """How the document's bytes were served to a signer (recorded by the server, never posted by the page)."""

    PAGE_IMAGES = "page_images", "imagem da página"
    PDF = "pdf", "PDF original"


class EvidenceKind(LabelledEnum):
    """Every kind of item stored through firma.evidence.store.save."""

    DOCUMENT_FRONT = "document_front", "Documento (frente)"
    DOCUMENT_BACK = "document_back", "Documento (verso)"
    SELFIE = "selfie", "Selfie"
    LIVENESS = "liveness", "Prova de vida"
    FACE_MATCH = "face_match", "Comparação facial"
    READING = "reading", "Leitura do documento"
    SIGNATURE = "signature", "Assinatura"
    GEOLOCATION = "geolocation", "Localização"
    DEVICE = "device", "Dispositivo"
    CONSENT = "consent", "Termos da assinatura eletrônica"
    BIOMETRIC_CONSENT = "biometric_consent", "Consentimento para dados biométricos"


class GeolocationStatus(LabelledEnum):
    """The browser's answer when asked for the signer's location."""

    GRANTED = "granted", "capturada"
    DENIED = "denied", "negada"
    UNAVAILABLE = "unavailable", "indisponível"
    TIMEOUT = "timeout", "indisponível (tempo esgotado)"
    NOT_SHARED = "not_shared", "não compartilhada pelo signatário"


class LivenessChallenge(LabelledEnum):
    """What the signer is asked to do in the liveness selfie ("left" is the signer's own left)."""

    TURN_LEFT = "turn_left", "virar o rosto para a esquerda"
    TURN_RIGHT = "turn_right", "virar o rosto para a direita"
    BLINK = "blink", "piscar"


class SignatureMethod(LabelledEnum):
    """How a signature image came to be."""

    DRAWN = "drawn", "desenhada"
    TYPED = "typed", "nome digitado"
    STORED = "stored", "armazenada"


class IdentityCheckPolicy(LabelledEnum):
    """What happens when the face match fails or liveness could not be verified."""

    BLOCK = "block", "Bloquear (nova tentativa, depois recusa)"
    REVIEW = "review", "Revisão manual antes de ativar"
    RECORD = "record", "Apenas registrar"


class IdentityCheckOutcome(LabelledEnum):
    """What the identity check of one signer found."""

    PASSED = "passed", "identificação confirmada"
    FACE_MISMATCH = "face_mismatch", "rostos diferentes na comparação facial"
    LIVENESS_NOT_VERIFIED = "liveness_not_verified", "prova de vida não verificada"
    WITHOUT_BIOMETRICS = "without_biometrics", "sem biometria (consentimento não dado)"


class IdentityCheckDecision(LabelledEnum):
    """What the identity-check policy did with one signer's outcome."""

    ACCEPTED = "accepted", "aceita"
    BLOCKED = "blocked", "bloqueada: nova tentativa exigida"
    REVIEW = "review", "encaminhada para revisão manual"
    RECORDED = "recorded", "apenas registrada (a política não bloqueia)"


class BiometricRefusal(LabelledEnum):
    """What a signer's refusal of biometric consent leads to, per integration."""

    DECLINE = "decline", "Recusar a assinatura"
    WITHOUT_BIOMETRICS = "without_biometrics", "Assinar sem biometria"


class ReviewState(LabelledEnum):
    """Where the manual review of an envelope's identity checks stands."""

    NONE = "none", "Sem revisão"
    REQUIRED = "required", "Aguardando revisão"
    APPROVED = "approved", "Aprovado na revisão"
    REJECTED = "rejected", "Reprovado na revisão"


class ReviewDecision(LabelledEnum):
    """A reviewer's verdict."""

    APPROVE = "approve", "Aprovar"
    REJECT = "reject", "Reprovar"
