"""Benchmark: finalise a 10-page contract with 4 signers' evidence, beside the bare libraries doing the same."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import weasyprint
from flask import Flask
from PIL import Image, ImageDraw
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader, PdfWriter

from bench.bench_documents import ten_page_contract_html
from bench.report import interleaved_medians_ms, row
from firma.evidence.attachments import Attachment, evidence_file
from firma.evidence.devices import describe_user_agent
from firma.evidence.manifest import (
    LIVENESS_ACTIVE, EventEntry, FaceMatch, Geolocation, Liveness, ManifestData, Reading, SignerEntry, evidence_json,
)
from firma.evidence.manifest_pdf import manifest_html, render_manifest
from firma.identity import burst, photos
from firma.sealing import certificate, seal
from firma.sealing.assemble import assemble
from firma.signing import consent
from tests import faces
from tests.lta_pki import serving_pki

PASSPHRASE = b"bench-passphrase"
T0 = datetime(2025, 3, 5, 17, 0, tzinfo=timezone.utc)
USER_AGENT = ("Mozilla/5.0 (Linux; Android 11; SM-A125F) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/120.0.0.0 Mobile Safari/537.36")
ROLES = ("client", "client_witness", "provider_representative", "provider_witness")
CPFS = ("529.982.247-25", "111.444.777-35", "390.533.447-05", "123.456.789-09")
SOURCES = ("astronaut", "grace_hopper")
BURST_FRAMES = 11  # static/js/capture.js: FRAMES = 11 at 640 px, JPEG quality 0.85
CONTROLLER = "Provedor Exemplo Ltda (CNPJ 11.222.333/0001-81)"
TERMS = consent.TERMS_TEXT.format(version=consent.VERSION, title="Contrato 2025-0001", controller=CONTROLLER)
BIOMETRIC = consent.BIOMETRIC_TEXT.format(
    version=consent.VERSION, items="fotos do meu documento de identidade (frente e verso); selfie e quadros da "
    "câmera para a prova de vida; comparação facial entre a selfie e a foto do documento", controller=CONTROLLER,
    retention=consent.RETENTION, refusal=consent.REFUSAL_WORDS[consent.BiometricRefusal.DECLINE])


def _signature(seed: int) -> bytes:
    """A signature_pad-like PNG: transparent background, a few strokes."""
    img = Image.new("RGBA", (900, 300), (0, 0, 0, 0))
    points = [(30 + 100 * k, 150 + (60 if (k + seed) % 2 else -60)) for k in range(9)]
    ImageDraw.Draw(img).line(points, fill=(20, 30, 90, 255), width=6, joint="curve")
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return out.getvalue()


def _stored(upload: bytes) -> bytes:
    """A photo as capture stores it (firma.identity.photos: 1280 px, JPEG quality 78)."""
    return photos.process_photo(upload).jpeg


def _frames(source: str) -> list[bytes]:
    """The burst as the phone sends it: 640x480 JPEG frames (quality 0.85), turning left then right."""
    return [faces.to_jpeg(faces.face_image(source, yaw=(-20.0 if n in (3, 4) else 20.0 if n in (7, 8) else 0.0)),
                          quality=85) for n in range(BURST_FRAMES)]


def _signer(i: int) -> SignerEntry:
    """One signer with the evidence capture stores from a phone's uploads (1600-px photos at JPEG 85 sent by
    capture.js, the 640-px burst) and a signature PNG; the selfie is the burst's frontal frame, as capture keeps."""
    source = SOURCES[i % 2]
    device, os_name, browser = describe_user_agent(USER_AGENT)
    return SignerEntry(
        order=i + 1, role=ROLES[i], name=f"Pessoa Signatária {i + 1} de Oliveira", cpf=CPFS[i],
        email=f"pessoa{i + 1}@exemplo.com.br", phone="(11) 98765-432" + str(i), channel="whatsapp",
        status="signed", ip=f"177.20.30.{40 + i}", user_agent=USER_AGENT, device=device, os=os_name, browser=browser,
        geolocation=Geolocation("capturada", -23.5505 + i / 100, -46.6333, 15.0, T0),
        viewed_at=T0, identity_confirmed_at=T0 + timedelta(seconds=30), read_at=T0 + timedelta(minutes=4),
        signed_at=T0 + timedelta(minutes=7), document_sha256_seen="ab" * 32, signature_method="drawn",
        require_document_photo=True, require_selfie=True, reading=Reading([20.0 + p for p in range(10)], True),
        liveness=Liveness(LIVENESS_ACTIVE, "virar o rosto para a esquerda, depois piscar", "aprovada", 8),
        face_match=FaceMatch(True, "rostos compatíveis", 0.31, 0.6),
        document_front=_stored(faces.id_card_jpeg(face_px=160, size=(1600, 1008), source=source)),
        document_back=_stored(faces.to_jpeg(faces.no_face_image((1600, 1008)), quality=85)),
        selfie=_stored(_frames(source)[0]),
        signature=_signature(i),
    )


