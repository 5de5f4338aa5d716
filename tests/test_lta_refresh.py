"""`firma lta-refresh` and its hourly job: a new document timestamp, stored as a new version, old copies still verify."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from sqlalchemy import select

from firma.extensions import db as _db
from firma.models import Event, EventType, utcnow
from firma.platform import jobs, storage
from firma.sealing import lta_refresh, ltv, verification
from tests.lta_pki import serving_pki
from tests.test_finalise import completed  # noqa: F401 (fixture)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory):
    with serving_pki(tmp_path_factory.mktemp("pki"), b"x") as served:
        yield served


@pytest.fixture()
def with_tsa(app, pki, monkeypatch: pytest.MonkeyPatch):
    """The instance seal stays; a loopback TSA (pinned root) is configured for the refresh."""
    monkeypatch.setitem(app.config, "TSA_URL", pki.tsa_url)
    monkeypatch.setitem(app.config, "TSA_ROOTS", str(pki.tsa_root_pem))
    return pki


def test_nothing_is_due_without_a_known_expiry(app, completed, with_tsa, db) -> None:  # noqa: F811
    assert completed.lta_expires_at is None  # a B-B seal: no timestamp yet
    assert lta_refresh.due(utcnow(), timedelta(days=60)) == []


def test_a_due_envelope_gets_a_new_version_and_old_copies_still_verify(app, completed, with_tsa, db) -> None:  # noqa: F811
    old_path, old_sha = completed.final_path, completed.final_sha256
    old_pdf = storage.read(old_path)
    completed.lta_expires_at = utcnow() + timedelta(days=10)
    db.session.commit()
    outcome = lta_refresh.refresh_due()
    assert outcome.refreshed == 1 and outcome.failed == 0, outcome.lines
    db.session.refresh(completed)
    new_pdf = storage.read(completed.final_path)
    assert completed.final_path != old_path and storage.read(old_path) == old_pdf  # write-once, old kept
    assert new_pdf.startswith(old_pdf)
    assert completed.final_versions == [{"sha256": old_sha, "path": old_path}]
    assert len(PdfFileReader(BytesIO(new_pdf)).embedded_timestamp_signatures) == 1
    # The test TSA's certificate lives ten years: the next refresh is due then, minus the margin.
    assert completed.lta_expires_at == ltv.last_timestamp_expiry(new_pdf) > utcnow() + timedelta(days=3000)
    assert lta_refresh.due(utcnow(), timedelta(days=60)) == []  # not due again
    events = [e.type for e in envelope_events(completed)]
    assert EventType.ENVELOPE_LTA_REFRESHED in events
    for pdf in (old_pdf, new_pdf):
        result = verification.verify_pdf(pdf)
        assert result.ok and result.envelope is not None and result.envelope.id == completed.id, result.reason


def envelope_events(envelope):
    return _db.session.scalars(select(Event).where(Event.envelope_id == envelope.id)).all()


def test_the_refresh_is_a_periodic_job(app) -> None:
    assert "envelope.lta_refresh_sweep" in jobs.names(app)


def test_the_cli_reports_what_it_did(app, completed, with_tsa, db) -> None:  # noqa: F811
    completed.lta_expires_at = utcnow()
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["lta-refresh"])
    assert result.exit_code == 0, result.output
    assert f"{completed.public_code}: novo carimbo do tempo adicionado" in result.output
    assert "1 document(s) re-timestamped, 0 failure(s)" in result.output


def test_without_a_tsa_the_cli_says_so(app, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "TSA_URL", None)
    result = app.test_cli_runner().invoke(args=["lta-refresh"])
    assert result.exit_code == 0 and "FIRMA_TSA_URL não configurado" in result.output


def test_firma_verify_accepts_a_document_sealed_before_a_rotation(
    app, completed, db, tmp_path, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    from firma.sealing.certificate import generate_instance_certificate

    old_pdf = tmp_path / "old.pdf"
    old_pdf.write_bytes(storage.read(completed.final_path))
    new_p12 = tmp_path / "renewed" / "seal.p12"
    new_p12.parent.mkdir()
    generate_instance_certificate(new_p12, app.config["SEAL_PASSPHRASE"].encode())
    monkeypatch.setitem(app.config, "SEAL_P12", new_p12)  # the yearly renewal: a new key and certificate
    with app.app_context():
        from firma.sealing import finalise
        assert finalise.sealer().certificate_sha256 not in old_pdf.read_text(errors="ignore")
    result = app.test_cli_runner().invoke(args=["verify", str(old_pdf)])
    assert result.exit_code == 0, result.output
    assert "selo válido desta instância" in result.output and completed.public_code in result.output
