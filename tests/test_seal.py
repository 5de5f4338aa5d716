"""The instance seal: certificate, PAdES seal and verification, cross-checked by three tools."""

from __future__ import annotations

import os
import subprocess
from datetime import datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path

import pytest
import weasyprint
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader, PdfWriter

from firma.sealing.certificate import generate_instance_certificate
from firma.sealing.seal import (
    MSG_ALTERED, MSG_BAD_SEAL, MSG_ENCRYPTED, MSG_NOT_PDF, MSG_OK, MSG_OTHER_CERT, MSG_UNSIGNED, Sealer,
    get_sealer, verify_sealed_pdf,
)
from tests.tsa_server import running_tsa

PASSPHRASE = b"frase-secreta-de-teste"


def _contract_pdf(pages: int = 10) -> bytes:
    """Render a small multi-page contract with WeasyPrint, as the app does."""
    body = "".join(
        f"<h1>Cláusula {n}</h1><p>{'O assinante declara que leu este contrato. ' * 40}</p>"
        f"<p style='break-after: page'></p>"
        for n in range(1, pages + 1)
    )
    return weasyprint.HTML(string=f"<html><body>{body}</body></html>").write_pdf()


@pytest.fixture(scope="module")
def contract_pdf() -> bytes:
    return _contract_pdf()


@pytest.fixture(scope="module")
def p12_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("instance") / "seal.p12"
    generate_instance_certificate(path, PASSPHRASE)
    return path


@pytest.fixture(scope="module")
def sealer(p12_path: Path) -> Sealer:
    return Sealer.load(p12_path, PASSPHRASE)


@pytest.fixture(scope="module")
def sealed_pdf(sealer: Sealer, contract_pdf: bytes) -> bytes:
    return sealer.seal(contract_pdf, reason="Contrato assinado eletronicamente", location="Brasil")


def _flip_byte_in_signed_content(pdf: bytes) -> bytes:
    """Flip one bit inside the first content stream, well within the first signed byte range."""
    sig = PdfFileReader(BytesIO(pdf)).embedded_regular_signatures[-1]
    position = pdf.index(b"stream\n") + 40
    assert position < sig.byte_range[1]
    tampered = bytearray(pdf)
    tampered[position] ^= 0x01
    return bytes(tampered)


def _pdfsig(pdf: bytes, tmp_path: Path, *extra: str) -> str:
    """Run poppler's pdfsig and return its report; it exits 0 even on a digest mismatch."""
    path = tmp_path / "checked.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        ["pdfsig", *extra, str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    return done.stdout + done.stderr


def test_certificate_is_an_end_entity_seal_issued_by_the_instance_root(p12_path: Path) -> None:
    key, cert, extra = pkcs12.load_key_and_certificates(p12_path.read_bytes(), PASSPHRASE)
    assert key is not None and key.key_size == 2048
    root = x509.load_pem_x509_certificate((p12_path.parent / "seal-root.pem").read_bytes())
    assert cert is not None and extra == [root]
    assert cert.subject.rfc4514_string() == "CN=Firma - selo do documento,O=Firma"
    assert cert.issuer == root.subject != cert.subject and root.issuer == root.subject
    cert.verify_directly_issued_by(root)
    constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and not constraints.value.ca
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    assert not usage.value.key_cert_sign
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36"), ExtendedKeyUsageOID.EMAIL_PROTECTION]
    root_constraints = root.extensions.get_extension_for_class(x509.BasicConstraints)
    assert root_constraints.critical and root_constraints.value.ca
    root_usage = root.extensions.get_extension_for_class(x509.KeyUsage).value
    assert root_usage.key_cert_sign and not root_usage.digital_signature
    ski = root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == ski.digest
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert timedelta(days=3650) <= lifetime <= timedelta(days=3660)
    assert cert.not_valid_before_utc <= datetime.now(timezone.utc)
    assert root.not_valid_after_utc > cert.not_valid_after_utc
    assert p12_path.stat().st_mode & 0o777 == 0o600


def test_certificate_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "seal.p12"
    generate_instance_certificate(path, PASSPHRASE)
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        generate_instance_certificate(path, PASSPHRASE)
    assert path.read_bytes() == before


def test_wrong_passphrase_is_refused(p12_path: Path) -> None:
    with pytest.raises(ValueError):
        Sealer.load(p12_path, b"not-the-passphrase")


def test_sealed_pdf_verifies_as_sealed_by_this_instance(sealer: Sealer, sealed_pdf: bytes) -> None:
    check = verify_sealed_pdf(sealed_pdf, sealer.certificate_sha256)
    assert check.ok and check.by_this_instance and check.intact and check.covers_entire_file
    assert check.reason == MSG_OK
    assert check.signer_common_name == "Firma - selo do documento"
    assert check.certificate_sha256 == sealer.certificate_sha256
    assert not check.timestamped
    assert check.signed_at is not None and check.signed_at.tzinfo == timezone.utc
    assert abs(datetime.now(timezone.utc) - check.signed_at) < timedelta(minutes=5)
    assert sealer.subject_name == "CN=Firma - selo do documento,O=Firma"


