"""The verifier tells the truth: expiry after signing, LTV, pinned TSA roots, rotation, edits, odd files."""

from __future__ import annotations

import json
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
import weasyprint
from asn1crypto import pem
from hypothesis import HealthCheck, given, settings, strategies as st
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from firma import create_app
from firma.platform import storage
from firma.sealing import judgement, trust
from firma.sealing.certificate import generate_instance_certificate
from firma.sealing.judgement import MSG_TSA_UNTRUSTED, MSG_UNKNOWN_CERT, Trust, judge
from firma.sealing.seal import MSG_ALTERED, MSG_NOT_PDF, Sealer
from tests.lta_pki import LoopbackPki, serving_pki
from tests.test_seal_chain import _add_page

PASSPHRASE = b"senha-do-e-cnpj"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory):
    with serving_pki(tmp_path_factory.mktemp("pki"), PASSPHRASE) as served:
        yield served


@pytest.fixture(scope="module")
def contract_pdf() -> bytes:
    return weasyprint.HTML(string="<h1>Contrato</h1><p>" + "Cláusula. " * 200 + "</p>").write_pdf()


@pytest.fixture(scope="module")
def lta_pdf(pki: LoopbackPki, contract_pdf: bytes, app) -> bytes:
    with app.app_context():
        sealer = Sealer.load(pki.p12, PASSPHRASE, tsa_url=pki.tsa_url, lta=True, trust_roots=[pki.tsa_root])
        return sealer.seal(contract_pdf, reason="Contrato", location="Brasil")


@pytest.fixture(scope="module")
def b_b_pdf(pki: LoopbackPki, contract_pdf: bytes) -> bytes:
    return Sealer.load(pki.p12, PASSPHRASE).seal(contract_pdf, reason="Contrato", location="Brasil")


def _icp_trust(pki: LoopbackPki, tsa_root=None) -> Trust:
    return Trust(roots=(pki.root,), tsa_roots=(tsa_root or pki.tsa_root,))


def test_a_b_lta_seal_is_valid_after_the_leaf_expired_and_says_so(lta_pdf: bytes, pki: LoopbackPki) -> None:
    later = pki.leaf_expires + timedelta(days=31)
    verdict = judge(lta_pdf, _icp_trust(pki), now=later)
    assert verdict.ok, verdict.reason
    assert verdict.level == "B-LTA" and verdict.ltv and verdict.certificate_expired and verdict.revocation_checked
    day = pki.leaf_expires.astimezone(timezone_br()).strftime("%d/%m/%Y")
    assert f"certificado expirou em {day}, depois da assinatura" in verdict.reason
    assert "dados de validação de longo prazo presentes" in verdict.reason
    assert verdict.signed_at < pki.leaf_expires


def timezone_br():
    from datetime import datetime, timezone

    from firma.br.dates import to_local
    return to_local(datetime.now(timezone.utc)).tzinfo


def test_a_b_b_seal_after_expiry_is_not_called_valid(b_b_pdf: bytes, pki: LoopbackPki) -> None:
    fresh = judge(b_b_pdf, _icp_trust(pki))
    assert fresh.ok and fresh.level == "B-B" and "sem carimbo do tempo" in fresh.reason
    assert "revogação não verificada" in fresh.reason
    later = judge(b_b_pdf, _icp_trust(pki), now=pki.leaf_expires + timedelta(days=1))
    assert not later.ok and "expirou" in later.reason and "não tem carimbo do tempo" in later.reason


def test_a_timestamp_from_an_unpinned_tsa_is_refused(lta_pdf: bytes, pki: LoopbackPki) -> None:
    verdict = judge(lta_pdf, _icp_trust(pki, tsa_root=pki.root))  # pinned to the wrong root
    assert not verdict.ok and verdict.reason == MSG_TSA_UNTRUSTED


def test_an_unknown_certificate_is_not_trusted(b_b_pdf: bytes, pki: LoopbackPki) -> None:
    verdict = judge(b_b_pdf, Trust(roots=(), tsa_roots=(pki.tsa_root,)))
    assert not verdict.ok and verdict.reason == MSG_UNKNOWN_CERT


