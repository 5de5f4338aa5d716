"""Whom the verifier believes: every seal certificate this instance has used, FIRMA_TRUST_ROOTS, FIRMA_TSA_ROOTS.

Each seal certificate is kept, with its chain, as `<sha256>.pem` in SEAL_HISTORY_DIR (default
`<instance>/seal-certificates/`) when `firma init` creates it and whenever a new one is first loaded to seal,
so replacing FIRMA_SEAL_P12 (the yearly e-CNPJ renewal) never orphans the documents sealed before; the
certificate itself carries its validity window. With several hosts, share that folder (or copy its files).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from asn1crypto import pem, x509 as asn1_x509
from flask import current_app

from firma.sealing.judgement import Trust
from firma.sealing.revocation import load_certificates


def history_dir(app=None) -> Path:
    """The folder of past and present seal certificates."""
    app = app or current_app
    return Path(app.config.get("SEAL_HISTORY_DIR") or Path(app.instance_path) / "seal-certificates")


def record(chain: list[asn1_x509.Certificate], app=None) -> Path:
    """Keep a seal certificate (first) and its CA chain; a no-op when it is already kept."""
    folder = history_dir(app)
    path = folder / f"{hashlib.sha256(chain[0].dump()).hexdigest()}.pem"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(b"".join(pem.armor("CERTIFICATE", cert.dump()) for cert in chain))
        tmp.replace(path)
    return path


def kept(app=None) -> list[list[asn1_x509.Certificate]]:
    """Every kept chain, seal certificate first; unreadable files are skipped."""
    chains = []
    for path in sorted(history_dir(app).glob("*.pem")):
        try:
            chain = load_certificates([path])
        except (OSError, ValueError):
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
