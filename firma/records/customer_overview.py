"""A customer's page beyond the form: their contracts, every envelope sent to them and the signed documents."""
from dataclasses import dataclass

from sqlalchemy import or_, select

from firma.extensions import db
from firma.models import Contract, Customer, Envelope, EnvelopeStatus, ServiceOrder, Term


@dataclass
class Overview:
    """What the customer's page lists under the form, newest first."""

    contracts: list[Contract]
    envelopes: list[Envelope]

    @property
    def signed(self) -> list[Envelope]:
        """Completed envelopes whose sealed PDF exists (downloadable)."""
        return [e for e in self.envelopes if e.status == EnvelopeStatus.COMPLETED and e.final_path]


def overview(customer: Customer, limit: int = 50) -> Overview:
    """The customer's contracts and the envelopes of their contracts, terms and service orders."""
    contracts = list(db.session.scalars(select(Contract).where(Contract.customer_id == customer.id)
                                        .order_by(Contract.id.desc()).limit(limit)))
    contract_ids = select(Contract.id).where(Contract.customer_id == customer.id)
    envelopes = list(db.session.scalars(
        select(Envelope).where(or_(
            Envelope.contract_id.in_(contract_ids),
            Envelope.term_id.in_(select(Term.id).where(Term.contract_id.in_(contract_ids))),
            Envelope.service_order_id.in_(select(ServiceOrder.id).where(ServiceOrder.customer_id == customer.id)),
        )).order_by(Envelope.id.desc()).limit(limit)))
    return Overview(contracts, envelopes)
