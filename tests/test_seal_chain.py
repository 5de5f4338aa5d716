"""Seals that fit real chains: a four-level ICP-Brasil-like chain, DocMDP certification, old seals."""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path

import pytest
import weasyprint
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.signers import PdfTimeStamper
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from firma.sealing.certificate import generate_instance_certificate
from firma.sealing.seal import MSG_ALTERED, MSG_OK, Sealer, verify_sealed_pdf
from tests.icp_chain import Chain, write_chain
from tests.tsa_server import running_tsa

PASSPHRASE = b"senha-do-e-cnpj"


@pytest.fixture(scope="module")
def contract_pdf() -> bytes:
    body = "".join(f"<h1>Cláusula {n}</h1><p>{'Texto do contrato. ' * 60}</p>" for n in range(1, 6))
    return weasyprint.HTML(string=f"<html><body>{body}</body></html>").write_pdf()


@pytest.fixture(scope="module")
def icp(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Chain]:
    return write_chain(tmp_path_factory.mktemp("icp"), PASSPHRASE)


def _validate(pdf: bytes, root_der: bytes):
    """pyHanko's own validation of the last signature, with only the given root as trust anchor."""
    sig = PdfFileReader(BytesIO(pdf)).embedded_regular_signatures[-1]
    tsa_certs = [c.chosen for token in extract_tst_data_iter(sig.signer_info, signed=False)
                 for c in token["certificates"] or ()]
    status = validate_pdf_signature(
        sig, ValidationContext(trust_roots=[asn1_x509.Certificate.load(root_der)], allow_fetching=False),
        ts_validation_context=ValidationContext(trust_roots=tsa_certs, allow_fetching=False),
    )
    return sig, status


def _assert_trusted_over_the_whole_file(pdf: bytes, chain: Chain) -> None:
    """Intact, valid, trusted to the test root, ENTIRE_FILE, and the root itself not in the CMS."""
    sig, status = _validate(pdf, chain.root_der)
    assert status.bottom_line and status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.modification_level == ModificationLevel.NONE
    embedded = [c.chosen for c in sig.signed_data["certificates"]]
    assert len(embedded) == 3
    assert chain.root_der not in [c.dump() for c in embedded]


def test_a_four_level_chain_seals_in_b_b_and_validates_to_its_root(
    icp: tuple[Path, Chain], contract_pdf: bytes
) -> None:
    path, chain = icp
    sealer = Sealer.load(path, PASSPHRASE)
    sealed = sealer.seal(contract_pdf, reason="Contrato", location="São Paulo")
    _assert_trusted_over_the_whole_file(sealed, chain)
    assert verify_sealed_pdf(sealed, sealer.certificate_sha256).reason == MSG_OK


def test_a_four_level_chain_seals_in_b_t(icp: tuple[Path, Chain], contract_pdf: bytes) -> None:
    path, chain = icp
    with running_tsa() as url:
        sealer = Sealer.load(path, PASSPHRASE, tsa_url=url)
        sealed = sealer.seal(contract_pdf, reason="Contrato", location="São Paulo")
    _assert_trusted_over_the_whole_file(sealed, chain)
    _, status = _validate(sealed, chain.root_der)
    assert status.timestamp_validity is not None and status.timestamp_validity.intact
    assert verify_sealed_pdf(sealed, sealer.certificate_sha256).timestamped


def test_the_reservation_grows_with_the_chain_and_the_timestamp(
    icp: tuple[Path, Chain], tmp_path: Path
) -> None:
    generate_instance_certificate(tmp_path / "seal.p12", PASSPHRASE)
    own = Sealer.load(tmp_path / "seal.p12", PASSPHRASE)
    long_chain = Sealer.load(icp[0], PASSPHRASE)
    # Two 4096-bit CA certificates more (~1.4 KB of DER each), two hex digits per byte.
    assert long_chain.bytes_reserved - own.bytes_reserved > 2 * 2 * 1300
    stamped = Sealer.load(icp[0], PASSPHRASE, tsa_url="http://127.0.0.1:9/")
    assert stamped.bytes_reserved > long_chain.bytes_reserved


