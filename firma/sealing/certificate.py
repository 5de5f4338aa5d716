"""The instance seal certificate: an end-entity seal key issued by a root that people trust once."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

CERTIFICATE_YEARS = 10
ROOT_YEARS = 20
ROOT_FILE = "seal-root.pem"
# id-kp-documentSigning (RFC 9336) says what the key is for; NSS (pdfsig, Firefox-family readers)
# checks a PDF signer as an e-mail signer and calls the certificate broken without emailProtection.
SEAL_KEY_PURPOSES = [ObjectIdentifier("1.3.6.1.5.5.7.3.36"), ExtendedKeyUsageOID.EMAIL_PROTECTION]


def generate_instance_certificate(
    p12_path: Path,
    passphrase: bytes,
    common_name: str = "Firma - selo do documento",
    organization: str = "Firma",
    root_path: Path | None = None,
) -> None:
    """Write the seal key + certificate (and its root) as PKCS#12 and the root as PEM; never overwrite."""
    if not passphrase:
        raise ValueError("the PKCS#12 passphrase must not be empty")
    root_path = root_path or p12_path.with_name(ROOT_FILE)
    if root_path.exists():
        raise FileExistsError(root_path)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=4096)
    root_name = _name(organization, f"{organization} - raiz do selo desta instância")
    root = _certificate(root_name, root_key.public_key(), root_name, root_key, ROOT_YEARS, ca=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = _certificate(
        _name(organization, common_name), key.public_key(), root_name, root_key, CERTIFICATE_YEARS, ca=False
    )
    blob = pkcs12.serialize_key_and_certificates(
        name=common_name.encode(),
        key=key,
        cert=leaf,
        cas=[root],
        encryption_algorithm=serialization.BestAvailableEncryption(passphrase),
    )
    _write_exclusive(p12_path, blob, 0o600)
    try:
        _write_exclusive(root_path, root.public_bytes(serialization.Encoding.PEM), 0o644)
    except BaseException:
        p12_path.unlink(missing_ok=True)
        raise
    # The root key is thrown away: nothing can issue another certificate under this root.


def _name(organization: str, common_name: str) -> x509.Name:
    """An O + CN distinguished name."""
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _certificate(subject, public_key, issuer, issuer_key, years: int, *, ca: bool) -> x509.Certificate:
    """A root (CA:TRUE, keyCertSign) or an end-entity seal (CA:FALSE, nonRepudiation, documentSigning)."""
    now = datetime.now(timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        # A few minutes back so a verifier with a slightly late clock accepts a fresh seal.
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=not ca,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
    )
    if not ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage(SEAL_KEY_PURPOSES), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write_exclusive(path: Path, blob: bytes, mode: int) -> None:
    """Write a new file durably; O_EXCL makes the refusal to overwrite atomic, even against a racing init."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