def test_contract_merged_with_its_manifest_by_pypdf_seals_and_verifies(
    sealer: Sealer, contract_pdf: bytes
) -> None:
    writer = PdfWriter()
    writer.append(PdfReader(BytesIO(contract_pdf)))
    writer.append(PdfReader(BytesIO(_contract_pdf(pages=2))))
    merged = BytesIO()
    writer.write(merged)
    sealed = sealer.seal(merged.getvalue(), reason="Contrato", location="Brasil")
    assert verify_sealed_pdf(sealed, sealer.certificate_sha256).ok
    assert len(PdfReader(BytesIO(sealed)).pages) == 12


def test_pyhanko_validator_reports_an_intact_pades_seal_over_the_whole_file(
    sealer: Sealer, sealed_pdf: bytes
) -> None:
    sig = PdfFileReader(BytesIO(sealed_pdf)).embedded_regular_signatures[0]
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    context = ValidationContext(trust_roots=[sealer.certificate], allow_fetching=False)
    status = validate_pdf_signature(sig, context)
    assert status.bottom_line and status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.modification_level == ModificationLevel.NONE
    assert status.md_algorithm == "sha256"


def test_poppler_and_qpdf_accept_the_sealed_pdf(sealed_pdf: bytes, tmp_path: Path) -> None:
    report = _pdfsig(sealed_pdf, tmp_path)
    assert "Signature is Valid." in report
    assert "Total document signed" in report
    path = tmp_path / "sealed.pdf"
    path.write_bytes(sealed_pdf)
    qpdf = subprocess.run(
        ["qpdf", "--check", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert qpdf.returncode == 0, qpdf.stdout + qpdf.stderr
    assert "No syntax or stream encoding errors" in qpdf.stdout


def test_pdfsig_trusts_the_seal_once_the_instance_root_is_in_an_nss_db(
    p12_path: Path, sealed_pdf: bytes, tmp_path: Path
) -> None:
    assert "Certificate is Trusted" not in _pdfsig(sealed_pdf, tmp_path)
    db = tmp_path / "nssdb"
    db.mkdir()
    pem = p12_path.parent / "seal-root.pem"
    for command in (
        ["certutil", "-N", "-d", f"sql:{db}", "--empty-password"],
        ["certutil", "-A", "-n", "firma", "-t", "CT,C,C", "-i", str(pem), "-d", f"sql:{db}"],
    ):
        subprocess.run(command, capture_output=True, timeout=60, check=True)
    report = _pdfsig(sealed_pdf, tmp_path, "-nssdir", f"sql:{db}")
    assert "Signature is Valid." in report
    assert "Certificate is Trusted." in report


def test_one_flipped_byte_is_reported_as_altered(
    sealer: Sealer, sealed_pdf: bytes, tmp_path: Path
) -> None:
    tampered = _flip_byte_in_signed_content(sealed_pdf)
    check = verify_sealed_pdf(tampered, sealer.certificate_sha256)
    assert not check.ok and not check.intact and not check.by_this_instance
    assert check.reason == MSG_ALTERED
    report = _pdfsig(tampered, tmp_path)
    assert "Signature #1" in report
    assert "Signature is Valid" not in report


def test_an_update_appended_after_the_seal_is_reported_as_altered(
    sealer: Sealer, sealed_pdf: bytes
) -> None:
    writer = PdfWriter(BytesIO(sealed_pdf), incremental=True)
    writer.add_metadata({"/Title": "Contrato trocado"})
    out = BytesIO()
    writer.write(out)
    appended = out.getvalue()
    assert appended.startswith(sealed_pdf)
    check = verify_sealed_pdf(appended, sealer.certificate_sha256)
    assert not check.ok and not check.covers_entire_file
    assert check.reason == MSG_ALTERED


def test_a_rewritten_pdf_is_not_reported_as_sealed(sealer: Sealer, sealed_pdf: bytes) -> None:
    writer = PdfWriter(clone_from=PdfReader(BytesIO(sealed_pdf)))
    out = BytesIO()
    writer.write(out)
    check = verify_sealed_pdf(out.getvalue(), sealer.certificate_sha256)
    assert not check.ok


def test_another_instance_seal_is_not_ours(
    sealer: Sealer, contract_pdf: bytes, tmp_path: Path
) -> None:
    other_path = tmp_path / "other.p12"
    generate_instance_certificate(other_path, b"outra")
    other = Sealer.load(other_path, b"outra")
    foreign = other.seal(contract_pdf, reason="Outro", location="Outro lugar")
    check = verify_sealed_pdf(foreign, sealer.certificate_sha256)
    assert check.intact and check.covers_entire_file
    assert not check.by_this_instance and not check.ok
    assert check.reason == MSG_OTHER_CERT
    assert check.certificate_sha256 == other.certificate_sha256
    assert verify_sealed_pdf(foreign, None).ok


def test_the_last_seal_decides(sealer: Sealer, sealed_pdf: bytes, tmp_path: Path) -> None:
    other_path = tmp_path / "other.p12"
    generate_instance_certificate(other_path, b"outra")
    resealed = Sealer.load(other_path, b"outra").seal(
        sealed_pdf, reason="Outro", location="Outro lugar", field_name="Outro"
    )
    assert verify_sealed_pdf(resealed, sealer.certificate_sha256).reason == MSG_OTHER_CERT
    ours_again = sealer.seal(
        resealed, reason="Novo selo", location="Brasil", field_name="FirmaSeal2"
    )
    assert verify_sealed_pdf(ours_again, sealer.certificate_sha256).ok


@pytest.mark.parametrize(
    ("make_input", "reason"),
    [
        (lambda pdf: b"", MSG_NOT_PDF),
        (lambda pdf: b"isto nao e um pdf" * 100, MSG_NOT_PDF),
        (lambda pdf: os.urandom(4096), MSG_NOT_PDF),
        (lambda pdf: pdf[: len(pdf) // 2], MSG_NOT_PDF),
        (lambda pdf: b"%PDF-1.7\n" + pdf[9:-400], MSG_NOT_PDF),
        (lambda pdf: pdf.replace(b"/ETSI.CAdES.detached", b"/ETSI.CAdES.detacheX"), MSG_BAD_SEAL),
    ],
    ids=["empty", "text", "random", "half", "no-trailer", "unknown-subfilter"],
)
def test_hostile_input_is_refused_with_a_reason(
    sealer: Sealer, sealed_pdf: bytes, make_input, reason: str
) -> None:
    check = verify_sealed_pdf(make_input(sealed_pdf), sealer.certificate_sha256)
    assert not check.ok and check.reason == reason


def test_unsigned_pdf_has_no_seal(sealer: Sealer, contract_pdf: bytes) -> None:
    check = verify_sealed_pdf(contract_pdf, sealer.certificate_sha256)
    assert not check.ok and check.reason == MSG_UNSIGNED


def test_encrypted_pdf_cannot_be_verified(sealer: Sealer, contract_pdf: bytes) -> None:
    writer = PdfWriter(clone_from=PdfReader(BytesIO(contract_pdf)))
    writer.encrypt(user_password="", owner_password="dono", algorithm="AES-256")
    out = BytesIO()
    writer.write(out)
    check = verify_sealed_pdf(out.getvalue(), sealer.certificate_sha256)
    assert not check.ok and check.reason == MSG_ENCRYPTED


def test_seal_with_a_timestamp_authority_is_timestamped(
    p12_path: Path, contract_pdf: bytes
) -> None:
    with running_tsa() as url:
        sealer = Sealer.load(p12_path, PASSPHRASE, tsa_url=url)
        sealed = sealer.seal(contract_pdf, reason="Contrato", location="Brasil")
    check = verify_sealed_pdf(sealed, sealer.certificate_sha256)
    assert check.ok and check.by_this_instance and check.timestamped
    assert check.signed_at is not None
    assert abs(datetime.now(timezone.utc) - check.signed_at) < timedelta(minutes=5)


def test_get_sealer_loads_once_and_reloads_when_the_file_changes(p12_path: Path) -> None:
    first = get_sealer(p12_path, PASSPHRASE)
    assert get_sealer(p12_path, PASSPHRASE) is first
    assert get_sealer(p12_path, PASSPHRASE, tsa_url="http://127.0.0.1:9/") is not first
    stat = p12_path.stat()
    os.utime(p12_path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    reloaded = get_sealer(p12_path, PASSPHRASE)
    assert reloaded is not first
    assert reloaded.certificate_sha256 == first.certificate_sha256
    with pytest.raises(ValueError):
        get_sealer(p12_path, b"not-the-passphrase")


def test_seal_and_verify_work_inside_a_running_event_loop(sealer: Sealer, contract_pdf: bytes) -> None:
    """pyHanko's sync API calls asyncio.run; Firma must still seal when a loop runs (e.g. next to Playwright)."""
    import asyncio

    async def inside():
        sealed = sealer.seal(contract_pdf, reason="r", location="l")
        return verify_sealed_pdf(sealed, sealer.certificate_sha256)

    assert asyncio.run(inside()).ok