def test_the_seal_certifies_the_document_with_docmdp_p2(sealed: bytes) -> None:
    sig = PdfFileReader(BytesIO(sealed)).embedded_regular_signatures[-1]
    assert sig.docmdp_level == MDPPerm.FILL_FORMS


@pytest.fixture(scope="module")
def own_sealer(tmp_path_factory: pytest.TempPathFactory) -> Sealer:
    path = tmp_path_factory.mktemp("own") / "seal.p12"
    generate_instance_certificate(path, PASSPHRASE)
    return Sealer.load(path, PASSPHRASE)


@pytest.fixture(scope="module")
def sealed(own_sealer: Sealer, contract_pdf: bytes) -> bytes:
    return own_sealer.seal(contract_pdf, reason="Contrato", location="Brasil")


def _add_page(pdf: bytes) -> bytes:
    """Append a blank page in an incremental update, the way a forger keeps the signature bytes."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    pages = writer.root["/Pages"]
    page = writer.add_object(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Page"),
        generic.NameObject("/Parent"): writer.root.raw_get("/Pages"),
        generic.NameObject("/MediaBox"): generic.ArrayObject(map(generic.NumberObject, (0, 0, 595, 842))),
    }))
    pages["/Kids"].append(page)
    pages["/Count"] = generic.NumberObject(pages["/Count"] + 1)
    writer.update_container(pages)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_page_added_after_the_seal_violates_docmdp(
    own_sealer: Sealer, sealed: bytes, tmp_path: Path
) -> None:
    edited = _add_page(sealed)
    assert edited.startswith(sealed)
    sig = PdfFileReader(BytesIO(edited)).embedded_regular_signatures[-1]
    context = ValidationContext(trust_roots=[own_sealer.certificate], allow_fetching=False)
    status = validate_pdf_signature(sig, context)
    assert status.intact and status.valid
    assert status.docmdp_ok is False
    assert status.modification_level == ModificationLevel.OTHER
    assert not status.bottom_line
    check = verify_sealed_pdf(edited, own_sealer.certificate_sha256)
    assert not check.ok and check.reason == MSG_ALTERED
    path = tmp_path / "edited.pdf"
    path.write_bytes(edited)
    report = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60,
                            check=False).stdout
    # pdfsig checks the signed byte ranges only: the signature itself is valid, the file is not all signed.
    assert "Signature is Valid." in report
    assert "Total document signed" not in report


def test_a_later_document_timestamp_is_permitted_by_the_certification(
    own_sealer: Sealer, sealed: bytes
) -> None:
    with running_tsa() as url:
        writer = IncrementalPdfFileWriter(BytesIO(sealed))
        stamped = PdfTimeStamper(HTTPTimeStamper(url)).timestamp_pdf(writer, "sha256").getvalue()
    sig = PdfFileReader(BytesIO(stamped)).embedded_regular_signatures[0]
    context = ValidationContext(trust_roots=[own_sealer.certificate], allow_fetching=False)
    status = validate_pdf_signature(sig, context)
    assert status.intact and status.valid and status.docmdp_ok
    assert status.modification_level == ModificationLevel.LTA_UPDATES


def _old_self_signed_p12(path: Path) -> None:
    """The PKCS#12 `firma init` wrote before the instance root: one self-signed CA:TRUE seal."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Firma"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "Firma - selo do documento")])
    now = datetime.now(timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=False, encipher_only=False,
            decipher_only=False), critical=True)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        name=b"old", key=key, cert=cert, cas=None,
        encryption_algorithm=serialization.BestAvailableEncryption(PASSPHRASE)))


def test_documents_sealed_by_an_old_self_signed_certificate_still_verify(
    tmp_path: Path, contract_pdf: bytes, own_sealer: Sealer
) -> None:
    _old_self_signed_p12(tmp_path / "old.p12")
    old = Sealer.load(tmp_path / "old.p12", PASSPHRASE)
    sealed = old.seal(contract_pdf, reason="Contrato", location="Brasil")
    check = verify_sealed_pdf(sealed, old.certificate_sha256)
    assert check.ok and check.by_this_instance and check.reason == MSG_OK
    assert not verify_sealed_pdf(sealed, own_sealer.certificate_sha256).by_this_instance
