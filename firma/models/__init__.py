"""All domain models (DESIGN §3) and their vocabulary, importable from one place."""
from firma.models.base import utcnow
from firma.models.envelopes import Batch, BatchItem, Delivery, Envelope, Event, Evidence, IdempotencyKey, Signer
from firma.models.org import PERMISSIONS, ROLE_PERMISSIONS, Branch, Integration, Organization, Settings, User
from firma.models.records import (
    Contact, Contract, Customer, DocumentTemplate, ServiceOrder, Subject, TemplateTermLink, TemplateVersion, Term,
)
from firma.models.vocabulary import (
    SIGNER_CHANNELS, BatchItemStatus, BatchStatus, BiometricRefusal, Channel, ContractStatus, DeliveryPurpose,
    DeliveryStatus, DocumentKind, EnvelopeStatus, EventType, EvidenceKind, FinaliseState, GeolocationStatus,
    IdentityCheckDecision, IdentityCheckOutcome, IdentityCheckPolicy, LabelledEnum,
    LivenessChallenge, ReviewDecision, ReviewState,
    SignatureMethod, SignerRole, SignerStatus, StaffRole, TemplateKind,
)

__all__ = [
    "utcnow", "Batch", "BatchItem", "Delivery", "Envelope", "Event", "Evidence", "IdempotencyKey", "Signer",
    "PERMISSIONS", "ROLE_PERMISSIONS", "Branch", "Integration", "Organization", "Settings", "User", "Contact",
    "Contract",
    "Customer", "DocumentTemplate", "ServiceOrder", "Subject", "TemplateTermLink", "TemplateVersion", "Term",
    "SIGNER_CHANNELS", "BatchItemStatus", "BatchStatus", "Channel",
    "ContractStatus", "DeliveryPurpose", "DeliveryStatus", "DocumentKind", "EnvelopeStatus", "EventType",
    "EvidenceKind", "FinaliseState", "GeolocationStatus", "LabelledEnum", "LivenessChallenge", "SignatureMethod",
    "SignerRole", "SignerStatus", "StaffRole", "TemplateKind", "BiometricRefusal", "IdentityCheckDecision", "IdentityCheckOutcome",
    "IdentityCheckPolicy", "ReviewDecision", "ReviewState",
]
