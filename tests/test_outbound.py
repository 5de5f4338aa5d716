"""Tests for firma.outbound against a real loopback server."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from firma.platform.outbound import EXCERPT_CHARS, UnsafeUrl, parse_retry_after, post_json, validate_url
from tests.http_stub import HttpStub

pytestmark = pytest.mark.usefixtures("app_context")  # its OUTBOUND_ALLOW_LOOPBACK lets the stubs be called


def _closed_port_url() -> str:
    """A loopback URL on a port nothing listens on (bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


def test_success_records_request_and_parses_json() -> None:
    with HttpStub() as stub:
        stub.enqueue(200, {"ok": True})
        outcome = post_json(f"{stub.url}/hook?x=1", b'{"a":1}', {"X-Test": "yes"})
    assert outcome.ok and outcome.status == 200
    assert outcome.error is None and not outcome.retryable
    assert outcome.body_json == {"ok": True}
    assert outcome.elapsed_ms >= 0
    (request,) = stub.requests
    assert (request.method, request.path, request.body) == ("POST", "/hook?x=1", b'{"a":1}')
    assert request.headers["x-test"] == "yes"
    assert request.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("status", [500, 502, 503, 408, 429])
def test_transient_statuses_are_retryable(status: int) -> None:
    with HttpStub() as stub:
        stub.enqueue(status, {"error": "busy"})
        outcome = post_json(stub.url, b"{}", {})
    assert outcome.status == status and outcome.retryable
    assert f"HTTP {status}" in outcome.error


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_other_client_errors_are_final(status: int) -> None:
    with HttpStub() as stub:
        stub.enqueue(status, "nope")
        outcome = post_json(stub.url, b"{}", {})
    assert outcome.status == status and not outcome.retryable
    assert outcome.body_excerpt == "nope" and outcome.body_json is None


def test_retry_after_seconds_are_exposed() -> None:
    with HttpStub() as stub:
        stub.enqueue(429, {}, {"Retry-After": "7"})
        outcome = post_json(stub.url, b"{}", {})
    assert outcome.retryable and outcome.retry_after == 7.0
    assert outcome.headers["Retry-After"] == "7"


def test_retry_after_http_date() -> None:
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
    header = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(header, now=now.timestamp()) == 90.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_redirect_is_not_followed() -> None:
    with HttpStub() as stub:
        stub.enqueue(302, "", {"Location": f"{stub.url}/elsewhere"})
        outcome = post_json(f"{stub.url}/hook", b"{}", {})
    assert len(stub.requests) == 1
    assert outcome.status == 302 and not outcome.ok and not outcome.retryable
    assert "/elsewhere" in outcome.error and outcome.headers["Location"].endswith("/elsewhere")


def test_excerpt_is_capped() -> None:
    with HttpStub() as stub:
        stub.enqueue(500, "é" * 5000)
        outcome = post_json(stub.url, b"{}", {})
    assert outcome.body_excerpt == "é" * EXCERPT_CHARS


def test_closed_port_is_retryable_without_status() -> None:
    outcome = post_json(_closed_port_url(), b"{}", {})
    assert outcome.status is None and outcome.retryable
    assert "conectar" in outcome.error


def test_slow_answer_times_out_as_retryable() -> None:
    with HttpStub() as stub:
        stub.enqueue(200, {}, delay=2.0)
        outcome = post_json(stub.url, b"{}", {}, timeout=(1.0, 0.3))
    assert outcome.status is None and outcome.retryable
    assert "Tempo esgotado" in outcome.error
    assert outcome.elapsed_ms < 1500


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.com/x", "gopher://example.com", "http://", "https:///path",
     "example.com/hook", "http://example.com:99999/"],
)
def test_unsafe_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl) as info:
        post_json(url, b"{}", {})
    assert isinstance(info.value, ValueError)
    assert "URL" in str(info.value)


def test_validate_url_accepts_http_and_https() -> None:
    assert validate_url(" https://erp.example.com.br/webhooks ") == "https://erp.example.com.br/webhooks"
    assert validate_url("HTTP://10.0.0.5:8080/x") == "HTTP://10.0.0.5:8080/x"
