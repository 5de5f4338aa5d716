"""All domain models (DESIGN §3), importable from one place."""
from .base import utcnow
from .envelopes import (
    CHANNELS, ENVELOPE_STATUSES, SIGNER_ROLES, SIGNER_STATUSES, Batch, BatchItem, Delivery, Envelope, Event,
    Evidence, IdempotencyKey, Signer,
)
from .org import PERMISSIONS, ROLE_PERMISSIONS, ROLES, Branch, Integration, Settings, User
from .records import (
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
