"""The final PDF before the seal: original pages, manifest pages, evidence.json attached; then sealable."""
import io

import pytest
import weasyprint
from pypdf import PdfReader

from firma.sealing import certificate, seal
from firma.sealing.assemble import assemble, read_attachment


def pages_pdf(label: str, count: int) -> bytes:
    body = "".join(f'<p style="break-after: page">{label} página {n}</p>' for n in range(1, count + 1))
    return weasyprint.HTML(string=body).write_pdf()


@pytest.fixture(scope="module")
def parts() -> tuple[bytes, bytes, bytes]:
    evidence = '{"envelope":{"code":"AB12CD34","title":"Contrato — Conceição"}}'.encode()
    return pages_pdf("Contrato", 10), pages_pdf("Manifesto", 3), evidence


def test_original_then_manifest_with_evidence_attached(parts):
    original, manifest, evidence = parts
    final = assemble(original, manifest, {"evidence.json": evidence}, title="Contrato 123 — Conceição")
    reader = PdfReader(io.BytesIO(final))
    assert not reader.is_encrypted
    assert len(reader.pages) == 13
    assert "Contrato página 1" in reader.pages[0].extract_text()
    assert "Contrato página 10" in reader.pages[9].extract_text()
    assert "Manifesto página 1" in reader.pages[10].extract_text()
    assert "Manifesto página 3" in reader.pages[12].extract_text()
    assert reader.metadata.title == "Contrato 123 — Conceição"
    assert reader.metadata.producer == "Firma"
    assert read_attachment(final, "evidence.json") == evidence
    embedded = next(reader.attachment_list)
    assert embedded.name == "evidence.json"
    assert embedded.subtype == "/application/json"
    assert embedded.size == len(evidence)


def test_assembly_is_reproducible(parts):
    original, manifest, evidence = parts
    one = assemble(original, manifest, {"evidence.json": evidence, "b.txt": b"x"}, title="T")
    two = assemble(original, manifest, {"b.txt": b"x", "evidence.json": evidence}, title="T")
    assert one == two


@pytest.mark.parametrize("garbage", [
    b"", b"garbage", b"%PDF-1.7\n1 0 obj <<>> endobj\n", b"%PDF-1.4\n" + bytes(range(256)) * 20,
])
def test_read_attachment_of_garbage_is_none(garbage):
    assert read_attachment(garbage, "evidence.json") is None


def test_read_attachment_of_a_truncated_or_plain_pdf_is_none(parts):
    original, manifest, evidence = parts
    final = assemble(original, manifest, {"evidence.json": evidence}, title="T")
    assert read_attachment(final[: len(final) // 2], "evidence.json") is None
    assert read_attachment(original, "evidence.json") is None
    assert read_attachment(final, "other.json") is None


def test_sealed_after_assembly_verifies_and_keeps_the_attachment(parts, tmp_path):
    original, manifest, evidence = parts
    final = assemble(original, manifest, {"evidence.json": evidence}, title="T")
    certificate.generate_instance_certificate(tmp_path / "seal.p12", b"senha")
    sealer = seal.Sealer.load(tmp_path / "seal.p12", b"senha")
    sealed = sealer.seal(final, reason="Documento assinado eletronicamente", location="Brasil")
    check = seal.verify_sealed_pdf(sealed, sealer.certificate_sha256)
    assert check.ok and check.intact and check.covers_entire_file, check.reason
    assert read_attachment(sealed, "evidence.json") == evidence
    assert len(PdfReader(io.BytesIO(sealed)).pages) == 13
