"""Benchmark: one seal with a four-level ICP-Brasil-like chain, CMS space sized from the chain vs pyHanko's dry run."""

from __future__ import annotations

import tempfile
from io import BytesIO
from pathlib import Path

import weasyprint
from asn1crypto import cms
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.timestamps import HTTPTimeStamper

from bench.bench_documents import ten_page_contract_html
from bench.report import interleaved_medians_ms, row
from firma.sealing.seal import Sealer
from tests.icp_chain import write_chain
from tests.tsa_server import running_tsa

PASSPHRASE = b"bench-passphrase"


def _cms_bytes(pdf: bytes) -> int:
    """DER length of the last signature's CMS, without the zero padding of its reservation."""
    content = PdfFileReader(BytesIO(pdf)).embedded_regular_signatures[-1].pkcs7_content
    return len(cms.ContentInfo.load(content, strict=False).dump())


def main() -> None:
    original = weasyprint.HTML(string=ten_page_contract_html()).write_pdf()
    with tempfile.TemporaryDirectory() as tmp:
        p12, _ = write_chain(Path(tmp), PASSPHRASE)
        with running_tsa() as url:
            for label, tsa_url in (("B-B", None), ("B-T", url)):
                sealer = Sealer.load(p12, PASSPHRASE, tsa_url=tsa_url)
                raw = signers.SimpleSigner.load_pkcs12_data(p12.read_bytes(), other_certs=(), passphrase=PASSPHRASE)
                raw.embed_roots = False
                timestamper = HTTPTimeStamper(tsa_url) if tsa_url else None

                def dry_run() -> bytes:
                    meta = signers.PdfSignatureMetadata(field_name="Seal", md_algorithm="sha256",
                                                        subfilter=SigSeedSubFilter.PADES, certify=True)
                    writer = IncrementalPdfFileWriter(BytesIO(original))
                    return signers.sign_pdf(writer, meta, signer=raw, timestamper=timestamper).getvalue()

                def ours() -> bytes:
                    return sealer.seal(original, reason="Contrato", location="Brasil")

                ours_ms, dry_ms = interleaved_medians_ms(ours, dry_run, runs=9)
                row(f"Seal, 4-level chain, {label}, sized from the chain (vs dry run)", ours_ms, dry_ms, "ms")
                row(f"  CMS used / reserved ({label})", _cms_bytes(ours()), sealer.bytes_reserved // 2, "B")
