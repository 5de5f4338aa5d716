"""Whom the verifier believes: every seal certificate this instance has used, FIRMA_TRUST_ROOTS, FIRMA_TSA_ROOTS.

Each seal certificate is kept, with its chain, as `seal-certificates/<sha256>.pem` in the instance's storage
(local disk or the bucket, so every host sees the same list) when `firma init` creates it and whenever a new one
is first loaded to seal; replacing FIRMA_SEAL_P12 (the yearly e-CNPJ renewal) never orphans the documents sealed
before, and the certificate itself carries its validity window. Certificates an older version kept in
`<instance>/seal-certificates/` are still read from there.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from asn1crypto import pem, x509 as asn1_x509
from flask import current_app

from firma.platform import storage
from firma.platform.storage import Backend
from firma.sealing.judgement import Trust
from firma.sealing.revocation import load_certificates, parse_certificates

FOLDER = "seal-certificates"


def _store(app) -> Backend:
    return storage.for_url(storage.url_of(app.config), app.config.get("S3_ENDPOINT_URL"))


def record(chain: list[asn1_x509.Certificate], app=None) -> str:
    """Keep a seal certificate (first) and its CA chain; a no-op when it is already kept (write-once)."""
    name = f"{FOLDER}/{hashlib.sha256(chain[0].dump()).hexdigest()}.pem"
    _store(app or current_app).write_once(name, b"".join(pem.armor("CERTIFICATE", cert.dump()) for cert in chain))
    return name


def kept(app=None) -> list[list[asn1_x509.Certificate]]:
    """Every kept chain, seal certificate first; unreadable files are skipped."""
    app = app or current_app
    store = _store(app)
    blobs = [store.read(name) for name in store.keys(f"{FOLDER}/") if name.endswith(".pem")]
    legacy = Path(app.instance_path) / FOLDER
    blobs += [path.read_bytes() for path in sorted(legacy.glob("*.pem"))] if legacy.is_dir() else []
    chains = []
    for blob in blobs:
        try:
            chain = parse_certificates(blob)
        except ValueError:
            continue
        if chain:
            chains.append(chain)
    return chains


def load(app=None, current: list[asn1_x509.Certificate] | None = None) -> Trust:
    """The Trust of this instance: configured roots, the roots of every kept chain, every seal certificate used."""
    app = app or current_app
    chains = kept(app) + ([current] if current else [])
    own = {hashlib.sha256(chain[0].dump()).hexdigest(): chain[0] for chain in chains}
    roots = load_certificates(app.config.get("TRUST_ROOTS"))
    roots += [cert for chain in chains for cert in chain[1:] if cert.self_signed != "no"]
    tsa = app.config.get("TSA_ROOTS")
    return Trust(roots=tuple(roots), own=own, tsa_roots=tuple(load_certificates(tsa)) if tsa else None)

