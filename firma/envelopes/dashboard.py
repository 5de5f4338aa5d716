"""The admin's front page: envelope counts by status, the longest waits, and recent failures to retry."""
from dataclasses import dataclass

from sqlalchemy import func, select

from firma.extensions import db
from firma.models import Delivery, DeliveryStatus, Envelope, EnvelopeStatus, FinaliseState, ReviewState


@dataclass
class Summary:
    """What the dashboard shows: counts by status, the longest waits and the failures to retry."""

    counts: dict[EnvelopeStatus, int]
    waiting: list[Envelope]
    failed_deliveries: list[Delivery]
    failed_finalisations: list[Envelope]
    awaiting_review: list[Envelope]


def summary(limit: int = 10) -> Summary:
    """The dashboard's figures, with at most `limit` rows per list."""
    rows = dict(db.session.execute(select(Envelope.status, func.count()).group_by(Envelope.status)).all())
    counts = {status: rows.get(status, 0) for status in EnvelopeStatus}
    waiting = list(db.session.scalars(
        select(Envelope).where(Envelope.status == EnvelopeStatus.PENDING)
        .order_by(Envelope.created_at, Envelope.id).limit(limit)
    ))
    failed_deliveries = list(db.session.scalars(
        select(Delivery).where(Delivery.status == DeliveryStatus.FAILED)
        .order_by(Delivery.updated_at.desc()).limit(limit)
    ))
    failed_finalisations = list(db.session.scalars(
        select(Envelope).where(Envelope.finalise_state == FinaliseState.FAILED)
        .order_by(Envelope.id.desc()).limit(limit)
    ))
    awaiting_review = list(db.session.scalars(
        select(Envelope).where(Envelope.review_state == ReviewState.REQUIRED)
        .order_by(Envelope.completed_at, Envelope.id).limit(limit)
    ))
    return Summary(counts, waiting, failed_deliveries, failed_finalisations, awaiting_review)
