"""Safe outbound HTTP POST of JSON for webhooks and messaging providers, reporting retryability."""
from __future__ import annotations

import json
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from firma.platform import destinations, logs
from firma.platform.destinations import UnsafeUrl
from firma.platform.pinned import PinnedAdapter

DEFAULT_TIMEOUT: tuple[float, float] = (3.05, 10)
# Staff see at most this much of an answer, one line without control characters: proof of contact, not a probe.
EXCERPT_CHARS = 200
# Enough for any provider's JSON answer; a hostile endpoint cannot make us buffer more.
MAX_BODY_BYTES = 64 * 1024
KEPT_HEADERS = ("Retry-After", "Location", "Content-Type")
USER_AGENT = "Firma/0.1"

_local = threading.local()


@dataclass(frozen=True)
class HttpOutcome:
    """What happened to one POST: status (None when no answer), error text, and whether to retry."""

    status: int | None
    body_excerpt: str
    error: str | None
    retryable: bool
    elapsed_ms: int
    retry_after: float | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body_json: Any = None

    @property
    def ok(self) -> bool:
        """True for a 2xx answer."""
        return self.status is not None and 200 <= self.status < 300


def validate_url(url: str) -> str:
    """Return the URL if it is absolute http(s) with a host not named in a short IPv4 form; raise UnsafeUrl otherwise."""
    try:
        parts = urlsplit(url.strip())
        host, _port = parts.hostname, parts.port  # .port raises ValueError on a bad port
    except ValueError as exc:
        raise UnsafeUrl(f"URL inválida: {url!r}.") from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise UnsafeUrl(f"Só são aceitas URLs http:// ou https:// (recebido: {url!r}).")
    if not host:
        raise UnsafeUrl(f"A URL precisa ter um servidor (host): {url!r}.")
    destinations.literal(host)
    return url.strip()


def check_destination(url: str) -> str:
    """Save-time check of a URL: well formed, and its host (if it resolves) public; raise UnsafeUrl otherwise."""
    url = validate_url(url)
    parts = urlsplit(url)
    destinations.check_saved_host(parts.hostname, parts.port or (443 if parts.scheme.lower() == "https" else 80))
    return url


def excerpt(raw: bytes) -> str:
    """A short, single-line, printable excerpt of a response body."""
    text = raw[: EXCERPT_CHARS * 4].decode("utf-8", errors="replace")
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in text)
    return " ".join(text.split())[:EXCERPT_CHARS]


def post_json(
    url: str,
    payload_bytes: bytes,
    headers: dict[str, str],
    *,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
) -> HttpOutcome:
    """POST raw JSON bytes without following redirects (with X-Request-Id); network failures come back retryable."""
    validate_url(url)
    sent_headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers}
    if rid := logs.request_id():  # the receiver's logs can name the request (or job) that called them
        sent_headers.setdefault(logs.HEADER, rid)
    started = time.monotonic()
    try:
        with _session().post(
            url,
            data=payload_bytes,
            headers=sent_headers,
            timeout=timeout,
            allow_redirects=False,
            stream=True,
        ) as response:
            raw = _read_capped(response)
    except requests.Timeout:
        return _network_failure(started, "Tempo esgotado esperando o servidor responder.")
    except requests.exceptions.SSLError:
        return _network_failure(started, "Falha na conexão segura (TLS/certificado) com o servidor.")
    except requests.ConnectionError as exc:
        return _network_failure(started, _connection_error_text(exc))
    except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
        return _network_failure(started, "A conexão caiu enquanto a resposta era lida.")
    except UnsafeUrl as exc:  # the host resolved to an internal address when the connection opened
        return HttpOutcome(None, "", exc.message, False, _ms_since(started))
    except requests.RequestException as exc:
        return HttpOutcome(None, "", f"Falha na requisição: {exc}", False, _ms_since(started))
    return _outcome(response, raw, started)


def _session() -> requests.Session:
    """One pooled Session per thread; environment proxies and .netrc are ignored on purpose."""
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        # A user-supplied webhook URL must never pick up the host's proxy or netrc credentials.
        session.trust_env = False
        session.mount("http://", PinnedAdapter())
        session.mount("https://", PinnedAdapter())
        _local.session = session
    return session


def _read_capped(response: requests.Response) -> bytes:
    """Read at most MAX_BODY_BYTES + 1 bytes so an oversized body is detectable but not buffered."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(chunk_size=8192):
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            break
    return b"".join(chunks)


def _outcome(response: requests.Response, raw: bytes, started: float) -> HttpOutcome:
    """Classify an HTTP answer: 2xx ok, 408/429/5xx retryable, redirects and other 4xx final."""
    status = response.status_code
    kept = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
    retry_after = parse_retry_after(kept.get("Retry-After"))
    retryable = status >= 500 or status in (408, 429)
    if 200 <= status < 300:
        error = None
    elif 300 <= status < 400:
        location = kept.get("Location", "?")
        error = f"O servidor redirecionou (HTTP {status}) para {location}; redirecionamentos não são seguidos."
    else:
        error = f"O servidor respondeu HTTP {status}."
    return HttpOutcome(
        status=status,
        body_excerpt=excerpt(raw),
        error=error,
        retryable=retryable,
        elapsed_ms=_ms_since(started),
        retry_after=retry_after,
        headers=kept,
        body_json=_parse_json(raw),
    )


def _parse_json(raw: bytes) -> Any:
    """Decoded JSON body, or None when the body is empty, oversized or not JSON."""
    if not raw or len(raw) > MAX_BODY_BYTES:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _connection_error_text(exc: requests.ConnectionError) -> str:
    """Tell DNS failures apart from refused/unreachable connections for the staff-facing log."""
    text = repr(exc)
    if "NameResolutionError" in text or "Name or service not known" in text or "getaddrinfo" in text:
        return "Não foi possível resolver o nome do servidor (DNS)."
    return "Não foi possível conectar ao servidor (conexão recusada ou inalcançável)."


def _network_failure(started: float, message: str) -> HttpOutcome:
    """Outcome for a request that got no HTTP answer: always worth retrying later."""
    return HttpOutcome(None, "", message, True, _ms_since(started))


def _ms_since(started: float) -> int:
    """Whole milliseconds elapsed since a time.monotonic() reading."""
    return int((time.monotonic() - started) * 1000)


def fetch(
    method: str,
    url: str,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    max_bytes: int = MAX_BODY_BYTES,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
) -> requests.Response:
    """GET or POST through the guard and return a 200 answer of at most max_bytes; raise RequestException or UnsafeUrl."""
    validate_url(url)
    sent_headers = {"User-Agent": USER_AGENT, **(headers or {})}
    with _session().request(method, url, data=data, headers=sent_headers, timeout=timeout,
                            allow_redirects=False, stream=True) as response:
        if response.status_code != 200:
            raise requests.RequestException(f"HTTP {response.status_code} from {url}")
        chunks, size = [], 0
        for chunk in response.iter_content(chunk_size=65536):
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:
                raise requests.RequestException(f"answer from {url} is larger than {max_bytes} bytes")
        response._content = b"".join(chunks)
    return response
