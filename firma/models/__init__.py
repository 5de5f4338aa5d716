"""All domain models (DESIGN §3), importable from one place."""
from firma.models.base import utcnow
from firma.models.envelopes import (
    CHANNELS, ENVELOPE_STATUSES, SIGNER_ROLES, SIGNER_STATUSES, Batch, BatchItem, Delivery, Envelope, Event, Evidence,
    IdempotencyKey, Signer,
)
from firma.models.org import PERMISSIONS, ROLE_PERMISSIONS, ROLES, Branch, Integration, Settings, User
from firma.models.records import (
    CONTRACT_STATUSES, TEMPLATE_KINDS, Contact, Contract, Customer, DocumentTemplate, ServiceOrder, Subject,
    TemplateTermLink, TemplateVersion, Term,
)

__all__ = [
    "utcnow", "CHANNELS", "ENVELOPE_STATUSES", "SIGNER_ROLES", "SIGNER_STATUSES", "Batch", "BatchItem",
    "Delivery", "Envelope", "Event", "Evidence", "IdempotencyKey", "Signer", "PERMISSIONS", "ROLE_PERMISSIONS",
    "ROLES", "Branch", "Integration", "Settings", "User", "CONTRACT_STATUSES", "TEMPLATE_KINDS", "Contact",
    "Contract", "Customer", "DocumentTemplate", "ServiceOrder", "Subject", "TemplateTermLink", "TemplateVersion",
    "Term",
]
