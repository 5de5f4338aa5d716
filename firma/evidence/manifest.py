"""The audit manifest's data: plain dataclasses collected from an envelope, and evidence.json.

`collect` is the only part that touches the ORM and storage; rendering takes plain dataclasses so it
can be tested, and benchmarked, without a database.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from firma.br.identifiers import format_cpf_cnpj
from firma.br.phones import format_phone
from firma.evidence import attachments as attached, audit, devices, wording
from firma.evidence.attachments import Attachment
from firma.evidence.wording import Consent, ConsentText, SealInfo
from firma.identity import policy
from firma.models import (
    Channel, DocumentKind, Envelope, EnvelopeStatus, Event, EventType, Evidence, EvidenceKind, GeolocationStatus,
    LivenessChallenge, SignatureMethod, Signer, SignerRole, SignerStatus,
)
from firma.models.vocabulary import ServedFormat
from firma.platform import storage
from firma.platform.text import strip_bidi

EVIDENCE_FORMAT = "firma-evidence/1"
NOT_COLLECTED = devices.NOT_COLLECTED

LIVENESS_ACTIVE = "prova de vida ativa por desafio"
LIVENESS_FALLBACK = "não verificada (sem câmera)"
AUTOMATIC_NOTE = "assinado automaticamente com assinatura armazenada do usuário"
@dataclass(frozen=True)
class Geolocation:
    """Where the signer was, or why that is unknown ("negada", "indisponível", "não solicitada"...)."""

    status: str
    latitude: float | None = None
    longitude: float | None = None
    accuracy_m: float | None = None
    captured_at: datetime | None = None


@dataclass(frozen=True)
class Liveness:
    """How the selfie was checked and what came of it."""

    method: str
    challenge: str
    result: str
    frames: int


@dataclass(frozen=True)
class FaceMatch:
    """Selfie-to-document face comparison (an optional extra; may not have been performed)."""

    performed: bool
    verdict: str
    distance: float | None = None
    threshold: float | None = None


@dataclass(frozen=True)
class Served:
    """A version of the document the server sent the signer: how, the SHA-256 of those bytes, and of their PDF."""

    format: ServedFormat
    sha256: str
    source_sha256: str
    at: datetime
    page: int | None = None  # the page number, for a page image

    def __post_init__(self) -> None:
        object.__setattr__(self, "format", ServedFormat(self.format))


@dataclass(frozen=True)
class Reading:
    """Reading evidence: seconds spent on each page (page 1 first) and whether the last page was reached."""

    seconds_per_page: list[float]
    last_page_reached: bool


@dataclass
class SignerEntry:
    """Everything the manifest shows about one signer; image fields hold the original JPEG/PNG bytes."""

    order: int
    role: SignerRole
    name: str
    cpf: str
    email: str
    phone: str
    channel: Channel
    status: SignerStatus
    ip: str | None = None
    port: int | None = None
    user_agent: str | None = None
    device: str = NOT_COLLECTED
    os: str = NOT_COLLECTED
    browser: str = NOT_COLLECTED
    geolocation: Geolocation = field(default_factory=lambda: Geolocation(NOT_COLLECTED))
    viewed_at: datetime | None = None
    identity_confirmed_at: datetime | None = None
    read_at: datetime | None = None
    signed_at: datetime | None = None
    declined_at: datetime | None = None
    decline_reason: str | None = None
    document_sha256_seen: str | None = None
    served: list[Served] = field(default_factory=list)
    automatic: bool = False
    signature_method: SignatureMethod | None = None
    require_document_photo: bool = False
    require_selfie: bool = False
    reading: Reading | None = None
    liveness: Liveness | None = None
    face_match: FaceMatch | None = None
    authentication: str = ""
    consent: Consent | None = None
    identity_check: str | None = None  # the outcome and the policy's decision, when there was a check
    # Image bytes stay out of repr: a logged SignerEntry must not dump megabytes.
    document_front: bytes | None = field(default=None, repr=False)
    document_back: bytes | None = field(default=None, repr=False)
    selfie: bytes | None = field(default=None, repr=False)
    signature: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # Plain data may come with stored strings (tests, benchmarks): hold members so the template has labels.
        self.role, self.channel, self.status = SignerRole(self.role), Channel(self.channel), SignerStatus(self.status)
        if self.signature_method is not None:
            self.signature_method = SignatureMethod(self.signature_method)


@dataclass(frozen=True)
class EventEntry:
    """One audit event with its place in the hash chain (and what is needed to recompute it)."""

    seq: int
    time: datetime
    type: EventType
    signer_name: str | None
    ip: str | None
    hash: str
    prev_hash: str
    signer_id: int | None = None
    user_agent: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    port: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", EventType(self.type))


@dataclass
class ManifestData:
    """The envelope as the manifest and evidence.json present it."""

    code: str
    title: str
    kind: DocumentKind
    status: EnvelopeStatus
    created_at: datetime
    completed_at: datetime | None
    original_sha256: str
    original_pages: int
    template_name: str | None
    template_version: int | None
    integration: str
    branch_name: str
    branch_cnpj: str
    verification_url: str
    envelope_id: int | None = None
    clock_source: str = wording.CLOCK_NTP
    seal_level: str = "B-B"  # PAdES level of the seal about to be applied (B-B, B-T, B-LTA)
    identity_policy: str = ""
    review: str | None = None  # the manual review's state in words, when one applies
    consent_texts: list[ConsentText] = field(default_factory=list)
    seal: SealInfo | None = None
    signers: list[SignerEntry] = field(default_factory=list)
    events: list[EventEntry] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)  # the originals embedded in the final PDF

    def __post_init__(self) -> None:
        self.kind, self.status = DocumentKind(self.kind), EnvelopeStatus(self.status)


# --- collecting from the ORM ---------------------------------------------------------------------


def verification_url(public_url: str, code: str) -> str:
    """The public verification page of a document code (printed and in the QR code)."""
    return f"{public_url.rstrip('/')}/verificar?codigo={quote(code)}"


def collect(envelope: Envelope, *, public_url: str, tsa_url: str | None = None,
            seal: SealInfo | None = None) -> ManifestData:
    """Gather the manifest's plain data from an envelope, its signers' evidence, event log and attachments."""
    version = envelope.template_version
    status, completed_at = envelope.status, envelope.completed_at
    signed = [s.signed_at for s in envelope.signers if s.status == SignerStatus.SIGNED and s.signed_at]
    events = audit.events_of(envelope.id)
    if status == EnvelopeStatus.PENDING and signed and len(signed) == len(envelope.signers):
        # Finalisation renders before it marks the envelope completed: the last signature is the completion.
        status, completed_at = EnvelopeStatus.COMPLETED, completed_at or max(signed)
    return ManifestData(
        code=envelope.public_code,
        title=strip_bidi(envelope.title),
        kind=envelope.kind,
        status=status,
        created_at=envelope.created_at,
        completed_at=completed_at,
        original_sha256=envelope.original_sha256,
        original_pages=envelope.original_pages,
        template_name=strip_bidi(version.template.name) if version else None,
        template_version=version.number if version else None,
        integration=envelope.integration.description,
        branch_name=strip_bidi(envelope.branch.name),
        branch_cnpj=format_cpf_cnpj(envelope.branch.cnpj),
        verification_url=verification_url(public_url, envelope.public_code),
        envelope_id=envelope.id,
        clock_source=wording.clock_source(tsa_url),
        identity_policy=wording.policy_sentence(envelope.identity_policy),
        review=wording.review_sentence(envelope),
        consent_texts=wording.consent_texts(envelope.signers),
        seal=seal,
        signers=[_signer_entry(s, events) for s in envelope.signers],
        events=[event_entry(e) for e in events],
        attachments=attached.of_envelope(envelope),
    )


def event_entry(event: Event) -> EventEntry:
    """One audit event as the manifest's plain entry, labelled in pt-BR."""
    return EventEntry(
        seq=event.seq, time=event.created_at, type=event.type,
        signer_name=strip_bidi(event.signer.name) if event.signer else None,
        ip=event.ip, hash=event.hash, prev_hash=event.prev_hash, signer_id=event.signer_id,
        user_agent=event.user_agent, data=event.data, port=event.port,
    )


