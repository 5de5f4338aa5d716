"""Validation data for B-LTA: CRLs, OCSP answers and issuer certificates fetched through the outbound guard."""
from __future__ import annotations

from asyncio import to_thread
from collections.abc import Iterable
from pathlib import Path

import requests
from asn1crypto import pem, x509 as asn1_x509
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.api import FetcherBackend, Fetchers, FetchLimits
from pyhanko_certvalidator.fetchers.common_utils import FetchBudget
from pyhanko_certvalidator.fetchers.requests_fetchers.cert_fetch_client import RequestsCertificateFetcher
from pyhanko_certvalidator.fetchers.requests_fetchers.crl_client import RequestsCRLFetcher
from pyhanko_certvalidator.fetchers.requests_fetchers.ocsp_client import RequestsOCSPFetcher

from firma.platform import outbound
from firma.platform.destinations import UnsafeUrl

# ICP-Brasil's CRLs of the final CAs run to several MB; anything much larger is not a CRL we want to hold.
MAX_REVOCATION_BYTES = 32 * 1024 * 1024
TIMEOUT = (3.05, 20)


class _Guarded:
    """Replaces the plain `requests` calls of pyhanko-certvalidator's fetchers with outbound.fetch."""

    def _get(self, url, *, acceptable_content_types):
        return to_thread(self._guarded_request, "GET", url, None, {"Accept": ",".join(acceptable_content_types)})

    def _post(self, url, data, *, content_type, acceptable_content_types):
        headers = {"Accept": ",".join(acceptable_content_types), "Content-Type": content_type}
        return to_thread(self._guarded_request, "POST", url, data, headers)

    @staticmethod
    def _guarded_request(method: str, url: str, data: bytes | None, headers: dict[str, str]) -> requests.Response:
        try:
            return outbound.fetch(method, url, data=data, headers=headers, max_bytes=MAX_REVOCATION_BYTES,
                                  timeout=TIMEOUT)
        except UnsafeUrl as exc:  # the fetchers report RequestException as "could not fetch"
            raise requests.RequestException(exc.message) from None


class GuardedCRLFetcher(_Guarded, RequestsCRLFetcher):
    """CRL fetcher through the outbound guard."""


class GuardedOCSPFetcher(_Guarded, RequestsOCSPFetcher):
    """OCSP fetcher through the outbound guard."""


class GuardedCertificateFetcher(_Guarded, RequestsCertificateFetcher):
    """Issuer-certificate (AIA caIssuers) fetcher through the outbound guard."""


class GuardedFetcherBackend(FetcherBackend):
    """A certvalidator fetcher backend whose every request goes through firma.platform.outbound."""

    def __init__(self, limits: FetchLimits = FetchLimits()) -> None:  # noqa: B008
        self.limits = limits

    def get_fetchers(self) -> Fetchers:
        """Fresh fetchers sharing one budget."""
        budget = FetchBudget(self.limits)
        return Fetchers(
            ocsp_fetcher=GuardedOCSPFetcher(budget=budget),
            crl_fetcher=GuardedCRLFetcher(budget=budget),
            cert_fetcher=GuardedCertificateFetcher(budget=budget),
        )

    async def close(self) -> None:
        """Nothing to release: the guard's sessions are per thread."""


def fetching_context(trust_roots: Iterable[asn1_x509.Certificate],
                     other_certs: Iterable[asn1_x509.Certificate] = ()) -> ValidationContext:
    """A context that validates the seal and TSA chains at seal time, fetching revocation data (hard fail)."""
    return ValidationContext(
        trust_roots=list(trust_roots), other_certs=list(other_certs), allow_fetching=True,
        fetcher_backend=GuardedFetcherBackend(), revocation_mode="require",
    )


def load_certificates(paths: str | Iterable[str | Path] | None) -> list[asn1_x509.Certificate]:
    """Certificates from PEM/DER files (a PEM file may hold several); a comma- or os.pathsep-separated string works."""
    if not paths:
        return []
    if isinstance(paths, str):
        paths = [p for chunk in paths.split(",") for p in chunk.split(":")]
    found: list[asn1_x509.Certificate] = []
    for name in paths:
        if not str(name).strip():
            continue
        found += parse_certificates(Path(str(name).strip()).read_bytes())
    return found


def parse_certificates(blob: bytes) -> list[asn1_x509.Certificate]:
    """The certificates of PEM bytes (several allowed) or of one DER certificate; ValueError when unreadable."""
    if pem.detect(blob):
        return [asn1_x509.Certificate.load(der) for _, _, der in pem.unarmor(blob, multiple=True)]
    return [asn1_x509.Certificate.load(blob)]