def _burst(source: str) -> bytes:
    """The liveness burst as capture stores it (firma.identity.burst: 320-px frames and frames.json)."""
    return burst.frames_zip(_frames(source))


def _attachments(signers: list[SignerEntry], biometric: int) -> list[Attachment]:
    """The originals finalisation embeds: photos, selfie, burst, signature and consent text of each signer;
    only the first `biometric` signers went through the document photo and selfie steps."""
    items = []
    for s in signers:
        files = [("signature", "image/png", s.signature), ("consent", "text/plain", TERMS.encode())]
        if s.order <= biometric:
            files += [("biometric_consent", "text/plain", BIOMETRIC.encode()),("document_front", "image/jpeg", s.document_front),
                      ("document_back", "image/jpeg", s.document_back), ("selfie", "image/jpeg", s.selfie),
                      ("liveness", "application/zip", _burst(SOURCES[s.order % 2]))]
        items += [Attachment(name=f"signatario-{s.order}-{kind}.{mime.rsplit('/', 1)[1].replace('jpeg', 'jpg')}",
                             mime=mime, kind=kind, signer_order=s.order, description=kind, content=content)
                  for kind, mime, content in files]
    return items


def _without_biometrics(entry: SignerEntry) -> SignerEntry:
    """A signer as the system really collects for witnesses and provider signers: no photos, no selfie."""
    entry.document_front = entry.document_back = entry.selfie = None
    entry.require_document_photo = entry.require_selfie = False
    entry.liveness = entry.face_match = None
    return entry


def _events(signer_count: int) -> list[EventEntry]:
    """A realistic log: envelope created, each signer added, then ~8 steps per signer."""
    types = ["envelope.created"] + ["signer.added"] * signer_count + [
        t for _ in range(signer_count) for t in ("signer.viewed", "signer.identity_confirmed", "signer.read",
                                                 "signer.signature_captured", "signer.geolocation", "signer.signed")
    ]
    chain = ["0" * 64] + [hashlib.sha256(str(k).encode()).hexdigest() for k in range(1, len(types) + 1)]
    return [EventEntry(seq=k, time=T0 + timedelta(seconds=20 * k), type=t, signer_name="Pessoa Signatária 1",
                       ip="177.20.30.40", hash=chain[k], prev_hash=chain[k - 1])
            for k, t in enumerate(types, start=1)]


def _manifest_data(original_sha256: str, biometric: int = 4) -> ManifestData:
    signers = [_signer(i) if i < biometric else _without_biometrics(_signer(i)) for i in range(4)]
    return ManifestData(
        code="BENCH0001", title="Contrato 2025-0001 — Pessoa Signatária 1 de Oliveira", kind="contract",
        status="pending", created_at=T0, completed_at=T0 + timedelta(minutes=30), original_sha256=original_sha256,
        original_pages=10, template_name="Contrato de prestação de serviços de internet", template_version=4,
        integration="Integração principal", branch_name="Provedor Exemplo Ltda", branch_cnpj="11.222.333/0001-81",
        verification_url="https://assina.provedor.example/verificar?codigo=BENCH0001",
        signers=signers, events=_events(4), attachments=_attachments(signers, biometric),
    )


