"""A loopback ICP-Brasil-like PKI for B-LTA tests: certomancer serves its CRLs, OCSP and a TSA over HTTP.

Root → intermediate → final CA → e-CNPJ leaf (with the ICP-Brasil otherName OIDs for the CNPJ and the
responsible person), a separate TSA root → TSA, a delegated OCSP responder for the final CA and a CRL for
each CA. The leaf lives LEAF_DAYS, so a test can validate "after it expired" with a later moment.
"""

from __future__ import annotations

import binascii
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from socketserver import ThreadingMixIn

from asn1crypto import x509 as asn1_x509
from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig, KeyLabel
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12

LEAF_DAYS = 30
CNPJ = "11222333000181"
RESPONSIBLE_CPF = "52998224725"
# DOC-ICP-04: 2.16.76.1.3.3 = CNPJ, 2.16.76.1.3.2 = name of the responsible person, 2.16.76.1.3.4 = their
# birth date, CPF, NIS, RG and issuer.
OID_CNPJ, OID_RESPONSIBLE_NAME, OID_RESPONSIBLE_DATA = "2.16.76.1.3.3", "2.16.76.1.3.2", "2.16.76.1.3.4"
ARCH = "icp"
KEYS = ("root", "interm", "final", "leaf", "final-ocsp", "tsa-root", "tsa")


@dataclass(frozen=True)
class LoopbackPki:
    """The served PKI: its base URL, the leaf's PKCS#12, the roots and the leaf's expiry."""

    url: str
    tsa_url: str
    p12: Path
    root_pem: Path
    tsa_root_pem: Path
    root: asn1_x509.Certificate
    tsa_root: asn1_x509.Certificate
    leaf: asn1_x509.Certificate
    leaf_expires: datetime


def _icp_san() -> str:
    """The e-CNPJ subjectAltName (otherName CNPJ, responsible person) as hex DER for certomancer."""
    person = "01011980" + RESPONSIBLE_CPF + "0" * 11 + "0" * 15 + "SSPSP "
    names = [
        x509.OtherName(x509.ObjectIdentifier(oid), _octets(value.encode()))
        for oid, value in ((OID_CNPJ, CNPJ), (OID_RESPONSIBLE_NAME, "MARIA RESPONSAVEL"),
                           (OID_RESPONSIBLE_DATA, person))
    ]
    names.append(x509.RFC822Name("contato@provedor.example"))
    return binascii.hexlify(x509.SubjectAlternativeName(names).public_bytes()).decode()


def _octets(data: bytes) -> bytes:
    """DER OCTET STRING of short data (ICP-Brasil otherName values)."""
    return bytes([0x04, len(data)]) + data


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def _ku(*uses: str) -> dict:
    return {"id": "key_usage", "critical": True, "smart-value": {"schema": "key-usage", "params": list(uses)}}


def _crl(repo: str) -> dict:
    return {"id": "crl_distribution_points", "smart-value": {"schema": "crl-dist-url",
                                                             "params": {"crl-repo-names": [repo]}}}


def _ca(path_len: int) -> dict:
    return {"id": "basic_constraints", "critical": True, "value": {"ca": True, "path_len_constraint": path_len}}


