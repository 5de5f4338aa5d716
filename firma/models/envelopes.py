"""Signature requests and everything recorded about them: signers, evidence, events, deliveries."""
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from firma.extensions import db
from firma.models.base import UTCDateTime, coded, created_at, utcnow
from firma.models.vocabulary import (
    BatchItemStatus, BatchStatus, Channel, DeliveryPurpose, DeliveryStatus, DocumentKind, EnvelopeStatus, EventType,
    EvidenceKind, FinaliseState, IdentityCheckPolicy, ReviewState, SignerRole, SignerStatus,
)
from firma.platform.tenancy import OrgOwned


class Envelope(OrgOwned, db.Model):
    """What is signed, by whom, and the hashes of the original and the sealed final PDF."""

    __tablename__ = "envelopes"
    id: Mapped[int] = mapped_column(primary_key=True)
    public_code: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[DocumentKind] = coded(DocumentKind, 20)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[EnvelopeStatus] = coded(EnvelopeStatus, 12, default=EnvelopeStatus.PENDING, index=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"), index=True)
    term_id: Mapped[int | None] = mapped_column(ForeignKey("terms.id"))
    service_order_id: Mapped[int | None] = mapped_column(ForeignKey("service_orders.id"))
    template_version_id: Mapped[int | None] = mapped_column(ForeignKey("template_versions.id"))
    variables: Mapped[dict] = mapped_column(JSON, default=dict)
    original_path: Mapped[str] = mapped_column(String(300))
    original_sha256: Mapped[str] = mapped_column(String(64))
    original_pages: Mapped[int] = mapped_column(Integer, default=0)
    final_path: Mapped[str | None] = mapped_column(String(300))
    final_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    # B-LTA upkeep: when the last timestamp's certificate expires, and the earlier final files ([{sha256, path}])
    lta_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    final_versions: Mapped[list | None] = mapped_column(JSON)
    finalise_state: Mapped[FinaliseState] = coded(FinaliseState, 10, default=FinaliseState.NONE)
    finalise_error: Mapped[str | None] = mapped_column(Text)
    finalise_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    chain_length: Mapped[int] = mapped_column(Integer, default=0)  # the audit chain's head, so truncation shows
    chain_head: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at()
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    identity_policy: Mapped[IdentityCheckPolicy] = coded(IdentityCheckPolicy, 10, default=IdentityCheckPolicy.REVIEW)
    review_state: Mapped[ReviewState] = coded(ReviewState, 10, default=ReviewState.NONE, index=True)
    review_reason: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by: Mapped[str | None] = mapped_column(String(254))  # a staff e-mail, or "api:<integration>"

    integration = relationship("Integration")
    branch = relationship("Branch")
    contract = relationship("Contract")
    term = relationship("Term")
    service_order = relationship("ServiceOrder")
    template_version = relationship("TemplateVersion")
    signers = relationship("Signer", back_populates="envelope", order_by="Signer.order")

    @property
    def all_signed(self) -> bool:
        """Whether the envelope has signers and every one of them has signed (it is ready to be sealed)."""
        return bool(self.signers) and all(s.status == SignerStatus.SIGNED for s in self.signers)


class Signer(OrgOwned, db.Model):
    """One person who signs an envelope, with their link token (hashed) and requirements."""

    __tablename__ = "signers"
    id: Mapped[int] = mapped_column(primary_key=True)
    envelope_id: Mapped[int] = mapped_column(ForeignKey("envelopes.id"), index=True)
    role: Mapped[SignerRole] = coded(SignerRole, 30)
    name: Mapped[str] = mapped_column(String(160))
    cpf: Mapped[str | None] = mapped_column(String(14))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    channel: Mapped[Channel] = coded(Channel, 12)
    order: Mapped[int] = mapped_column(Integer, default=0)
    require_document_photo: Mapped[bool] = mapped_column(Boolean, default=False)
    require_selfie: Mapped[bool] = mapped_column(Boolean, default=False)
    require_geolocation: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_liveness_fallback: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[SignerStatus] = coded(SignerStatus, 10, default=SignerStatus.PENDING, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cpf_attempts: Mapped[int] = mapped_column(Integer, default=0)
    liveness_attempts: Mapped[int] = mapped_column(Integer, default=0)
    liveness_challenge: Mapped[list | None] = mapped_column(JSON)
    identity_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    viewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decline_reason: Mapped[str | None] = mapped_column(Text)
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    biometrics_refused: Mapped[bool] = mapped_column(Boolean, default=False)
    document_sha256_seen: Mapped[str | None] = mapped_column(String(64))
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at()

    envelope = relationship("Envelope", back_populates="signers")
    user = relationship("User")
    evidence = relationship("Evidence", back_populates="signer", order_by="Evidence.id")
    # Read-only: the signing pages load it with the signer (links.find_signer), so the per-request
    # deactivation check finds it in the session instead of asking the database again.
    organization = relationship("Organization", viewonly=True)

    @property
    def is_done(self) -> bool:
        """Whether the signer has nothing left to do (signed, declined or expired)."""
        return self.status in (SignerStatus.SIGNED, SignerStatus.DECLINED, SignerStatus.EXPIRED)


class Evidence(OrgOwned, db.Model):
    """One captured item (photo, selfie frames, signature image, geolocation, device); never updated."""

    __tablename__ = "evidence"
    id: Mapped[int] = mapped_column(primary_key=True)
    envelope_id: Mapped[int] = mapped_column(ForeignKey("envelopes.id"), index=True)
    signer_id: Mapped[int] = mapped_column(ForeignKey("signers.id"), index=True)
    kind: Mapped[EvidenceKind] = coded(EvidenceKind, 30)
    path: Mapped[str | None] = mapped_column(String(300))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(60))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)
    ip: Mapped[str | None] = mapped_column(String(45))
    port: Mapped[int | None] = mapped_column(Integer)  # the client's source port (CGNAT shares one IP)
    user_agent: Mapped[str | None] = mapped_column(Text)
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    signer = relationship("Signer", back_populates="evidence")


