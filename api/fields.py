"""Field types of the API's pydantic models: DB-sized text without NUL, ids that fit a column, finite prices, enums.

The enum lists come from `firma.models` here and nowhere else in api/, so a request is refused with the same
choices the database and the admin use.
"""
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from firma.delivery.deliveries import MESSAGE_CHANNELS
from firma.envelopes.batches import ACTIONS
from firma.models import (
    SIGNER_CHANNELS, Channel, ContractStatus, DocumentKind, EnvelopeStatus, FinaliseState, IdentityCheckPolicy,
    ReviewDecision, ReviewState, SignerRole, SignerStatus, TemplateKind,
)
from firma.models.records import TRISTATE

# PostgreSQL refuses NUL in text; the schema says so, and validation refuses it before the database sees it.
NO_NUL = r"^[^\x00]*$"
MAX_ID = 2**31 - 1  # an INTEGER column


def choices(constant) -> tuple[str, ...]:
    """The string values of an enum (or any iterable of codes), for a Literal the OpenAPI document lists."""
    return tuple(str(getattr(item, "value", item)) for item in constant)


def Text(max_length: int, min_length: int = 0):  # noqa: N802 (reads as a type)
    """A string of at most `max_length` characters (the column's size) with no NUL character."""
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length, pattern=NO_NUL)]


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Count = Annotated[int, Field(ge=0, le=MAX_ID)]

TemplateKindCode = Literal[choices(TemplateKind)]
EnvelopeKind = Literal[choices(DocumentKind)]
ContractStatusCode = Literal[choices(ContractStatus)]
EnvelopeStatusCode = Literal[choices(EnvelopeStatus)]
SignerRoleCode = Literal[choices(SignerRole)]
SignerStatusCode = Literal[choices(SignerStatus)]
SignerChannel = Literal[choices(SIGNER_CHANNELS)]
# "automatic" is chosen by the service for a staff user with a stored signature, never asked for by an ERP.
RequestedChannel = Literal[tuple(c for c in choices(SIGNER_CHANNELS) if c != Channel.AUTOMATIC)]
MessageChannel = Literal[choices(MESSAGE_CHANNELS)]
Tristate = Literal[choices(TRISTATE)]
BatchAction = Literal[choices(ACTIONS)]
FinaliseStateCode = Literal[choices(FinaliseState)]
IdentityPolicyCode = Literal[choices(IdentityCheckPolicy)]
ContractIdentityPolicy = Literal[("default", *choices(IdentityCheckPolicy))]
ReviewStateCode = Literal[choices(ReviewState)]
ReviewDecisionCode = Literal[choices(ReviewDecision)]
DocumentName = Literal["original", "final", "manifest"]

PRICE_MAX = Decimal("99999999.99")  # Numeric(10, 2)
PRICE_PATTERN = r"^\d{1,8}([.,]\d{1,2})?$"


def _price(value) -> Decimal:
    """A price as text ("99,90") or as a finite JSON number, within the column's Numeric(10, 2)."""
    try:
        if isinstance(value, str) and re.fullmatch(PRICE_PATTERN, value):
            price = Decimal(value.replace(",", "."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            price = Decimal(str(value))
        else:
            raise InvalidOperation
    except InvalidOperation:
        price = None
    if price is None or not price.is_finite() or not 0 <= price <= PRICE_MAX:
        raise PydanticCustomError("price", "Valor inválido: use por exemplo 99,90 (de 0 a 99999999,99).")
    return price.quantize(Decimal("0.01"))


Price = Annotated[Decimal, PlainValidator(_price), WithJsonSchema({"anyOf": [
    {"type": "string", "pattern": PRICE_PATTERN},
    {"type": "number", "minimum": 0, "maximum": float(PRICE_MAX)}]})]


class Body(BaseModel):
    """A request body: strict JSON types (no "1" for 1, no null unless said), unknown fields refused."""

    model_config = ConfigDict(strict=True, extra="forbid")


class Resource(BaseModel):
    """A response body: every documented field is always present."""

    model_config = ConfigDict(json_schema_mode_override="serialization",
                              json_schema_serialization_defaults_required=True)