def test_an_incremental_edit_of_a_b_lta_file_is_a_modification(lta_pdf: bytes, pki: LoopbackPki) -> None:
    edited = _add_page(lta_pdf)
    sig = PdfFileReader(BytesIO(edited)).embedded_regular_signatures[0]
    status = validate_pdf_signature(sig, ValidationContext(trust_roots=[pki.root], allow_fetching=False))
    assert status.intact and status.valid
    assert status.modification_level == ModificationLevel.OTHER and status.docmdp_ok is False
    verdict = judge(edited, _icp_trust(pki))
    assert not verdict.ok and verdict.reason == MSG_ALTERED and not verdict.covers_entire_file


def test_documents_sealed_before_a_rotation_still_verify(app, tmp_path: Path, contract_pdf: bytes,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "TRUST_ROOTS", None)
    for name in ("old", "new"):
        (tmp_path / name).mkdir()
        generate_instance_certificate(tmp_path / name / "seal.p12", PASSPHRASE)
    old = Sealer.load(tmp_path / "old" / "seal.p12", PASSPHRASE)
    new = Sealer.load(tmp_path / "new" / "seal.p12", PASSPHRASE)
    sealed_before = old.seal(contract_pdf, reason="Contrato", location="Brasil")
    # Before the old certificate was kept, a rotation orphans the document: the test can fail.
    assert judge(sealed_before, trust.load(app, current=new.chain)).reason == MSG_UNKNOWN_CERT
    trust.record(old.chain, app)
    verdict = judge(sealed_before, trust.load(app, current=new.chain))
    assert verdict.ok and verdict.by_this_instance, verdict.reason
    # kept in the storage, not the host's folder: another host with its own instance folder trusts it too
    other_host = create_app({**app.config, "STORAGE_URL": storage.url_of(app.config)},
                            instance_path=str(tmp_path / "host-b"))
    assert judge(sealed_before, trust.load(other_host, current=new.chain)).ok


def test_certificates_an_older_version_kept_in_the_instance_folder_are_still_trusted(app, tmp_path, contract_pdf):
    generate_instance_certificate(tmp_path / "seal.p12", PASSPHRASE)
    old = Sealer.load(tmp_path / "seal.p12", PASSPHRASE)
    sealed = old.seal(contract_pdf, reason="Contrato", location="Brasil")
    folder = Path(app.instance_path) / trust.FOLDER
    folder.mkdir(exist_ok=True)
    (folder / "old.pem").write_bytes(b"".join(pem.armor("CERTIFICATE", c.dump()) for c in old.chain))
    (folder / "junk.pem").write_bytes(b"not a certificate")
    assert judge(sealed, trust.load(app)).ok


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_odd_or_tampered_files_never_raise(b_b_pdf: bytes, pki: LoopbackPki, data) -> None:
    flips = data.draw(st.lists(st.integers(min_value=0, max_value=len(b_b_pdf) - 1), min_size=1, max_size=4))
    tampered = bytearray(b_b_pdf)
    for position in flips:
        tampered[position] ^= data.draw(st.integers(min_value=1, max_value=255))
    verdict = judge(bytes(tampered), _icp_trust(pki))
    assert isinstance(verdict, judgement.Judgement) and verdict.reason
    if bytes(tampered) != b_b_pdf:
        sig = PdfFileReader(BytesIO(b_b_pdf)).embedded_regular_signatures[0]
        start, length1, start2, _ = sig.byte_range
        if all(p < length1 for p in flips):  # every flip inside the first signed range
            assert not verdict.ok


@pytest.mark.parametrize("blob", [b"", b"%PDF-1.7\n", b"not a pdf at all", b"%PDF-1.4\n1 0 obj<</ByteRange[0 1 2 3]>>"])
def test_junk_is_judged_not_raised(blob: bytes, pki: LoopbackPki) -> None:
    verdict = judge(blob, _icp_trust(pki))
    assert not verdict.ok and verdict.reason


def test_cli_verify_json_and_no_traceback_for_junk(app, tmp_path: Path) -> None:
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    result = app.test_cli_runner().invoke(args=["verify", "--json", str(junk)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    answer = json.loads(result.output)
    assert answer["ok"] is False and answer["reason"] == MSG_NOT_PDF or answer["reason"]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(min_value=0), mask=st.integers(min_value=1, max_value=255))
def test_a_flipped_byte_in_a_b_lta_file_never_raises(lta_pdf: bytes, pki: LoopbackPki, position: int,
                                                      mask: int) -> None:
    tampered = bytearray(lta_pdf)
    tampered[position % len(lta_pdf)] ^= mask
    verdict = judge(bytes(tampered), _icp_trust(pki))
    assert isinstance(verdict, judgement.Judgement) and verdict.reason