def _current_evidence(signer: Signer) -> dict[str, Evidence]:
    """The latest non-superseded evidence row of each kind (a retaken photo supersedes the old one)."""
    latest: dict[str, Evidence] = {}
    for row in signer.evidence:
        if not row.superseded:
            latest[row.kind] = row
    return latest


def _file(row: Evidence | None) -> bytes | None:
    # A row whose file is gone raises: a manifest must not quietly drop recorded evidence.
    return storage.read(row.path) if row is not None and row.path else None


def _served(signer: Signer, events: list[Event]) -> list[Served]:
    return [Served(e.data["format"], str(e.data.get("sha256")), str(e.data.get("source_sha256") or ""),
                   e.created_at, e.data.get("page"))
            for e in events if e.signer_id == signer.id and e.type == EventType.SIGNER_DOCUMENT_SERVED
            and e.data.get("format") in ServedFormat.choices()]


def _signer_entry(signer: Signer, events: list[Event]) -> SignerEntry:
    ev = _current_evidence(signer)
    device = ev.get(EvidenceKind.DEVICE)
    signature = ev.get(EvidenceKind.SIGNATURE)
    method = SignatureMethod(signature.data["method"]) if signature and signature.data.get("method") else None
    automatic = signer.channel == Channel.AUTOMATIC or method == SignatureMethod.STORED
    source = device or signature
    ip = (device.data.get("ip") if device else None) or (source.ip if source else None)
    port = (device.data.get("port") if device and device.data.get("ip") else None) or (source.port if source else None)
    user_agent = (device.data.get("user_agent") if device else None) or (source.user_agent if source else None)
    kind, os_name, browser = devices.describe_user_agent(user_agent)
    liveness, face_match = _liveness(ev.get(EvidenceKind.LIVENESS)), _face_match(ev.get(EvidenceKind.FACE_MATCH))
    geolocation = _geolocation(ev.get(EvidenceKind.GEOLOCATION), automatic)
    found = policy.outcome(signer)
    decision = policy.decision_for(signer.envelope.identity_policy, found)
    return SignerEntry(
        order=signer.order, role=signer.role, name=strip_bidi(signer.name), cpf=format_cpf_cnpj(signer.cpf),
        email=signer.email or "", phone=format_phone(signer.phone), channel=signer.channel, status=signer.status,
        ip=ip, port=port, user_agent=user_agent, device=kind, os=os_name, browser=browser,
        geolocation=geolocation,
        viewed_at=signer.viewed_at, identity_confirmed_at=signer.identity_confirmed_at, read_at=signer.read_at,
        signed_at=signer.signed_at, declined_at=signer.declined_at, decline_reason=signer.decline_reason,
        document_sha256_seen=signer.document_sha256_seen, served=_served(signer, events), automatic=automatic,
        signature_method=method,
        require_document_photo=signer.require_document_photo, require_selfie=signer.require_selfie,
        reading=_reading(ev.get(EvidenceKind.READING)), liveness=liveness, face_match=face_match,
        authentication=wording.authentication(
            signer, automatic=automatic, front=ev.get(EvidenceKind.DOCUMENT_FRONT),
            liveness=liveness.result if liveness else None,
            face_match=face_match.verdict if face_match and face_match.performed else None,
            geolocated=geolocation.latitude is not None),
        consent=None if automatic else wording.consent_of(signer),
        identity_check=f"{found.label}; decisão: {decision.label}" if found and decision else None,
        document_front=_file(ev.get(EvidenceKind.DOCUMENT_FRONT)),
        document_back=_file(ev.get(EvidenceKind.DOCUMENT_BACK)),
        selfie=_file(ev.get(EvidenceKind.SELFIE)), signature=_file(signature),
    )


