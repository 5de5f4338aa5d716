"""PAdES B-B, B-T and B-LTA seals with a loopback ICP-Brasil-like PKI (certomancer): CRLs, OCSP and a TSA."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
import weasyprint
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import SigningError
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from firma.sealing import ltv
from firma.sealing.seal import Sealer, SealPolicy
from tests.lta_pki import LoopbackPki, serving_pki

PASSPHRASE = b"senha-do-e-cnpj"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory):
    with serving_pki(tmp_path_factory.mktemp("pki"), PASSPHRASE) as served:
        yield served


@pytest.fixture(scope="module")
def contract_pdf() -> bytes:
    body = "".join(f"<h1>Cláusula {n}</h1><p>{'Texto do contrato. ' * 60}</p>" for n in range(1, 4))
    return weasyprint.HTML(string=f"<html><body>{body}</body></html>").write_pdf()


@pytest.fixture()
def guard_allows_loopback(app):
    """The outbound guard reads the app: the loopback PKI is reachable only with OUTBOUND_ALLOW_LOOPBACK."""
    with app.app_context():
        yield


def _lta_sealer(pki: LoopbackPki, **options) -> Sealer:
    return Sealer.load(pki.p12, PASSPHRASE, tsa_url=pki.tsa_url, lta=True, trust_roots=[pki.tsa_root], **options)


@pytest.fixture(scope="module")
def lta_pdf(pki: LoopbackPki, contract_pdf: bytes, app) -> bytes:
    with app.app_context():
        return _lta_sealer(pki).seal(contract_pdf, reason="Contrato", location="São Paulo")


def _offline_ltv_status(pdf: bytes, pki: LoopbackPki, moment):
    """pyHanko's PAdES-LTA validation with revocation checking, nothing fetched, at `moment`."""
    reader = PdfFileReader(BytesIO(pdf))
    return ltv.validate(reader, reader.embedded_regular_signatures[0], [pki.root], [pki.tsa_root], moment)


def test_b_b_and_b_t_seal_with_the_icp_like_chain(pki: LoopbackPki, contract_pdf: bytes) -> None:
    for tsa_url in (None, pki.tsa_url):
        sealer = Sealer.load(pki.p12, PASSPHRASE, tsa_url=tsa_url)
        sealed = sealer.seal(contract_pdf, reason="Contrato", location="Brasil")
        sig = PdfFileReader(BytesIO(sealed)).embedded_regular_signatures[0]
        status = validate_pdf_signature(
            sig, ValidationContext(trust_roots=[pki.root], allow_fetching=False),
            ts_validation_context=ValidationContext(trust_roots=[pki.tsa_root], allow_fetching=False))
        assert status.intact and status.valid and status.trusted
        assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        assert (status.timestamp_validity is not None) == bool(tsa_url)
        assert sealer.level == ("B-T" if tsa_url else "B-B")


def test_b_lta_has_a_dss_and_a_document_timestamp(lta_pdf: bytes) -> None:
    reader = PdfFileReader(BytesIO(lta_pdf))
    dss = reader.root["/DSS"]
    assert len(dss["/OCSPs"]) >= 1 and len(dss["/CRLs"]) >= 3  # leaf OCSP; CRLs of the CAs and the TSA root
    assert len(reader.embedded_timestamp_signatures) == 1


def test_b_lta_is_valid_offline_after_the_leaf_expired(lta_pdf: bytes, pki: LoopbackPki) -> None:
    after_expiry = pki.leaf_expires + timedelta(days=30)
    result = _offline_ltv_status(lta_pdf, pki, after_expiry)
    assert result.ok, result.failure
    status = result.status
    assert status.bottom_line and status.trusted and not status.revoked
    assert status.modification_level == ModificationLevel.LTA_UPDATES
    # Without the validation data the same check at the same moment fails: the test can fail.
    sig = PdfFileReader(BytesIO(lta_pdf)).embedded_regular_signatures[0]
    plain = validate_pdf_signature(
        sig, ValidationContext(trust_roots=[pki.root], allow_fetching=False, moment=after_expiry,
                               revocation_mode="hard-fail", crls=[], ocsps=[]))
    assert not plain.bottom_line


def test_pdfsig_reads_the_b_lta_seal_as_valid(lta_pdf: bytes, tmp_path: Path) -> None:
    path = tmp_path / "lta.pdf"
    path.write_bytes(lta_pdf)
    report = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60, check=False).stdout
    seal = report.split("Signature #2")[0]
    # pdfsig checks the seal's bytes and signature; it does not verify RFC 3161 document timestamps.
    assert "Signature Validation: Signature is Valid." in seal, report
    assert "Digest Mismatch" not in report and "ACT Teste" in report.split("Signature #2")[1]


def test_b_lta_refuses_to_seal_when_revocation_data_cannot_be_fetched(
    pki: LoopbackPki, contract_pdf: bytes, app
) -> None:
    # Without an app context the guard refuses loopback addresses: no CRL, no OCSP, so no B-LTA seal.
    with pytest.raises(SigningError, match="could not be validated"):
        _lta_sealer(pki).seal(contract_pdf, reason="Contrato", location="Brasil")


def test_a_document_timestamp_refresh_stays_valid(lta_pdf: bytes, pki: LoopbackPki, app) -> None:
    with app.app_context():
        refreshed = _lta_sealer(pki).add_document_timestamp(lta_pdf)
    assert refreshed.startswith(lta_pdf)
    assert len(PdfFileReader(BytesIO(refreshed)).embedded_timestamp_signatures) == 2
    result = _offline_ltv_status(refreshed, pki, pki.leaf_expires + timedelta(days=30))
    assert result.ok and result.timestamp_count == 2, result.failure


