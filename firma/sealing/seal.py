"""The instance seal: its certificate, the PAdES seal of a final PDF and the check of one."""
from __future__ import annotations

import asyncio
import contextvars
import hashlib
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path
from typing import Sequence

from asn1crypto import core, x509 as asn1_x509
from cryptography import x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades import cades_asn1
from pyhanko.sign.ades.api import CAdESSignedAttrSpec
from pyhanko.sign import signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from firma.sealing import revocation

# CMS space (DER bytes) beyond the embedded certificates and the signature value. Signed attributes
# and CMS structure measured 0.5-0.6 KB (the rest is margin); the loopback TSA's token was 1.5 KB,
# and an ICP-Brasil TSA sends its chain (3-4 certificates of ~1.5-2 KB) and a 512-byte signature.
CMS_OVERHEAD = 2048
TIMESTAMP_ALLOWANCE = 12288

MSG_OK = "Documento íntegro, selado por esta instância do Firma."
MSG_OK_ANY = "Documento íntegro, com selo digital válido."
MSG_ALTERED = "O documento foi alterado depois de selado."
MSG_NOT_PDF = "O arquivo não é um PDF válido."
MSG_ENCRYPTED = "O PDF está protegido por senha e não pode ser verificado."
MSG_UNSIGNED = "O PDF não tem selo digital."
MSG_OTHER_CERT = "Selado por outro certificado, não por esta instância."
MSG_BAD_SEAL = "O selo digital do documento está danificado ou é de um tipo não suportado."


class Sealer:
    """A loaded seal key that PAdES-seals PDFs; load once per process (key loading costs ~30 ms).

    Levels: B-B without a TSA; B-T with one; B-LTA (`lta=True`, needs the TSA) adds the CRLs/OCSP answers of
    the seal and TSA chains in a /DSS, fetched through the outbound guard, then a document timestamp.
    """

    def __init__(self, signer: signers.SimpleSigner, tsa_url: str | None, *, lta: bool = False,
                 trust_roots: Sequence[asn1_x509.Certificate] = (), policy: SealPolicy | None = None) -> None:
        if lta and not tsa_url:
            raise ValueError("B-LTA needs a TSA (FIRMA_TSA_URL)")
        self._signer = signer
        self._timestamper = HTTPTimeStamper(tsa_url) if tsa_url else None
        self.tsa_url = tsa_url
        self.lta = lta
        self.policy = policy
        chain_roots = [c for c in signer.cert_registry or () if c.self_signed != "no"]
        self.trust_roots = [*chain_roots, *trust_roots]
        self.bytes_reserved = cms_reservation(signer, timestamped=bool(tsa_url))

    @classmethod
    def load(cls, p12_path: Path, passphrase: bytes, tsa_url: str | None = None, **options) -> Sealer:
        """Load the instance PKCS#12; raises ValueError on a wrong passphrase or a damaged file."""
        signer = signers.SimpleSigner.load_pkcs12_data(
            Path(p12_path).read_bytes(), other_certs=(), passphrase=passphrase
        )
        # A verifier trusts the root by its own copy; one inside the CMS proves nothing and costs space.
        signer.embed_roots = False
        return cls(signer, tsa_url, **options)

    @property
    def level(self) -> str:
        """The PAdES baseline level this sealer produces."""
        return "B-LTA" if self.lta else ("B-T" if self._timestamper else "B-B")

    @property
    def chain(self) -> list[asn1_x509.Certificate]:
        """The seal certificate and every CA certificate of its PKCS#12 (root included)."""
        return [self.certificate, *[c for c in self._signer.cert_registry or () if c != self.certificate]]

    @property
    def certificate(self) -> asn1_x509.Certificate:
        """The seal certificate."""
        return self._signer.signing_cert

    @property
    def certificate_sha256(self) -> str:
        """Hex SHA-256 of the certificate's DER: what a verifier trusts."""
        return hashlib.sha256(self.certificate.dump()).hexdigest()

    @property
    def subject_name(self) -> str:
        """The certificate subject as an RFC 4514 string."""
        return x509.load_der_x509_certificate(self.certificate.dump()).subject.rfc4514_string()

    def seal(
        self, pdf_bytes: bytes, *, reason: str, location: str, field_name: str = "FirmaSeal"
    ) -> bytes:
        """Seal the whole PDF as an incremental update: PAdES B-B, or B-T when a TSA is set."""
        writer = IncrementalPdfFileWriter(BytesIO(pdf_bytes))
        # The first seal certifies the document (DocMDP P=2): a later edit is a violation, while
        # further signatures and (LTA) document timestamps stay allowed. P=1 would refuse signatures,
        # and pyHanko refuses to certify a document that is already signed: a reseal only approves.
        meta = signers.PdfSignatureMetadata(
            field_name=field_name,
            md_algorithm="sha256",
            subfilter=SigSeedSubFilter.PADES,
            reason=reason,
            location=location,
            certify=not writer.prev.embedded_signatures,
            docmdp_permissions=MDPPerm.FILL_FORMS,
            cades_signed_attr_spec=self.policy.signed_attributes() if self.policy else None,
            **self._lta_options(),
        )
        out = outside_event_loop(
            signers.sign_pdf,
            writer,
            meta,
            signer=self._signer,
            timestamper=self._timestamper,
            bytes_reserved=self.bytes_reserved,
        )
        return out.getvalue()

    def _lta_options(self) -> dict:
        """Metadata for B-LTA: validation data of both chains in a /DSS, then a document timestamp."""
        if not self.lta:
            return {}
        context = revocation.fetching_context(self.trust_roots, other_certs=self.chain)
        return {"embed_validation_info": True, "use_pades_lta": True, "validation_context": context}

    def add_document_timestamp(self, pdf_bytes: bytes) -> bytes:
        """LTA refresh: fresh validation data for the last timestamp's chain in the /DSS, then a new document timestamp."""
        if self._timestamper is None:
            raise ValueError("a document timestamp needs a TSA (FIRMA_TSA_URL)")
        context = revocation.fetching_context(self.trust_roots, other_certs=self.chain)
        stamper = signers.PdfTimeStamper(self._timestamper)
        out = outside_event_loop(
            stamper.update_archival_timestamp_chain, PdfFileReader(BytesIO(pdf_bytes)), context,
            in_place=False,
        )
        return out.getvalue()