def config(key_dir: Path, url: str, now: datetime) -> dict:
    """The certomancer configuration of the whole PKI."""
    long = {"valid-from": _iso(now - timedelta(days=2)), "valid-to": _iso(now + timedelta(days=3650))}
    short = {"valid-from": _iso(now - timedelta(days=1)), "valid-to": _iso(now + timedelta(days=LEAF_DAYS))}
    name = {"country-name": "BR", "organization-name": "ICP-Brasil"}
    return {
        "external-url-prefix": url,
        "keysets": {ARCH: {"path-prefix": str(key_dir),
                           "keys": {k: {"path": f"{k}.key.pem"} for k in KEYS}}},
        "pki-architectures": {ARCH: {
            "keyset": ARCH,
            "entity-defaults": name,
            "entities": {
                "root": {"common-name": "Autoridade Certificadora Raiz Teste v10"},
                "interm": {"common-name": "AC Intermediaria Teste v5"},
                "final": {"common-name": "AC Final Teste RFB v5"},
                "leaf": {"organizational-unit-name": "RFB e-CNPJ A1",
                         "common-name": f"PROVEDOR EXEMPLO LTDA:{CNPJ}"},
                "final-ocsp": {"common-name": "AC Final Teste RFB v5 OCSP"},
                "tsa-root": {"common-name": "AC Raiz Carimbo do Tempo Teste"},
                "tsa": {"common-name": "ACT Teste"},
            },
            "certs": {
                "root": {"subject": "root", "issuer": "root", "validity": long,
                         "extensions": [_ca(2), _ku("digital_signature", "key_cert_sign", "crl_sign")]},
                "interm": {"issuer": "root", "validity": long,
                           "extensions": [_ca(1), _ku("digital_signature", "key_cert_sign", "crl_sign"),
                                          _crl("root")]},
                "final": {"issuer": "interm", "validity": long,
                          "extensions": [_ca(0), _ku("digital_signature", "key_cert_sign", "crl_sign"),
                                         _crl("interm")]},
                "leaf": {"issuer": "final", "validity": short, "extensions": [
                    _ku("digital_signature", "non_repudiation", "key_encipherment"),
                    {"id": "extended_key_usage", "value": ["client_auth", "email_protection"]},
                    {"id": "subject_alt_name", "smart-value": {"schema": "der-bytes", "params": _icp_san()}},
                    {"id": "authority_information_access", "smart-value": {
                        "schema": "aia-urls", "params": {"ocsp-responder-names": ["final"]}}},
                    _crl("final"),
                ]},
                "final-ocsp": {"issuer": "final", "validity": long, "extensions": [
                    _ku("digital_signature"),
                    {"id": "extended_key_usage", "critical": True, "value": ["ocsp_signing"]},
                    {"id": "ocsp_no_check"},
                ]},
                "tsa-root": {"subject": "tsa-root", "issuer": "tsa-root", "validity": long,
                             "extensions": [_ca(0), _ku("digital_signature", "key_cert_sign", "crl_sign")]},
                "tsa": {"issuer": "tsa-root", "validity": long, "extensions": [
                    _ku("digital_signature"),
                    {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]},
                    _crl("tsa-root"),
                ]},
            },
            "services": {
                "ocsp": {"final": {"for-issuer": "final", "responder-cert": "final-ocsp",
                                   "signing-key": "final-ocsp", "validity-period": {"days": 90}}},
                "crl-repo": {
                    "root": {"for-issuer": "root", "signing-key": "root", "simulated-update-schedule": "P90D"},
                    "interm": {"for-issuer": "interm", "signing-key": "interm",
                               "simulated-update-schedule": "P90D"},
                    "final": {"for-issuer": "final", "signing-key": "final", "simulated-update-schedule": "P90D"},
                    "tsa-root": {"for-issuer": "tsa-root", "signing-key": "tsa-root",
                                 "simulated-update-schedule": "P90D"},
                },
                "time-stamping": {"tsa": {"signing-key": "tsa", "signing-cert": "tsa"}},
            },
        }},
    }


def _write_keys(key_dir: Path) -> None:
    """RSA keys for every entity (2048 bits: the 4096-bit sizing case is tests/test_seal_chain.py's)."""
    key_dir.mkdir(parents=True, exist_ok=True)
    for label in KEYS:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        (key_dir / f"{label}.key.pem").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


@contextmanager
def serving_pki(directory: Path, passphrase: bytes) -> Iterator[LoopbackPki]:
    """Build the PKI, serve it on a free loopback port for the block, and write the leaf's PKCS#12."""
    _write_keys(directory / "keys")
    server = make_server("127.0.0.1", 0, lambda e, s: app(e, s), server_class=_Server,
                         handler_class=_QuietHandler)
    url = f"http://127.0.0.1:{server.server_port}"
    cfg = CertomancerConfig(config(directory / "keys", url, datetime.now(timezone.utc)),
                            key_search_dir=str(directory))
    arch = cfg.get_pki_arch(ArchLabel(ARCH))
    app = Animator(AnimatorArchStore({arch.arch_label: arch}), with_web_ui=False)
    thread = threading.Thread(target=server.serve_forever, name="loopback-pki", daemon=True)
    thread.start()
    try:
        yield _export(arch, directory, url, passphrase)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _export(arch, directory: Path, url: str, passphrase: bytes) -> LoopbackPki:
    """Write the leaf PKCS#12 (leaf, key, final CA, intermediate, root) and the two roots as PEM."""
    def cert(label: str):
        return x509.load_der_x509_certificate(arch.get_cert(CertLabel(label)).dump())

    key_pem = (directory / "keys" / "leaf.key.pem").read_bytes()
    key = serialization.load_pem_private_key(key_pem, password=None)
    p12 = directory / "e-cnpj.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(
        name=b"e-cnpj", key=key, cert=cert("leaf"), cas=[cert("final"), cert("interm"), cert("root")],
        encryption_algorithm=serialization.BestAvailableEncryption(passphrase)))
    root_pem, tsa_root_pem = directory / "icp-root.pem", directory / "tsa-root.pem"
    root_pem.write_bytes(cert("root").public_bytes(serialization.Encoding.PEM))
    tsa_root_pem.write_bytes(cert("tsa-root").public_bytes(serialization.Encoding.PEM))
    leaf = arch.get_cert(CertLabel("leaf"))
    return LoopbackPki(
        url=url, tsa_url=f"{url}/{ARCH}/tsa/tsa", p12=p12, root_pem=root_pem, tsa_root_pem=tsa_root_pem,
        root=arch.get_cert(CertLabel("root")), tsa_root=arch.get_cert(CertLabel("tsa-root")), leaf=leaf,
        leaf_expires=leaf.not_valid_after,
    )


__all__ = ["KeyLabel", "LEAF_DAYS", "LoopbackPki", "serving_pki"]