def test_the_signature_policy_identifier_is_a_signed_attribute(pki: LoopbackPki, contract_pdf: bytes) -> None:
    policy = SealPolicy.parse({"oid": "2.16.76.1.7.1.11.1.1", "sha256": "ab" * 32,
                               "uri": "http://politicas.icpbrasil.gov.br/PA_PAdES_AD_RB_v1_1.der"})
    sealed = Sealer.load(pki.p12, PASSPHRASE, policy=policy).seal(contract_pdf, reason="C", location="B")
    sig = PdfFileReader(BytesIO(sealed)).embedded_regular_signatures[0]
    attrs = {attr["type"].dotted: attr for attr in sig.signer_info["signed_attrs"]}
    policy_attr = attrs["1.2.840.113549.1.9.16.2.15"]["values"][0].native
    assert policy_attr["sig_policy_id"] == "2.16.76.1.7.1.11.1.1"
    assert policy_attr["sig_policy_hash"]["digest"] == bytes.fromhex("ab" * 32)
    status = validate_pdf_signature(sig, ValidationContext(trust_roots=[pki.root], allow_fetching=False))
    assert status.intact and status.valid


@pytest.mark.parametrize("bad", [{"oid": "x", "sha256": "ab" * 32}, {"oid": "2.16.76.1", "sha256": "zz"},
                                 '{"oid": "2.16.76.1.7", "sha256": "' + "ab" * 32 + '", "other": 1}'])
def test_a_bad_seal_policy_is_refused(bad) -> None:
    with pytest.raises(ValueError):
        SealPolicy.parse(bad)


@pytest.mark.parametrize("level, wording", [
    ("B-B", "PAdES B-B: sem carimbo do tempo nem dados de validação de longo prazo"),
    ("B-LTA", "PAdES B-LTA: com carimbo do tempo e dados de validação de longo prazo"),
])
def test_the_manifest_states_the_seal_level(level: str, wording: str) -> None:
    from dataclasses import replace

    from firma.evidence.manifest_pdf import manifest_html
    from tests.test_manifest import manifest, signer

    html = manifest_html(replace(manifest([signer(0)]), seal_level=level))
    assert wording in " ".join(html.split())


def test_seal_settings_are_checked_at_start_up(tmp_path: Path, seal_config: dict, pki: LoopbackPki) -> None:
    from firma import create_app
    from firma.config import ConfigError

    base = {"ENV_NAME": "testing", "SECRET_KEY": "s" * 40, **seal_config}
    with pytest.raises(ConfigError, match="FIRMA_TSA_ROOTS"):
        create_app({**base, "TSA_URL": pki.tsa_url}, instance_path=str(tmp_path))
    with pytest.raises(ConfigError, match="B-B, B-T or B-LTA"):
        create_app({**base, "SEAL_LEVEL": "B-LT"}, instance_path=str(tmp_path))
    with pytest.raises(ConfigError, match="FIRMA_TSA_URL"):
        create_app({**base, "SEAL_LEVEL": "B-T"}, instance_path=str(tmp_path))
    with pytest.raises(ConfigError, match="FIRMA_SEAL_POLICY"):
        create_app({**base, "SEAL_POLICY": '{"oid": "1.2"}'}, instance_path=str(tmp_path))
    app = create_app({**base, "TSA_URL": pki.tsa_url, "TSA_ROOTS": str(pki.tsa_root_pem)}, instance_path=str(tmp_path))
    assert app.config["SEAL_LEVEL"] == "B-LTA"
    with app.app_context():
        from firma.sealing import finalise
        assert finalise.sealer().level == "B-LTA"
    assert create_app(base, instance_path=str(tmp_path)).config["SEAL_LEVEL"] == "B-B"


def test_revocation_fetches_go_through_the_guard(app) -> None:
    import requests

    from firma.platform import outbound
    from tests.http_stub import HttpStub

    with HttpStub() as stub, app.app_context():
        stub.enqueue(302, "", {"Location": "http://169.254.169.254/latest/meta-data/"})
        with pytest.raises(requests.RequestException, match="HTTP 302"):  # redirects are not followed
            outbound.fetch("GET", f"{stub.url}/crl")
        stub.enqueue(200, b"x" * 2048)
        with pytest.raises(requests.RequestException, match="larger than"):
            outbound.fetch("GET", f"{stub.url}/crl", max_bytes=1024)
        stub.enqueue(200, b"crl-bytes")
        assert outbound.fetch("GET", f"{stub.url}/crl").content == b"crl-bytes"
        assert len(stub.requests) == 3 and stub.requests[0].headers["User-Agent"] == outbound.USER_AGENT
    with pytest.raises(outbound.UnsafeUrl):
        outbound.fetch("GET", "http://127.0.0.1:9/crl")  # no app that allows loopback


def test_the_test_leaf_is_an_e_cnpj_with_the_icp_brasil_other_names(pki: LoopbackPki) -> None:
    from tests.lta_pki import CNPJ, OID_CNPJ, OID_RESPONSIBLE_DATA, OID_RESPONSIBLE_NAME, RESPONSIBLE_CPF

    others = {name.chosen["type_id"].dotted: name.chosen["value"].parsed.native
              for name in pki.leaf.subject_alt_name_value if name.name == "other_name"}
    assert others[OID_CNPJ] == CNPJ.encode() and others[OID_RESPONSIBLE_NAME] == b"MARIA RESPONSAVEL"
    assert RESPONSIBLE_CPF.encode() in others[OID_RESPONSIBLE_DATA]
    assert not pki.leaf.ca and pki.leaf.ocsp_urls and pki.leaf.crl_distribution_points
