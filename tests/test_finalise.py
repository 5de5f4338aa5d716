import io
import json
import subprocess
import threading

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from firma.envelopes import create
from firma.evidence import audit
from firma.extensions import db as _db
from firma.models import Envelope, Event, Signer
from firma.platform import storage
from firma.platform.outbox import commit
from firma.sealing import assemble, finalise, verification
from tests.flow import sign


@pytest.fixture()
def completed(client, make_contract, make_user, integration, db):
    """A contract envelope signed by the client, a witness and the auto-signing representative."""
    integration.representative = make_user("rep@isp.test", signature=True, token=True, name="Carlos Representante")
    db.session.commit()
    envelope = create.create_for_contract(make_contract(witness=True))
    commit()
    rep = next(s for s in envelope.signers if s.role == "provider_representative")
    assert rep.status == "signed" and rep.channel == "automatic"
    for signer in envelope.signers:
        if signer.status != "signed":
            sign(client, signer)
    assert envelope.status == "completed"
    return envelope


def final_bytes(envelope) -> bytes:
    return storage.read(envelope.final_path)


def test_final_pdf_has_original_manifest_and_evidence_json(completed):
    pdf = final_bytes(completed)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) > completed.original_pages
    text = "\n".join(p.extract_text() for p in reader.pages[completed.original_pages:])
    for signer in completed.signers:
        assert signer.name in text
    assert "assinado automaticamente" in text.lower() or "automátic" in text.lower()
    evidence = json.loads(assemble.read_attachment(pdf, "evidence.json"))
    assert evidence["envelope"]["code"] == completed.public_code
    assert evidence["envelope"]["original_sha256"] == completed.original_sha256
    assert len(evidence["signers"]) == len(completed.signers)
    # The embedded chain runs up to the moment of sealing: the completion event is chained right after it.
    completed_event = next(e for e in audit.events_of(completed.id) if e.type == "envelope.completed")
    assert evidence["events"][-1]["hash"] == completed_event.prev_hash


def test_verify_accepts_the_final_pdf_and_rejects_one_changed_byte(app, completed, tmp_path):
    pdf = final_bytes(completed)
    good = tmp_path / "final.pdf"
    good.write_bytes(pdf)
    result = app.test_cli_runner().invoke(args=["verify", str(good)])
    assert result.exit_code == 0, result.output
    assert completed.public_code in result.output and "Documento íntegro" in result.output
    out = subprocess.run(["pdfsig", str(good)], capture_output=True, text=True).stdout
    assert "Signature is Valid." in out and "Total document signed" in out

    tampered = bytearray(pdf)
    spot = pdf.index(b"/Type /Page") + 2 if b"/Type /Page" in pdf else len(pdf) // 3
    tampered[spot] ^= 0x01
    bad = tmp_path / "tampered.pdf"
    bad.write_bytes(bytes(tampered))
    result = app.test_cli_runner().invoke(args=["verify", str(bad)])
    assert result.exit_code == 1 and "alterado" in result.output
    out = subprocess.run(["pdfsig", str(bad)], capture_output=True, text=True).stdout
    assert "Signature is Valid." not in out


def test_verify_page_by_upload_and_by_code(client, completed):
    pdf = final_bytes(completed)
    r = client.post("/verificar", data={"arquivo": (io.BytesIO(pdf), "x.pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 200 and "Documento íntegro" in r.text and completed.public_code in r.text
    r = client.post("/verificar", data={"arquivo": (io.BytesIO(b"not a pdf"), "x.pdf")},
                    content_type="multipart/form-data")
    assert "não confere" in r.text
    code = completed.public_code.lower().replace("-", " ")
    r = client.get("/verificar", query_string={"codigo": code})
    assert completed.public_code in r.text and "concluído" in r.text
    assert "***." in r.text  # CPFs are masked on this public page
    assert "Nenhum documento" in client.get("/verificar?codigo=FRM-0000-0000").text


def test_cli_verify_rejects_an_unsealed_pdf(app, completed, tmp_path):
    original = tmp_path / "original.pdf"
    original.write_bytes(storage.read(completed.original_path))
    result = app.test_cli_runner().invoke(args=["verify", str(original)])
    assert result.exit_code == 1 and "não tem selo" in result.output


def test_finalisation_happens_once_even_when_called_twice(completed):
    assert finalise.finalise(completed.id) is False  # already done
    events = _db.session.scalars(select(Event).where(Event.envelope_id == completed.id,
                                                     Event.type == "envelope.completed")).all()
    assert len(events) == 1


def test_racing_last_two_signatures_finalise_once(app, client, make_contract, db, monkeypatch):
    envelope = create.create_for_contract(make_contract(witness=True))
    commit()
    signers = [s.id for s in envelope.signers]
    calls = []
    real = finalise.finalise
    barrier = threading.Barrier(len(signers))

    def counting(envelope_id, now=None):
        done = real(envelope_id, now)
        calls.append(done)
        return done

    def worker(signer_id):
        with app.app_context():
            signer = _db.session.get(Signer, signer_id)
            barrier.wait()
            sign(app.test_client(), signer)
            _db.session.remove()

    monkeypatch.setattr(finalise, "finalise", counting)  # what the queued job calls
    threads = [threading.Thread(target=worker, args=(sid,)) for sid in signers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    _db.session.expire_all()
    envelope = _db.session.get(Envelope, envelope.id)
    assert envelope.status == "completed"
    assert calls.count(True) == 1
    completed_events = _db.session.scalars(select(Event).where(Event.envelope_id == envelope.id,
                                                               Event.type == "envelope.completed")).all()
    assert len(completed_events) == 1


def test_a_failed_finalisation_is_recorded_and_can_be_retried(client, make_contract, db, monkeypatch):
    envelope = create.create_for_contract(make_contract())
    commit()
    monkeypatch.setattr(finalise.manifest_pdf, "render_manifest", lambda data, **kw: (_ for _ in ()).throw(OSError("disk")))
    sign(client, envelope.signers[0])
    _db.session.refresh(envelope)
    assert envelope.status == "pending" and envelope.finalise_state == "failed" and "disk" in envelope.finalise_error
    monkeypatch.undo()
    assert finalise.finalise(envelope.id) is True
    _db.session.refresh(envelope)
    assert envelope.status == "completed" and verification.verify_pdf(final_bytes(envelope)).ok
