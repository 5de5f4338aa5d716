"""Tests for webhook signing and for the verification snippet published in docs/webhooks.md."""

from __future__ import annotations

import ast
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from firma.delivery.webhook_signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, signature_headers, verify

DOC = Path(__file__).resolve().parent.parent / "docs" / "webhooks.md"
SECRET = "whsec_test"
BODY = b'{"id":"evt_1","type":"signer.signed","data":{"nome":"Jos\xc3\xa9"}}'
NOW = 1_700_000_000
# Cross-checked with: printf '%s' '1700000000.{"id":"evt_1"}' | openssl dgst -sha256 -hmac whsec_test
KNOWN_VECTOR = "c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925"


def test_sign_matches_known_vector() -> None:
    assert sign(SECRET, NOW, b'{"id":"evt_1"}') == KNOWN_VECTOR


def test_signature_headers_format() -> None:
    headers = signature_headers(SECRET, BODY, now=NOW + 0.9)
    assert headers == {TIMESTAMP_HEADER: str(NOW), SIGNATURE_HEADER: f"v1={sign(SECRET, NOW, BODY)}"}
    assert re.fullmatch(r"v1=[0-9a-f]{64}", headers[SIGNATURE_HEADER])


def test_signature_headers_default_to_current_time() -> None:
    before = int(time.time())
    stamp = int(signature_headers(SECRET, BODY)[TIMESTAMP_HEADER])
    assert before <= stamp <= int(time.time())


def test_verify_accepts_valid_signature_with_any_header_case() -> None:
    headers = signature_headers(SECRET, BODY, now=NOW)
    assert verify(SECRET, headers, BODY, now=NOW + 10)
    lowered = {key.lower(): value for key, value in headers.items()}
    assert verify(SECRET, lowered, BODY, now=NOW + 10)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda h, b: (h, b + b" "),
        lambda h, b: (h, b.replace(b"evt_1", b"evt_2")),
        lambda h, b: ({**h, TIMESTAMP_HEADER: str(NOW + 1)}, b),
        lambda h, b: ({**h, SIGNATURE_HEADER: h[SIGNATURE_HEADER].replace("v1=", "v0=")}, b),
        lambda h, b: ({**h, SIGNATURE_HEADER: h[SIGNATURE_HEADER][:-1] + "é"}, b),
        lambda h, b: ({**h, TIMESTAMP_HEADER: "-5"}, b),
        lambda h, b: ({TIMESTAMP_HEADER: h[TIMESTAMP_HEADER]}, b),
        lambda h, b: ({SIGNATURE_HEADER: h[SIGNATURE_HEADER]}, b),
    ],
    ids=["body-appended", "body-changed", "timestamp-changed", "wrong-scheme", "non-ascii", "bad-ts",
         "no-signature", "no-timestamp"],
)
def test_verify_rejects_tampering(mutate: Callable[[dict[str, str], bytes], tuple[dict[str, str], bytes]]) -> None:
    headers, body = mutate(signature_headers(SECRET, BODY, now=NOW), BODY)
    assert not verify(SECRET, headers, body, now=NOW)


def test_verify_rejects_wrong_secret() -> None:
    assert not verify("other", signature_headers(SECRET, BODY, now=NOW), BODY, now=NOW)


@pytest.mark.parametrize(("offset", "accepted"), [(300, True), (-300, True), (301, False), (-301, False)])
def test_verify_tolerance_window(offset: int, accepted: bool) -> None:
    headers = signature_headers(SECRET, BODY, now=NOW)
    assert verify(SECRET, headers, BODY, now=NOW + offset) is accepted


def test_verify_accepts_any_of_several_signatures_during_rotation() -> None:
    old = signature_headers("old-secret", BODY, now=NOW)[SIGNATURE_HEADER]
    new = signature_headers(SECRET, BODY, now=NOW)[SIGNATURE_HEADER]
    headers = {TIMESTAMP_HEADER: str(NOW), SIGNATURE_HEADER: f"{old}, {new}"}
    assert verify(SECRET, headers, BODY, now=NOW)
    assert verify("old-secret", headers, BODY, now=NOW)
    assert not verify("third", headers, BODY, now=NOW)


def _doc_snippet() -> str:
    """The Python block between the verification-snippet markers of docs/webhooks.md."""
    text = DOC.read_text(encoding="utf-8")
    match = re.search(
        r"<!-- verification-snippet:start -->\s*```python\n(.*?)```\s*<!-- verification-snippet:end -->",
        text,
        re.DOTALL,
    )
    assert match, "verification snippet markers not found in docs/webhooks.md"
    return match.group(1)


def test_doc_snippet_uses_only_the_standard_library() -> None:
    tree = ast.parse(_doc_snippet())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported and imported <= set(sys.stdlib_module_names)


def test_doc_snippet_verifies_our_signatures() -> None:
    namespace: dict[str, object] = {}
    exec(compile(_doc_snippet(), str(DOC), "exec"), namespace)  # noqa: S102 - our own documentation
    verify_doc = namespace["verify_firma_webhook"]
    assert callable(verify_doc)

    headers = signature_headers(SECRET, BODY)
    timestamp, signature = headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER]
    assert verify_doc(SECRET, timestamp, signature, BODY) is True
    assert verify_doc(SECRET, timestamp, signature, BODY.replace(b"evt_1", b"evt_9")) is False
    assert verify_doc("wrong", timestamp, signature, BODY) is False
    assert verify_doc(SECRET, None, signature, BODY) is False
    assert verify_doc(SECRET, timestamp, None, BODY) is False

    stale = signature_headers(SECRET, BODY, now=time.time() - 1000)
    assert verify_doc(SECRET, stale[TIMESTAMP_HEADER], stale[SIGNATURE_HEADER], BODY) is False


def test_doc_example_signature_is_correct() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert f"X-Firma-Signature: v1={KNOWN_VECTOR}" in text
    assert "X-Firma-Timestamp: 1700000000" in text
