"""Response models of the API: each shapes one resource from its database row and documents it in OpenAPI."""
from datetime import datetime
from typing import Annotated, Generic, TypeVar

from flask import url_for
from pydantic import ConfigDict, PlainSerializer, WithJsonSchema

from firma.evidence import store
from firma.models import (
    Batch as BatchRow, Contract as ContractRow, Customer as CustomerRow, DocumentTemplate, Envelope as EnvelopeRow,
    Signer as SignerRow,
)

from .fields import (
    BatchAction, ContractIdentityPolicy, ContractStatusCode, EnvelopeKind, EnvelopeStatusCode, FinaliseStateCode,
    IdentityPolicyCode, Resource, ReviewStateCode, SignerChannel, SignerRoleCode, SignerStatusCode, TemplateKindCode,
    Tristate,
)


def when(value: datetime | None) -> str | None:
    """A UTC time as ISO 8601 to the second with a Z, the way every API timestamp reads."""
    return value.isoformat(timespec="seconds").replace("+00:00", "Z") if value else None


Timestamp = Annotated[datetime | None, PlainSerializer(when),
                      WithJsonSchema({"type": ["string", "null"], "format": "date-time"})]


class FieldError(Resource):
    """One invalid input of a 422: where (dotted path) and why (pt-BR)."""

    field: str
    detail: str


class Problem(Resource):
    """An RFC 9457 problem; `field` names the input it is about as a dotted path (`signers.0.email`)."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=False)  # field, errors: when they apply

    type: str
    title: str
    status: int
    detail: str
    field: str | None = None
    errors: list[FieldError] | None = None


class Customer(Resource):
    """A customer (Cliente), found by its compact CPF/CNPJ."""

    id: int
    name: str
    cpf_cnpj: str
    email: str | None
    phone: str | None
    street: str
    number: str
    complement: str
    district: str
    city: str
    state: str
    zip_code: str
    created_at: Timestamp

    @classmethod
    def of(cls, row: CustomerRow) -> "Customer":
        """The customer as the API shows it."""
        return cls.model_validate(row, from_attributes=True)


class EvidenceSummary(Resource):
    """What was collected from a signer, without the personal data itself."""

    collected: list[str]
    geolocation: str | None
    liveness_passed: bool | None
    document_sha256_seen: str | None

    @classmethod
    def of(cls, signer: SignerRow) -> "EvidenceSummary":
        """The signer's evidence kinds and the outcome of geolocation and liveness."""
        geo, liveness = store.latest(signer, "geolocation"), store.latest(signer, "liveness")
        return cls(collected=sorted({row.kind for row in signer.evidence if not row.superseded}),
                   geolocation=(geo.data or {}).get("status") if geo else None,
                   liveness_passed=(liveness.data or {}).get("passed") if liveness else None,
                   document_sha256_seen=signer.document_sha256_seen)


class Signer(Resource):
    """A signer (signatário) and where they are in the flow."""

    id: int
    role: SignerRoleCode
    name: str
    email: str | None
    phone: str | None
    channel: SignerChannel
    status: SignerStatusCode
    order: int
    require_document_photo: bool
    require_selfie: bool
    require_geolocation: bool
    viewed_at: Timestamp
    signed_at: Timestamp
    declined_at: Timestamp
    decline_reason: str | None
    reminders_sent: int
    last_sent_at: Timestamp
    evidence: EvidenceSummary

    @classmethod
    def of(cls, row: SignerRow) -> "Signer":
        """The signer with the summary of their evidence."""
        fields = {name: getattr(row, name) for name in cls.model_fields if name != "evidence"}
        return cls(**fields, evidence=EvidenceSummary.of(row))


def envelope_url(envelope: EnvelopeRow, document: str) -> str:
    """Where the ERP downloads one of the envelope's documents."""
    return url_for("api.envelope_document", code=envelope.public_code, document=document, _external=True)


class Documents(Resource):
    """Download links of an envelope's documents; final and manifest exist once it is sealed."""

    original: str
    final: str | None
    manifest: str | None


class EnvelopeSummary(Resource):
    """An envelope (the signature request) without its signers, as lists show it."""

    id: int
    public_code: str
    kind: EnvelopeKind
    title: str
    status: EnvelopeStatusCode
    contract_number: str | None
    service_order_number: str | None
    original_sha256: str
    final_sha256: str | None
    finalise_state: FinaliseStateCode
    expires_at: Timestamp
    created_at: Timestamp
    completed_at: Timestamp
    cancelled_at: Timestamp
    cancel_reason: str | None
    identity_policy: IdentityPolicyCode
    review_state: ReviewStateCode
    review_reason: str | None
    reviewed_at: Timestamp
    reviewed_by: str | None
    documents: Documents

    @classmethod
    def fields_of(cls, row: EnvelopeRow) -> dict:
        """The summary's values read from the row."""
        sealed = bool(row.final_path)
        plain = {name: getattr(row, name) for name in EnvelopeSummary.model_fields
                 if name not in ("contract_number", "service_order_number", "documents")}
        return {**plain, "contract_number": row.contract.number if row.contract is not None else None,
                "service_order_number": row.service_order.number if row.service_order is not None else None,
                "documents": Documents(original=envelope_url(row, "original"),
                                       final=envelope_url(row, "final") if sealed else None,
                                       manifest=envelope_url(row, "manifest") if sealed else None)}

    @classmethod
    def of(cls, row: EnvelopeRow) -> "EnvelopeSummary":
        """The envelope as a list item."""
        return cls(**cls.fields_of(row))