def _geolocation(row: Evidence | None, automatic: bool) -> Geolocation:
    if row is None:
        return Geolocation("não solicitada" if automatic else NOT_COLLECTED)
    data = row.data
    status = GeolocationStatus(data.get("status") or GeolocationStatus.UNAVAILABLE)
    if status == GeolocationStatus.GRANTED:
        return Geolocation(status.label, float(data["latitude"]), float(data["longitude"]),
                           float(data.get("accuracy_m") or 0), row.captured_at)
    return Geolocation(status.label, captured_at=row.captured_at)


def _reading(row: Evidence | None) -> Reading | None:
    if row is None:
        return None
    seconds = row.data.get("seconds_per_page") or {}  # {"1": 12.5, "2": 8.0}; unvisited pages absent
    pages = int(row.data.get("pages") or max(map(int, seconds), default=0))
    return Reading([float(seconds.get(str(p), 0.0)) for p in range(1, pages + 1)],
                   bool(row.data.get("last_page_reached")))


def _liveness(row: Evidence | None) -> Liveness | None:
    if row is None:
        return None
    data = row.data
    frames = data.get("frames") or []
    count = len(frames) if isinstance(frames, list) else int(frames)
    challenge = ", depois ".join(LivenessChallenge(c).label for c in data.get("challenge") or []) or "—"
    if data.get("accepted_fallback"):
        return Liveness(LIVENESS_FALLBACK, "—", "não verificada", count)
    result = "aprovada" if data.get("passed") else f"reprovada: {data.get('message') or data.get('code') or '—'}"
    return Liveness(LIVENESS_ACTIVE, challenge, result, count)


