"""A self-made ICP-Brasil-like chain: root → intermediate → final CA (RSA-4096) → e-CNPJ leaf (RSA-2048)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class Chain:
    """The PKCS#12 (leaf + intermediate + final CA + root) and the root, as DER for trust anchors."""

    p12: bytes
    root_der: bytes
    root_pem: bytes


def _name(*units: str, cn: str) -> x509.Name:
    """An ICP-Brasil-style name: C=BR, O=ICP-Brasil, some OUs, a CN."""
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "BR"),
                  x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ICP-Brasil")]
    attributes += [x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit) for unit in units]
    return x509.Name([*attributes, x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _issue(subject, key, issuer, issuer_key, *, path_length: int | None) -> x509.Certificate:
    """One certificate: a CA when path_length is given, otherwise an e-CNPJ end-entity."""
    now = datetime.now(timezone.utc)
    ca = path_length is not None
    builder = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=not ca, content_commitment=not ca, key_encipherment=not ca,
            data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                       critical=False)
    )
    if not ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage(
            [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def icp_brasil_like_chain(passphrase: bytes) -> Chain:
    """Build the four-level chain and pack leaf + key + every CA (root included) into a PKCS#12."""
    keys = [rsa.generate_private_key(public_exponent=65537, key_size=size) for size in (4096, 4096, 4096, 2048)]
    names = [
        _name("Instituto Nacional de Tecnologia da Informacao - ITI", cn="Autoridade Certificadora Raiz Teste v10"),
        _name("Instituto Nacional de Tecnologia da Informacao - ITI", cn="AC Intermediaria Teste v5"),
        _name("AC Intermediaria Teste v5", cn="AC Final Teste RFB v5"),
        _name("Secretaria da Receita Federal do Brasil - RFB", "RFB e-CNPJ A1", "Presencial",
              cn="PROVEDOR EXEMPLO LTDA:11222333000181"),
    ]
    certs = [_issue(names[0], keys[0], names[0], keys[0], path_length=2)]
    for level, path_length in ((1, 1), (2, 0), (3, None)):
        certs.append(_issue(names[level], keys[level], names[level - 1], keys[level - 1], path_length=path_length))
    p12 = pkcs12.serialize_key_and_certificates(
        name=b"e-cnpj", key=keys[3], cert=certs[3], cas=[certs[2], certs[1], certs[0]],
        encryption_algorithm=serialization.BestAvailableEncryption(passphrase),
    )
    return Chain(p12, certs[0].public_bytes(serialization.Encoding.DER),
                 certs[0].public_bytes(serialization.Encoding.PEM))


def write_chain(directory: Path, passphrase: bytes) -> tuple[Path, Chain]:
    """Write the chain's PKCS#12 into directory; return its path and the chain."""
    chain = icp_brasil_like_chain(passphrase)
    path = directory / "e-cnpj.p12"
    path.write_bytes(chain.p12)
    return path, chain
