"""HMAC-SHA256 signing of webhook bodies with a timestamp, so ERPs can check origin and freshness."""
from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

TIMESTAMP_HEADER = "X-Firma-Timestamp"
SIGNATURE_HEADER = "X-Firma-Signature"
SCHEME = "v1"
DEFAULT_TOLERANCE = 300


def sign(secret: str, timestamp: int, raw_body: bytes) -> str:
    """Hex HMAC-SHA256 of f"{timestamp}." + body under the integration's webhook secret."""
    message = f"{timestamp}.".encode("ascii") + raw_body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_headers(secret: str, raw_body: bytes, now: float | None = None) -> dict[str, str]:
    """Headers to send with a webhook body: the timestamp and `v1=<hex>` signature."""
    timestamp = int(time.time() if now is None else now)
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: f"{SCHEME}={sign(secret, timestamp, raw_body)}",
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    raw_body: bytes,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> bool:
    """True when a v1 signature matches the body and the timestamp is within `tolerance` seconds."""
    timestamp_value = _header(headers, TIMESTAMP_HEADER)
    signature_value = _header(headers, SIGNATURE_HEADER)
    if timestamp_value is None or signature_value is None or not timestamp_value.isdigit():
        return False
    timestamp = int(timestamp_value)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, raw_body).encode("ascii")
    # Several v1 values may be present while a secret is being rotated.
    candidates = [
        value.strip()
        for scheme, _, value in (part.strip().partition("=") for part in signature_value.split(","))
        if scheme == SCHEME
    ]
    matches = [hmac.compare_digest(expected, value.encode("utf-8")) for value in candidates]
    return any(matches)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup that works for plain dicts and framework header objects."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None