class Envelope(EnvelopeSummary):
    """An envelope with each signer's situation."""

    signers: list[Signer]

    @classmethod
    def of(cls, row: EnvelopeRow) -> "Envelope":
        """The envelope with its signers."""
        return cls(**cls.fields_of(row), signers=[Signer.of(s) for s in row.signers])


class Contract(Resource):
    """A contract and, when asked for, its latest envelope."""

    id: int
    number: str
    status: ContractStatusCode
    customer_cpf_cnpj: str
    branch_id: int
    template_id: int
    plan: str
    price: str
    due_day: int
    loyalty_months: int
    installation_address: str
    use_digital_signature: bool
    activate_on_signature: bool
    require_selfie: Tristate
    require_document_photo: Tristate
    identity_policy: ContractIdentityPolicy
    activated_at: Timestamp
    created_at: Timestamp
    updated_at: Timestamp
    envelope: Envelope | None

    @classmethod
    def of(cls, row: ContractRow, envelope: EnvelopeRow | None = None) -> "Contract":
        """The contract with `envelope` (or null)."""
        plain = {name: getattr(row, name) for name in cls.model_fields
                 if name not in ("customer_cpf_cnpj", "price", "envelope")}
        return cls(**plain, customer_cpf_cnpj=row.customer.cpf_cnpj, price=str(row.price),
                   envelope=Envelope.of(envelope) if envelope is not None else None)


class Template(Resource):
    """An active document template and its current version number."""

    id: int
    name: str
    kind: TemplateKindCode
    active: bool
    version: int | None

    @classmethod
    def of(cls, row: DocumentTemplate) -> "Template":
        """The template as listed."""
        return cls(id=row.id, name=row.name, kind=row.kind, active=row.active,
                   version=row.current.number if row.current else None)


class Preview(Resource):
    """A template's body rendered with sample or a contract's data."""

    template_id: int
    version: int
    html: str


class Delivery(Resource):
    """One queued message of a resend."""

    id: int
    signer_id: int
    channel: str
    status: str


class Deliveries(Resource):
    """The messages a resend queued."""

    deliveries: list[Delivery]


class SyncResult(Resource):
    """What a sync found and did."""

    envelope: Envelope
    actions: list[str]
    pending_signer_ids: list[int]
    message: str


class Batch(Resource):
    """A batch operation over contracts, with item counts by outcome."""

    id: int
    action: BatchAction
    status: str
    total: int
    processed: int
    items: dict[str, int]
    created_at: Timestamp
    finished_at: Timestamp
    url: str

    @classmethod
    def of(cls, row: BatchRow) -> "Batch":
        """The batch and how many items ended in each status."""
        counts: dict[str, int] = {}
        for item in row.items:
            counts[item.status] = counts.get(item.status, 0) + 1
        return cls(id=row.id, action=row.action, status=row.status, total=row.total, processed=row.processed,
                   items=counts, created_at=row.created_at, finished_at=row.finished_at,
                   url=url_for("api.get_batch", batch_id=row.id, _external=True))


class PendingDocument(Resource):
    """A document the client still has to sign, with a fresh embed link."""

    public_code: str
    title: str
    status: EnvelopeStatusCode
    created_at: Timestamp
    embed_url: str
    expires_at: Timestamp


class SignedDocument(Resource):
    """A document the client signed, with its download link."""

    public_code: str
    title: str
    status: EnvelopeStatusCode
    created_at: Timestamp
    download_url: str
    completed_at: Timestamp


class PortalDocuments(Resource):
    """The subscriber portal's view of one client: pending and signed documents."""

    cpf_cnpj: str
    pending: list[PendingDocument]
    signed: list[SignedDocument]


Item = TypeVar("Item", bound=Resource)


class Page(Resource, Generic[Item]):
    """One page of a list; `next_cursor` is null on the last page."""

    data: list[Item]
    next_cursor: str | None


class CustomerPage(Page[Customer]):
    """A page of customers."""


class TemplatePage(Page[Template]):
    """A page of templates."""


class EnvelopePage(Page[EnvelopeSummary]):
    """A page of envelopes (without signers)."""