@dataclass(frozen=True)
class SealPolicy:
    """An ICP-Brasil signature policy (DOC-ICP-15.03, e.g. AD-RB / AD-RT): its OID, document hash and URI."""

    oid: str
    sha256: str
    uri: str | None = None

    @classmethod
    def parse(cls, value: object) -> SealPolicy | None:
        """From FIRMA_SEAL_POLICY: a mapping or JSON {"oid", "sha256", "uri"}; None when unset; ValueError if bad."""
        if not value:
            return None
        if isinstance(value, str):
            value = json.loads(value)
        if not isinstance(value, dict) or set(value) - {"oid", "sha256", "uri"}:
            raise ValueError('FIRMA_SEAL_POLICY must be {"oid": ..., "sha256": ..., "uri": ...}')
        oid, digest = str(value.get("oid", "")), str(value.get("sha256", "")).lower()
        if not all(part.isdigit() for part in oid.split(".")) or oid.count(".") < 2:
            raise ValueError(f"FIRMA_SEAL_POLICY: bad OID {oid!r}")
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError("FIRMA_SEAL_POLICY: sha256 must be 64 hex digits (the policy document's hash)")
        return cls(oid, digest, value.get("uri") or None)

    def signed_attributes(self) -> CAdESSignedAttrSpec:
        """The signature-policy-identifier signed attribute (with the SPuri qualifier when known)."""
        policy_id = {
            "sig_policy_id": self.oid,
            "sig_policy_hash": {"digest_algorithm": {"algorithm": "sha256"},
                                "digest": bytes.fromhex(self.sha256)},
        }
        if self.uri:
            policy_id["sig_policy_qualifiers"] = [{"sig_policy_qualifier_id": "sp_uri",
                                                   "sig_qualifier": core.IA5String(self.uri)}]
        identifier = cades_asn1.SignaturePolicyIdentifier({"signature_policy_id": policy_id})
        return CAdESSignedAttrSpec(signature_policy_identifier=identifier)


def cms_reservation(signer: signers.Signer, *, timestamped: bool) -> int:
    """Hex digits to reserve for the CMS, sized from the certificates it embeds (never the root)."""
    embedded = [signer.signing_cert] + [
        cert for cert in signer.cert_registry or ()
        if cert.self_signed == "no" and cert != signer.signing_cert
    ]
    der = sum(len(cert.dump()) for cert in embedded) + signer.signing_cert.public_key.byte_size
    der += CMS_OVERHEAD + (TIMESTAMP_ALLOWANCE if timestamped else 0)
    return 2 * der


