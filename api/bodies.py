"""Request models of the API: bodies and query strings, sized to the database columns they end up in."""
from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from .fields import (
    BatchAction, Body, ContractIdentityPolicy, EnvelopeKind, EnvelopeStatusCode, Id, MessageChannel, Price,
    RequestedChannel, ReviewDecisionCode, SignerRoleCode, TemplateKindCode, Text, Tristate,
)

# Formatted input is longer than the digits stored: "11.222.333/0001-81", "13010-000", "+55 (19) 98765-4321".
CpfCnpj = Text(18)
ContractNumber = Text(30)
Reason = Text(2000)
MAX_SIGNERS = 20
MAX_BATCH = 5000


class CustomerInput(Body):
    """A customer to create or update, matched by CPF/CNPJ."""

    name: Text(160, min_length=1)
    cpf_cnpj: CpfCnpj
    email: Text(254) | None = None
    phone: Annotated[Text(30) | None, Field(description="E.164 ou nacional")] = None
    rg: Text(20) = ""
    birth_date: date | None = None
    street: Text(160) = ""
    number: Text(20) = ""
    complement: Text(80) = ""
    district: Text(80) = ""
    city: Text(80) = ""
    state: Text(2) = ""
    zip_code: Text(9) = ""


class ContractInput(Body):
    """A contract to create, or the fields of one to change (fields left out keep their value)."""

    number: ContractNumber = ""
    customer_cpf_cnpj: CpfCnpj = ""
    branch_id: Id | None = None
    template_id: Id | None = None
    plan: Text(120) = ""
    price: Price | None = None
    due_day: Annotated[int, Field(ge=1, le=31)] = 10
    loyalty_months: Annotated[int, Field(ge=0, le=600)] = 12
    installation_address: Text(250) = ""
    use_digital_signature: bool = False
    activate_on_signature: bool = True
    require_selfie: Tristate = "default"
    require_document_photo: Tristate = "default"
    identity_policy: ContractIdentityPolicy = "default"


class PreviewInput(Body):
    """Render a template with a contract's data, or with sample data when no number is given."""

    contract_number: ContractNumber | None = None


class SignerInput(Body):
    """A signer of an uploaded PDF; the channel defaults to WhatsApp when there is a phone, else e-mail."""

    role: SignerRoleCode = "client"
    name: Text(160, min_length=1)
    cpf: Text(14) | None = None
    email: Text(254) | None = None
    phone: Text(20) | None = None
    channel: RequestedChannel | None = None
    require_document_photo: bool = False
    require_selfie: bool = False
    require_geolocation: bool = False


class EnvelopeInput(Body):
    """What to send for signature: a contract, term or service order, or a PDF with its signers."""

    source: EnvelopeKind | None = None
    contract_number: ContractNumber = ""
    term_id: Id | None = None
    service_order_number: ContractNumber = ""
    branch_id: Id | None = None
    title: Text(200) = "Documento"
    pdf_base64: Annotated[str | None, Field(json_schema_extra={"contentEncoding": "base64"})] = None
    signers: Annotated[list[SignerInput], Field(max_length=MAX_SIGNERS)] = []
    send: bool = True


class CancelInput(Body):
    """Why the envelope is cancelled (required by the service)."""

    reason: Reason = ""


class ReviewInput(Body):
    """A manual review's decision on a failed identity check, and why (both required)."""

    decision: ReviewDecisionCode
    reason: Text(1000, min_length=3)


class ResendInput(Body):
    """Resend to one signer (else every pending one), optionally on another channel."""

    signer_id: Id | None = None
    channel: MessageChannel | None = None


class SignerUpdate(Body):
    """A pending signer's corrected contact; fields left out keep their value."""

    email: Text(254) | None = None
    phone: Text(20) | None = None
    channel: RequestedChannel | None = None
    resend: bool = True


class BatchParams(Body):
    """Parameters of a batch action (`cancel` needs a reason)."""

    reason: Reason = ""


class BatchInput(Body):
    """A batch operation over contracts, by number."""

    action: BatchAction
    contract_numbers: Annotated[list[ContractNumber], Field(min_length=1, max_length=MAX_BATCH)]
    params: BatchParams = BatchParams()


class Query(BaseModel):
    """A query string: values arrive as text, so numbers are parsed; an unknown (misspelt) parameter is refused."""

    model_config = ConfigDict(extra="forbid")


class PageQuery(Query):
    """`limit` and `cursor` of a list."""

    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Text(200) | None = None


class CustomerQuery(PageQuery):
    """Customers, optionally the one with this CPF/CNPJ."""

    cpf_cnpj: CpfCnpj | None = None


class TemplateQuery(PageQuery):
    """Active templates, optionally of one kind."""

    kind: TemplateKindCode | None = None


class EnvelopeQuery(PageQuery):
    """The integration's envelopes, optionally by status or contract."""

    status: EnvelopeStatusCode | None = None
    contract_number: ContractNumber | None = None