def _face_match(row: Evidence | None) -> FaceMatch | None:
    if row is None:
        return None
    data = row.data  # firma.facematch.MatchResult.to_dict()
    if not data.get("performed") or data.get("distance") is None:
        return FaceMatch(False, data.get("detail") or "não realizada")
    verdict = "rostos compatíveis" if data.get("same_person") else "rostos diferentes"
    return FaceMatch(True, verdict, float(data["distance"]), float(data["threshold"]))


def artifacts_of(envelope: Envelope) -> list[dict[str, Any]]:
    """Every stored evidence file of the envelope (superseded ones too, flagged), for evidence.json."""
    return [
        {
            "signer_order": signer.order, "signer_name": strip_bidi(signer.name), "kind": row.kind,
            "file": PurePosixPath(row.path).name, "sha256": row.sha256, "size": row.size,
            "content_type": row.content_type, "captured_at": row.captured_at.isoformat(),
            "superseded": row.superseded,
        }
        for signer in envelope.signers for row in signer.evidence if row.path
    ]


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):  # images are listed by digest; the files themselves are artifacts
        return {"sha256": hashlib.sha256(value).hexdigest(), "size": len(value)}
    raise TypeError(f"not serialisable in evidence.json: {type(value).__name__}")


def evidence_json(
    data: ManifestData, *, variables: dict[str, Any], template_version: dict[str, Any] | None,
    artifacts: list[dict[str, Any]],
) -> bytes:
    """Machine-readable evidence as canonical JSON (sorted keys, compact, UTF-8)."""
    envelope = {f.name: getattr(data, f.name) for f in fields(data)
                if f.name not in ("signers", "events", "attachments")}
    document = {
        "format": EVIDENCE_FORMAT,
        "envelope": envelope,
        "signers": data.signers,
        "events": data.events,
        "canonical_form": audit.CANONICAL_FORM,
        "attachments": [item.listing() for item in data.attachments],
        "artifacts": artifacts,
        "template_version": template_version,
        "variables": variables,
    }
    text = json.dumps(document, default=_plain, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8")