class Event(OrgOwned, db.Model):
    """Append-only audit log, hash-chained per envelope: hash = sha256(prev_hash + canonical JSON)."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("envelope_id", "seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    envelope_id: Mapped[int] = mapped_column(ForeignKey("envelopes.id"))
    seq: Mapped[int] = mapped_column(Integer)
    signer_id: Mapped[int | None] = mapped_column(ForeignKey("signers.id"))
    type: Mapped[EventType] = coded(EventType, 40)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ip: Mapped[str | None] = mapped_column(String(45))
    port: Mapped[int | None] = mapped_column(Integer)  # the client's source port; hashed only when recorded
    user_agent: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    signer = relationship("Signer")


class Delivery(OrgOwned, db.Model):
    """One message or webhook to send, with every attempt's outcome; the dedupe key stops doubles."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_status_next", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    channel: Mapped[Channel] = coded(Channel, 12)
    purpose: Mapped[str] = mapped_column(String(40))  # a DeliveryPurpose, or a webhook's EventType
    envelope_id: Mapped[int | None] = mapped_column(ForeignKey("envelopes.id"), index=True)
    signer_id: Mapped[int | None] = mapped_column(ForeignKey("signers.id"))
    integration_id: Mapped[int | None] = mapped_column(ForeignKey("integrations.id"))
    target: Mapped[str] = mapped_column(String(500))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[DeliveryStatus] = coded(DeliveryStatus, 10, default=DeliveryStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_id: Mapped[str | None] = mapped_column(String(120))
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Added by the delivery work: the audit event a webhook reports, and one entry per attempt.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), index=True)
    log: Mapped[list] = mapped_column(JSON, default=list)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    envelope = relationship("Envelope")
    signer = relationship("Signer")

    @property
    def purpose_label(self) -> str:
        """What the delivery is for, in words: a message's purpose, or the event a webhook reports."""
        return (EventType if self.channel == Channel.WEBHOOK else DeliveryPurpose)(self.purpose).label


class Batch(OrgOwned, db.Model):
    """A staff batch operation over many contracts, run by the job queue."""

    __tablename__ = "batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(30))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[BatchStatus] = coded(BatchStatus, 10, default=BatchStatus.QUEUED)
    total: Mapped[int] = mapped_column(Integer, default=0)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    integration_id: Mapped[int | None] = mapped_column(ForeignKey("integrations.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at()
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    progressed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the last item finished (see the sweep)

    items = relationship("BatchItem", order_by="BatchItem.id")
    organization = relationship("Organization", viewonly=True)
    created_by = relationship("User", viewonly=True)


class BatchItem(OrgOwned, db.Model):
    """One contract's outcome in a batch: done, skipped (with reason) or failed (with error)."""

    __tablename__ = "batch_items"
    __table_args__ = (UniqueConstraint("batch_id", "contract_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"))
    status: Mapped[BatchItemStatus] = coded(BatchItemStatus, 10, default=BatchItemStatus.PENDING)
    message: Mapped[str] = mapped_column(Text, default="")
    envelope_id: Mapped[int | None] = mapped_column(ForeignKey("envelopes.id"))

    contract = relationship("Contract")


class IdempotencyKey(OrgOwned, db.Model):
    """A stored API response for a POST with an Idempotency-Key, replayed on retries."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("integration_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id"))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()