def main() -> None:
    original = weasyprint.HTML(string=ten_page_contract_html()).write_pdf()
    assert len(PdfReader(io.BytesIO(original)).pages) == 10
    data = _manifest_data(hashlib.sha256(original).hexdigest())
    with tempfile.TemporaryDirectory() as tmp:
        p12 = Path(tmp) / "seal.p12"
        certificate.generate_instance_certificate(p12, PASSPHRASE)
        sealer = seal.Sealer.load(p12, PASSPHRASE)
        raw_signer = signers.SimpleSigner.load_pkcs12_data(p12.read_bytes(), other_certs=(), passphrase=PASSPHRASE)

    def merged_pdf(data: ManifestData = data) -> bytes:
        evidence = evidence_json(data, variables={"contrato": {"numero": "2025-0001"}}, template_version=None,
                                 artifacts=[])
        manifest = render_manifest(data, evidence_sha256=hashlib.sha256(evidence).hexdigest())
        return assemble(original, manifest, [*data.attachments, evidence_file(evidence)], title=data.title)

    def finalised(data: ManifestData) -> bytes:
        return sealer.seal(merged_pdf(data), reason="Documento assinado eletronicamente", location="Brasil")

    def ours() -> bytes:
        return finalised(data)

    html = manifest_html(data)

    def baseline() -> bytes:
        manifest_pdf = weasyprint.HTML(string=html).write_pdf()
        writer = PdfWriter()
        writer.append(io.BytesIO(original))
        writer.append(io.BytesIO(manifest_pdf))
        merged = io.BytesIO()
        writer.write(merged)
        meta = signers.PdfSignatureMetadata(field_name="Seal", md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES)
        out = signers.sign_pdf(IncrementalPdfFileWriter(merged), meta, signer=raw_signer, bytes_reserved=16384)
        return out.getvalue()

    final = ours()
    attached = sum(len(a.content) for a in data.attachments)
    # As the system collects: only the client has document photo and selfie steps (witness and provider don't).
    client_only = finalised(_manifest_data(data.original_sha256, biometric=1))
    ours_ms, baseline_ms, html_ms = interleaved_medians_ms(ours, baseline, lambda: manifest_html(data))
    row("Finalise 10-page contract, 4 signers (manifest+merge+json+seal)", ours_ms, baseline_ms, "ms",
        "≤ 1.15x; ≤ 1000 ms")
    row("  of which thumbnails + QR + manifest HTML", html_ms, None, "ms")
    row("  final PDF size, all 4 signers with photos + selfie burst", len(final) / 1024, None, "KB", "≤ 1536 KB")
    row("  of which attached originals (4 x photos, selfie, 11-frame burst)", attached / 1024, None, "KB")
    for kind in ("document_front", "document_back", "selfie", "liveness"):
        row(f"    {kind} x 4", sum(len(a.content) for a in data.attachments if a.kind == kind) / 1024, None, "KB")
    row("  final PDF size, only the client with photos + selfie burst", len(client_only) / 1024, None, "KB",
        "≤ 1536 KB")
    if shutil.which("qpdf"):
        with tempfile.NamedTemporaryFile(suffix=".pdf") as tmp:
            tmp.write(final)
            tmp.flush()
            check = subprocess.run(["qpdf", "--check", tmp.name], capture_output=True, text=True)
        print(f"  qpdf --check on the final PDF: {'ok' if check.returncode == 0 else 'FAILED ' + check.stdout[-300:]}")
    _lta_rows(original, html, merged_pdf)


def _merged(original: bytes, html: str) -> io.BytesIO:
    """The bare libraries' merge: WeasyPrint manifest + pypdf append."""
    writer = PdfWriter()
    writer.append(io.BytesIO(original))
    writer.append(io.BytesIO(weasyprint.HTML(string=html).write_pdf()))
    merged = io.BytesIO()
    writer.write(merged)
    return merged


def _lta_rows(original: bytes, html: str, merged_pdf: Callable[[], bytes]) -> None:
    """The same finalisation sealed B-LTA against a loopback ICP-like PKI (TSA, CRLs, OCSP), beside bare pyHanko."""
    app = Flask("bench")  # the outbound guard lets loopback through only for an app that says so
    app.config["OUTBOUND_ALLOW_LOOPBACK"] = True
    with tempfile.TemporaryDirectory() as tmp, serving_pki(Path(tmp), PASSPHRASE) as pki, app.app_context():
        sealer = seal.Sealer.load(pki.p12, PASSPHRASE, tsa_url=pki.tsa_url, lta=True, trust_roots=[pki.tsa_root])
        raw_signer = signers.SimpleSigner.load_pkcs12_data(pki.p12.read_bytes(), other_certs=(),
                                                           passphrase=PASSPHRASE)
        stamper = HTTPTimeStamper(pki.tsa_url)

        def ours() -> bytes:  # the same finalisation as the B-B row, sealed B-LTA
            return sealer.seal(merged_pdf(), reason="Documento assinado eletronicamente", location="Brasil")

        def baseline() -> bytes:
            context = ValidationContext(trust_roots=[pki.root, pki.tsa_root], allow_fetching=True)
            meta = signers.PdfSignatureMetadata(field_name="Seal", md_algorithm="sha256",
                                                subfilter=SigSeedSubFilter.PADES, embed_validation_info=True,
                                                use_pades_lta=True, validation_context=context)
            out = signers.sign_pdf(IncrementalPdfFileWriter(_merged(original, html)), meta, signer=raw_signer,
                                   timestamper=stamper, bytes_reserved=32768)
            return out.getvalue()

        final = ours()
        ours_ms, baseline_ms = interleaved_medians_ms(ours, baseline)
    row("Finalise, B-LTA (loopback TSA + CRL/OCSP, 4-level ICP-like chain)", ours_ms, baseline_ms, "ms", "≤ 1.25x")
    row("  B-LTA final PDF size", len(final) / 1024, None, "KB", "≤ 1536 KB")


if __name__ == "__main__":
    main()