def outside_event_loop(fn, *args, **kwargs):
    """Call fn, which uses asyncio.run inside (pyHanko's sync API), even where this thread runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args, **kwargs)
    context = contextvars.copy_context()  # the app context travels on: the outbound guard reads it
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(context.run, fn, *args, **kwargs).result()


_cache: dict[tuple, Sealer] = {}
_cache_lock = threading.Lock()


def get_sealer(p12_path: Path, passphrase: bytes, tsa_url: str | None = None, **options) -> Sealer:
    """Return this process's Sealer, reloaded only when the PKCS#12 file (or an option) changes."""
    path = str(Path(p12_path).resolve())
    # The passphrase digest is in the key so a wrong passphrase never gets a cached key.
    extra = (options.get("lta", False), tuple(c.dump() for c in options.get("trust_roots", ())),
             options.get("policy"))
    key = (path, os.stat(path).st_mtime_ns, tsa_url, hashlib.sha256(passphrase).hexdigest(), *extra)
    with _cache_lock:
        sealer = _cache.get(key)
        if sealer is None:
            sealer = Sealer.load(Path(path), passphrase, tsa_url, **options)
            for stale in [k for k in _cache if k[0] == path and k[1] != key[1]]:
                del _cache[stale]
            _cache[key] = sealer
        return sealer


@dataclass(frozen=True)
class SealCheck:
    """What verify_sealed_pdf found; `reason` is a short sentence for people."""

    ok: bool
    reason: str
    intact: bool = False
    covers_entire_file: bool = False
    by_this_instance: bool = False
    signed_at: datetime | None = None
    signer_common_name: str | None = None
    certificate_sha256: str | None = None
    timestamped: bool = False


def verify_sealed_pdf(pdf_bytes: bytes, trusted_certificate_sha256: str | None) -> SealCheck:
    """Tell whether a PDF is unaltered since its last seal, and whose seal it is; never raises."""
    try:
        reader = PdfFileReader(BytesIO(pdf_bytes), strict=False)
        if reader.encrypted:
            return SealCheck(ok=False, reason=MSG_ENCRYPTED)
        embedded = reader.embedded_regular_signatures
    except Exception:
        return SealCheck(ok=False, reason=MSG_NOT_PDF)
    if not embedded:
        # A signature dictionary pyHanko cannot recognise is a damaged seal, not a missing one.
        damaged = b"/ByteRange" in pdf_bytes
        return SealCheck(ok=False, reason=MSG_BAD_SEAL if damaged else MSG_UNSIGNED)
    try:
        return _check_signature(embedded[-1], trusted_certificate_sha256)
    except Exception:
        # Hostile CMS or PDF structures can fail anywhere inside pyHanko and asn1crypto.
        return SealCheck(ok=False, reason=MSG_BAD_SEAL)


def _check_signature(sig: EmbeddedPdfSignature, trusted_sha256: str | None) -> SealCheck:
    """Validate one embedded signature offline and judge it against the trusted certificate."""
    cert = sig.signer_cert
    cert_sha256 = hashlib.sha256(cert.dump()).hexdigest()
    common_name = cert.subject.native.get("common_name")
    ours = trusted_sha256 is not None and cert_sha256 == trusted_sha256.lower()
    # Whose key made the seal is decided by the fingerprint above, so the embedded certificate (and
    # the timestamp token's own TSA certificates) can serve as trust anchors for the checks that
    # remain: validity period, key usage, signature maths. Nothing is fetched from the network.
    status = outside_event_loop(
        validate_pdf_signature,
        sig,
        signer_validation_context=ValidationContext(trust_roots=[cert], allow_fetching=False),
        ts_validation_context=ValidationContext(
            trust_roots=_timestamp_certificates(sig), allow_fetching=False
        ),
    )
    intact = bool(status.intact and status.valid)
    covers = (
        status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        and status.modification_level == ModificationLevel.NONE
    )
    tst = status.timestamp_validity
    timestamped = bool(tst is not None and tst.intact and tst.valid)
    moment = tst.timestamp if tst is not None and timestamped else status.signer_reported_dt
    by_this_instance = ours and intact and status.trusted
    if not (intact and covers):
        reason, ok = MSG_ALTERED, False
    elif trusted_sha256 is not None and not by_this_instance:
        reason, ok = MSG_OTHER_CERT, False
    else:
        reason, ok = (MSG_OK if by_this_instance else MSG_OK_ANY), True
    return SealCheck(
        ok=ok,
        reason=reason,
        intact=intact,
        covers_entire_file=covers,
        by_this_instance=by_this_instance,
        signed_at=moment.astimezone(timezone.utc) if moment is not None else None,
        signer_common_name=common_name,
        certificate_sha256=cert_sha256,
        timestamped=timestamped,
    )


def _timestamp_certificates(sig: EmbeddedPdfSignature) -> list[asn1_x509.Certificate]:
    """The certificates carried inside the seal's RFC 3161 timestamp tokens, if any."""
    return [
        choice.chosen
        for token in extract_tst_data_iter(sig.signer_info, signed=False)
        for choice in token["certificates"] or ()
        if choice.name == "certificate"
    ]
