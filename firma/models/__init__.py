"""All domain models (DESIGN §3) and their vocabulary, importable from one place."""
from firma.models.base import utcnow
from firma.models.envelopes import (
    Batch, BatchItem, Delivery, Envelope, Event, Evidence, IdempotencyKey, Signer,
)
from firma.models.org import PERMISSIONS, ROLE_PERMISSIONS, Branch, Integration, Settings, User
from firma.models.records import (
    Contact, Contract, Customer, DocumentTemplate, ServiceOrder, Subject, TemplateTermLink, TemplateVersion, Term,
)
from firma.models.vocabulary import (
    SIGNER_CHANNELS, BatchItemStatus, BatchStatus, Channel, ContractStatus,
    DeliveryPurpose, DeliveryStatus, DocumentKind, EnvelopeStatus, EventType, EvidenceKind, FinaliseState,
    GeolocationStatus, LabelledEnum, LivenessChallenge, SignatureMethod, SignerRole, SignerStatus, StaffRole,
    TemplateKind,
)

# TODO(remove): old names api/ still imports; re-point it to the enums, then delete these aliases.
ENVELOPE_STATUSES = tuple(EnvelopeStatus)
SIGNER_STATUSES = tuple(SignerStatus)
CONTRACT_STATUSES = tuple(ContractStatus)
TEMPLATE_KINDS = tuple(TemplateKind)
SIGNER_ROLES = SignerRole.choices()
CHANNELS = {channel.value: channel.label for channel in SIGNER_CHANNELS}

__all__ = [
    "utcnow", "Batch", "BatchItem", "Delivery", "Envelope", "Event", "Evidence", "IdempotencyKey", "Signer",
    "PERMISSIONS", "ROLE_PERMISSIONS", "Branch", "Integration", "Settings", "User", "Contact", "Contract",
    "Customer", "DocumentTemplate", "ServiceOrder", "Subject", "TemplateTermLink", "TemplateVersion", "Term",
    "SIGNER_CHANNELS", "BatchItemStatus", "BatchStatus", "Channel",
    "ContractStatus", "DeliveryPurpose", "DeliveryStatus", "DocumentKind", "EnvelopeStatus", "EventType",
    "EvidenceKind", "FinaliseState", "GeolocationStatus", "LabelledEnum", "LivenessChallenge", "SignatureMethod",
    "SignerRole", "SignerStatus", "StaffRole", "TemplateKind",
    "ENVELOPE_STATUSES", "SIGNER_STATUSES", "CONTRACT_STATUSES", "TEMPLATE_KINDS", "SIGNER_ROLES", "CHANNELS",
]
