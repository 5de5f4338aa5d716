"""The sealed PDF is evidence on its own: originals attached as associated files, checked by the documented script."""
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from firma.config import ROOT
from firma.evidence import store
from firma.evidence.wording import clock_source
from firma.extensions import db as _db
from firma.platform import storage
from firma.sealing import assemble
from tests.images import signature_data_url
from tests.test_signer_phone import Phone, id_card, signer  # noqa: F401  (signer: the fixture)

SCRIPT = ROOT / "scripts" / "verify_evidence.py"


@pytest.fixture()
def sealed(client, signer, db):
    """The client signs with document photos and a liveness selfie (from source port 40123); the envelope is sealed."""
    client.environ_base["REMOTE_PORT"] = "40123"
    phone = Phone(client, signer)
    phone.welcome_and_read()
    assert phone.photo("front", id_card()).status_code == 303
    assert phone.photo("back", id_card()).status_code == 303
    assert phone.good_selfie().status_code == 303
    assert phone.post("/signature", {"signature": signature_data_url()}).status_code == 303
    assert phone.post("/geolocation", {"status": "denied"}).status_code == 200
    assert phone.post("/confirm", {"consent": "yes"}).status_code == 303
    _db.session.expire_all()
    envelope = signer.envelope
    _db.session.refresh(envelope)
    assert envelope.status == "completed", envelope.finalise_error
    return envelope


def verify(pdf: bytes, tmp_path: Path) -> subprocess.CompletedProcess:
    path = tmp_path / "check.pdf"
    path.write_bytes(pdf)
    return subprocess.run([sys.executable, str(SCRIPT), str(path)], capture_output=True, text=True, timeout=60)


def test_originals_are_associated_files_listed_in_evidence_json_and_the_manifest(sealed, signer, tmp_path):
    pdf = storage.read(sealed.final_path)
    reader = PdfReader(io.BytesIO(pdf))
    catalog = reader.trailer["/Root"]
    specs = [ref.get_object() for ref in catalog["/AF"]]
    by_name = {spec["/UF"]: spec for spec in specs}
    assert set(by_name) == set(reader.attachments)
    for name, spec in by_name.items():
        assert spec["/F"] == name and spec["/AFRelationship"] == "/Supplement" and spec["/Desc"]
        assert spec["/EF"]["/F"].get_object()["/Subtype"].startswith("/")
    evidence = json.loads(assemble.read_attachment(pdf, "evidence.json"))
    assert "prev_hash" in evidence["canonical_form"] and "sorted" in evidence["canonical_form"]
    listed = {a["name"]: a for a in evidence["attachments"]}
    kinds = {a["kind"] for a in listed.values()}
    assert {"document_front", "document_back", "selfie", "liveness", "signature", "consent"} <= kinds
    # Every current evidence file is embedded byte for byte, under its MIME type.
    for kind in ("document_front", "document_back", "selfie", "liveness", "signature"):
        row = store.latest(signer, kind)
        item = next(a for a in listed.values() if a["kind"] == kind)
        assert reader.attachments[item["name"]][0] == storage.read(row.path)
        assert item["sha256"] == row.sha256 and item["content_type"] == row.content_type
        assert by_name[item["name"]]["/EF"]["/F"].get_object()["/Subtype"] == "/" + row.content_type
    frames = zipfile.ZipFile(io.BytesIO(reader.attachments[next(n for n, a in listed.items()
                                                                    if a["kind"] == "liveness")][0]))
    assert len(frames.namelist()) == 8 + 1  # the frames and frames.json with the originals' SHA-256
    consent = next(a for a in listed.values() if a["kind"] == "consent")
    assert reader.attachments[consent["name"]][0].decode() == store.latest(signer, "consent").data["text"]
    manifest = " ".join(p.extract_text() for p in reader.pages[sealed.original_pages:]).replace("\n", " ")
    for item in listed.values():
        assert item["sha256"] in manifest.replace(" ", "") and item["name"] in manifest
    assert "porta de origem 40123" in manifest and "127.0.0.1:40123" in manifest.replace(" ", "")
    assert "(UTC−03:00)" in manifest and " UTC" in manifest and "sincronizado por NTP" in manifest
    served = next(e for e in evidence["events"] if e["type"] == "signer.document_served")
    assert served["data"]["sha256"] in manifest.replace(" ", "")
    (tmp_path / "final.pdf").write_bytes(pdf)
    check = subprocess.run(["qpdf", "--check", str(tmp_path / "final.pdf")], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_documented_script_accepts_the_sealed_pdf(sealed, tmp_path):
    result = verify(storage.read(sealed.final_path), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "attachments match" in result.stdout and "events chained" in result.stdout
    events = json.loads(assemble.read_attachment(storage.read(sealed.final_path), "evidence.json"))["events"]
    assert {e["port"] for e in events if e["ip"]} == {40123}  # the script hashed the ports too


def rewritten(pdf: bytes, change) -> bytes:
    """The PDF rewritten with one embedded file's bytes changed by `change(name, content)`."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    for embedded in writer.attachment_list:
        new = change(embedded.name, embedded.content)
        if new is not None:
            embedded.content = new
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_the_script_fails_on_a_tampered_attachment(sealed, tmp_path):
    pdf = storage.read(sealed.final_path)
    bad = rewritten(pdf, lambda name, content: content[:-1] + bytes([content[-1] ^ 1]) if "signature" in name else None)
    result = verify(bad, tmp_path)
    assert result.returncode == 1 and "signature" in result.stdout and "SHA-256 or size differs" in result.stdout


def test_the_script_fails_on_a_tampered_event(sealed, tmp_path):
    pdf = storage.read(sealed.final_path)

    def other_ip(name, content):
        if name != "evidence.json":
            return None
        doc = json.loads(content)
        doc["events"][2]["ip"] = "203.0.113.9"
        return json.dumps(doc, ensure_ascii=False).encode()

    result = verify(rewritten(pdf, other_ip), tmp_path)
    assert result.returncode == 1 and "event 3 " in result.stdout and "hash chain" in result.stdout


def test_the_script_is_the_one_in_the_docs():
    doc = (ROOT / "docs" / "verify-evidence.md").read_text()
    assert SCRIPT.read_text().strip() in doc


def test_the_clock_source_names_the_tsa_when_there_is_one():
    assert "NTP" in clock_source(None) and "sem carimbo" in clock_source(None)
    assert "carimbo do tempo" in clock_source("https://tsa.example/") and "https://tsa.example/" in clock_source(
        "https://tsa.example/")
