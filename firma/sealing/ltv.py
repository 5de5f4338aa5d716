"""Long-term validation of a seal from the file alone (no network): the /DSS data and the document timestamps.

The last document timestamp is checked now (its TSA chain with the revocation data in the /DSS); each earlier
one at the time of the next; the seal itself at the time its own timestamp (or the first document timestamp)
proves, with the /DSS revocation data, so a seal whose certificate has expired since stays valid.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from io import BytesIO

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext

from firma.sealing.seal import outside_event_loop


@dataclass(frozen=True)
class LtvResult:
    """The seal's status judged at `seal_moment`, and whether every document timestamp held."""

    status: PdfSignatureStatus
    seal_moment: datetime
    timestamps_ok: bool
    timestamp_count: int
    failure: str | None = None

    @property
    def ok(self) -> bool:
        """Seal intact, trusted and not revoked at its moment; the timestamp chain valid up to now."""
        return bool(self.timestamps_ok and self.status.bottom_line)


def has_dss(reader: PdfFileReader) -> bool:
    """Whether the file carries a /DSS (validation data)."""
    try:
        return DocumentSecurityStore.read_dss(reader) is not None
    except Exception:
        return False


def _context(reader: PdfFileReader, roots: Sequence[asn1_x509.Certificate], moment: datetime) -> ValidationContext:
    """Trust `roots`, use only what the /DSS holds (revocation data required when there is one), judge at `moment`."""
    kwargs = {"trust_roots": list(roots), "allow_fetching": False, "moment": moment, "retroactive_revinfo": True}
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except Exception:  # no /DSS (pyHanko raises NoDSSFoundError) or a damaged one: revocation cannot be checked
        return ValidationContext(crls=[], ocsps=[], revocation_mode="soft-fail", **kwargs)
    return dss.as_validation_context({**kwargs, "revocation_mode": "hard-fail"})


def validate(reader: PdfFileReader, sig: EmbeddedPdfSignature, trust_roots: Sequence[asn1_x509.Certificate],
             tsa_roots: Sequence[asn1_x509.Certificate], now: datetime | None = None) -> LtvResult:
    """Validate the document timestamp chain backwards from `now`, then the seal at its proven time."""
    now = now or datetime.now(timezone.utc)
    stamps = sorted(reader.embedded_timestamp_signatures, key=lambda s: s.signed_revision)
    stamps = [s for s in stamps if s.signed_revision > sig.signed_revision]
    moment, failure = now, None
    for stamp in reversed(stamps):
        status = outside_event_loop(validate_pdf_timestamp, stamp, _context(reader, tsa_roots, moment))
        if not (status.intact and status.valid and status.trusted):
            failure = f"document timestamp at {status.timestamp:%Y-%m-%d %H:%M:%S} UTC not valid or not trusted"
            break
        moment = status.timestamp
    own = _signature_timestamp_time(sig)
    seal_moment = own if own is not None and not failure else moment
    status = outside_event_loop(
        validate_pdf_signature, sig,
        signer_validation_context=_context(reader, trust_roots, seal_moment),
        ts_validation_context=_context(reader, tsa_roots, moment),
    )
    return LtvResult(status, seal_moment, failure is None, len(stamps), failure)


def _signature_timestamp_time(sig: EmbeddedPdfSignature) -> datetime | None:
    """The genTime of the seal's own (unsigned-attribute) timestamp token, unverified here."""
    for token in extract_tst_data_iter(sig.signer_info, signed=False):
        return token["encap_content_info"]["content"].parsed["gen_time"].native
    return None


def last_timestamp_expiry(pdf: bytes) -> datetime | None:
    """When the TSA certificate of the PDF's last timestamp (document timestamp, else the seal's) expires."""
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        stamps = sorted(reader.embedded_timestamp_signatures, key=lambda s: s.signed_revision)
        if stamps:
            return stamps[-1].signer_cert.not_valid_after
        seals = reader.embedded_regular_signatures
        if not seals:
            return None
        for token in extract_tst_data_iter(seals[-1].signer_info, signed=False):
            tsa = [c.chosen for c in token["certificates"] or () if c.name == "certificate" and _stamps(c.chosen)]
            if tsa:
                return min(cert.not_valid_after for cert in tsa)
    except Exception:  # an unreadable file has nothing we can refresh
        return None
    return None


def _stamps(cert: asn1_x509.Certificate) -> bool:
    """Whether a certificate is for time-stamping (EKU timeStamping)."""
    usage = cert.extended_key_usage_value
    return usage is not None and "time_stamping" in usage.native
