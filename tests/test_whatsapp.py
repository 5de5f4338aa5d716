"""Tests for the WhatsApp provider adapters against a real loopback server."""

from __future__ import annotations

import io
import socket
import threading
import time

import pytest

from firma.br.phones import validate_e164
from firma.delivery.whatsapp import (
    ConsoleProvider, MetaCloudProvider, OpaSuiteProvider, TokenBucket, WhatsAppMessage, provider_from_settings,
)
from firma.platform.errors import Refusal
from tests.http_stub import HttpStub

pytestmark = pytest.mark.usefixtures("app_context")  # its OUTBOUND_ALLOW_LOOPBACK lets the stubs be called

LINK = "https://firma.example.com.br/s/tok123"


def _message(**overrides: object) -> WhatsAppMessage:
    fields: dict[str, object] = {
        "to": "+5511987654321",
        "template": "assinatura_contrato",
        "parameters": ["Maria", LINK],
        "text": f"Olá Maria, assine seu contrato: {LINK}",
        "link_url": LINK,
    }
    fields.update(overrides)
    return WhatsAppMessage(**fields)  # type: ignore[arg-type]


def _meta(stub: HttpStub, **kwargs: object) -> MetaCloudProvider:
    return MetaCloudProvider("1234567890", "EAAtoken", base_url=f"{stub.url}/v21.0", **kwargs)  # type: ignore[arg-type]


def _opa(stub: HttpStub, **kwargs: object) -> OpaSuiteProvider:
    return OpaSuiteProvider(stub.url, "opa-token", "64f09e6332843f9dada2d0d6", **kwargs)  # type: ignore[arg-type]


def _meta_error(code: int, message: str = "boom") -> dict[str, object]:
    return {"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "A1"}}


# --- phone numbers -----------------------------------------------------------------------


@pytest.mark.parametrize("number", ["+5511987654321", "+5548999153242", "+14155552671"])
def test_valid_e164_numbers_pass(number: str) -> None:
    assert validate_e164(number) == number


@pytest.mark.parametrize(
    "number", ["11987654321", "5511987654321", "+55 11 98765-4321", "+551198765", "+5511987654321x", "", "abc"]
)
def test_invalid_phone_refused(number: str) -> None:
    with pytest.raises(Refusal, match="formato internacional"):
        _message(to=number)


# --- Meta Cloud API ----------------------------------------------------------------------


def test_meta_request_shape_and_success_id() -> None:
    with HttpStub() as stub:
        stub.enqueue(200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": "5511987654321", "wa_id": "5511987654321"}],
            "messages": [{"id": "wamid.HBgLNTUxMTk4NzY1NDMyMRUCABEYEg", "message_status": "accepted"}],
        })
        result = _meta(stub).send(_message())
    assert result.status == "sent"
    assert result.provider_id == "wamid.HBgLNTUxMTk4NzY1NDMyMRUCABEYEg"
    assert result.http_status == 200 and result.error is None
    (request,) = stub.requests
    assert request.method == "POST" and request.path == "/v21.0/1234567890/messages"
    assert request.headers["Authorization"] == "Bearer EAAtoken"
    assert request.headers["Content-Type"] == "application/json"
    assert request.json() == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "5511987654321",
        "type": "template",
        "template": {
            "name": "assinatura_contrato",
            "language": {"code": "pt_BR"},
            "components": [{"type": "body", "parameters": [
                {"type": "text", "text": "Maria"}, {"type": "text", "text": LINK},
            ]}],
        },
    }


def test_meta_template_without_parameters_has_no_components() -> None:
    with HttpStub() as stub:
        _meta(stub).send(_message(parameters=[], language="en_US"))
    template = stub.requests[0].json()["template"]
    assert template == {"name": "assinatura_contrato", "language": {"code": "en_US"}}


@pytest.mark.parametrize(
    ("http_status", "code", "needle"),
    [
        (400, 131047, "24 horas"),
        (400, 131026, "não entregável"),
        (400, 132000, "quantidade de variáveis"),
        (404, 132001, "Modelo de mensagem inexistente"),
        (401, 190, "Token de acesso"),
    ],
)
def test_meta_final_errors_are_mapped(http_status: int, code: int, needle: str) -> None:
    with HttpStub() as stub:
        stub.enqueue(http_status, _meta_error(code))
        result = _meta(stub).send(_message())
    assert result.status == "failed" and result.http_status == http_status
    assert needle in result.error


@pytest.mark.parametrize("code", [4, 80007, 130429, 131048, 131056])
def test_meta_rate_limits_are_retried(code: int) -> None:
    with HttpStub() as stub:
        stub.enqueue(400, _meta_error(code), {"Retry-After": "30"})
        result = _meta(stub).send(_message())
    assert result.status == "retry" and result.retry_after == 30.0
    assert "Limite de envio" in result.error


def test_meta_unknown_client_error_keeps_code_and_detail() -> None:
    with HttpStub() as stub:
        stub.enqueue(400, _meta_error(100, "(#100) Invalid parameter"))
        result = _meta(stub).send(_message())
    assert result.status == "failed"
    assert "código 100" in result.error and "Invalid parameter" in result.error


def test_meta_server_error_is_retried() -> None:
    with HttpStub() as stub:
        stub.enqueue(500, _meta_error(131000, "Something went wrong"))
        result = _meta(stub).send(_message())
    assert result.status == "retry" and result.http_status == 500
    assert "temporário" in result.error


def test_meta_429_with_retry_after() -> None:
    with HttpStub() as stub:
        stub.enqueue(429, "Too Many Requests", {"Retry-After": "12"})
        result = _meta(stub).send(_message())
    assert (result.status, result.retry_after, result.http_status) == ("retry", 12.0, 429)


def test_meta_closed_port_is_retried() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    provider = MetaCloudProvider("1", "t", base_url=f"http://127.0.0.1:{port}")
    result = provider.send(_message())
    assert result.status == "retry" and result.http_status is None
    assert "conectar" in result.error


def test_meta_timeout_is_retried() -> None:
    with HttpStub() as stub:
        stub.enqueue(200, {"messages": [{"id": "late"}]}, delay=2.0)
        result = _meta(stub, timeout=(1.0, 0.3)).send(_message())
    assert result.status == "retry" and "Tempo esgotado" in result.error


def test_meta_redirect_is_not_followed() -> None:
    with HttpStub() as stub:
        stub.enqueue(307, "", {"Location": "http://127.0.0.1:1/elsewhere"})
        result = _meta(stub).send(_message())
    assert len(stub.requests) == 1
    assert result.status == "failed" and "redirecion" in result.error


def test_meta_refuses_non_http_base_url() -> None:
    with pytest.raises(ValueError, match="http"):
        MetaCloudProvider("1", "t", base_url="file:///etc")


# --- Opa! Suite ----------------------------------------------------------------------------


def test_opa_request_shape_and_success_id() -> None:
    with HttpStub() as stub:
        stub.enqueue(200, {"status": "success", "data": {"_id": "65a1b2c3d4e5f6a7b8c9d0e1"}})
        result = _opa(stub).send(_message(template="6500b9df32843f9dada2e6be"))
    assert result.status == "sent" and result.provider_id == "65a1b2c3d4e5f6a7b8c9d0e1"
    (request,) = stub.requests
    assert request.method == "POST" and request.path == "/api/v1/template/send"
    assert request.headers["Authorization"] == "Bearer opa-token"
    assert request.json() == {
        "contato": {"canalCliente": "+5511987654321"},
        "template": {"_id": "6500b9df32843f9dada2e6be", "variaveis": ["Maria", LINK]},
        "canal": "64f09e6332843f9dada2d0d6",
    }


def test_opa_success_without_recognisable_id() -> None:
    with HttpStub() as stub:
        stub.enqueue(201, "OK")
        result = _opa(stub).send(_message())
    assert (result.status, result.provider_id, result.http_status) == ("sent", None, 201)


@pytest.mark.parametrize(
    ("status", "needle"),
    [(401, "Token do Opa! Suite"), (403, "Token do Opa! Suite"), (404, "não encontrou"), (400, "HTTP 400")],
)
def test_opa_client_errors_fail(status: int, needle: str) -> None:
    with HttpStub() as stub:
        stub.enqueue(status, {"message": "template inválido"})
        result = _opa(stub).send(_message())
    assert result.status == "failed" and needle in result.error and result.http_status == status


def test_opa_client_error_detail_is_shown() -> None:
    with HttpStub() as stub:
        stub.enqueue(422, {"message": "template inválido"})
        result = _opa(stub).send(_message())
    assert "template inválido" in result.error


@pytest.mark.parametrize("status", [500, 503])
def test_opa_server_error_is_retried(status: int) -> None:
    with HttpStub() as stub:
        stub.enqueue(status, "down", {"Retry-After": "5"})
        result = _opa(stub).send(_message())
    assert (result.status, result.retry_after) == ("retry", 5.0)


def test_opa_timeout_is_retried() -> None:
    with HttpStub() as stub:
        stub.enqueue(200, {}, delay=2.0)
        result = _opa(stub, timeout=(1.0, 0.3)).send(_message())
    assert result.status == "retry"


# --- console, factory --------------------------------------------------------------------


def test_console_prints_and_reports_sent() -> None:
    stream = io.StringIO()
    result = ConsoleProvider(stream).send(_message())
    output = stream.getvalue()
    assert "+5511987654321" in output and "Olá Maria" in output and f"Link: {LINK}" in output
    assert result.status == "sent" and result.provider_id.startswith("console-")
    assert ConsoleProvider(stream).send(_message()).provider_id != result.provider_id


def test_console_defaults_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    ConsoleProvider().send(_message())
    assert LINK in capsys.readouterr().out


def test_factory_builds_each_provider() -> None:
    assert isinstance(provider_from_settings("console", {}), ConsoleProvider)
    meta = provider_from_settings("meta", {"phone_number_id": "42", "access_token": "tok"})
    assert isinstance(meta, MetaCloudProvider) and meta.url == "https://graph.facebook.com/v21.0/42/messages"
    opa = provider_from_settings(
        "opa", {"base_url": "https://isp.opasuite.com.br", "token": "t", "channel_id": "c", "rate_per_second": 2}
    )
    assert isinstance(opa, OpaSuiteProvider) and opa.channel_id == "c"


@pytest.mark.parametrize(
    ("kind", "settings", "missing"),
    [
        ("meta", {"phone_number_id": "42"}, "access_token"),
        ("meta", {"access_token": " "}, "phone_number_id, access_token"),
        ("opa", {"base_url": "https://x.opasuite.com.br", "token": "t"}, "channel_id"),
    ],
)
def test_factory_names_missing_settings(kind: str, settings: dict[str, str], missing: str) -> None:
    with pytest.raises(ValueError, match=f"faltam {missing}"):
        provider_from_settings(kind, settings)


def test_factory_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError, match="desconhecido"):
        provider_from_settings("telegram", {})


# --- rate limiting -----------------------------------------------------------------------


class _FakeTime:
    """A clock whose sleep advances it, to check the bucket's schedule exactly."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_token_bucket_schedule() -> None:
    fake = _FakeTime()
    bucket = TokenBucket(4.0, burst=2, clock=fake.clock, sleep=fake.sleep)
    waits = [bucket.acquire() for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.0, 0.25, 0.25, 0.25])
    fake.now += 10  # idle time refills at most `burst` tokens
    assert [bucket.acquire() for _ in range(3)] == pytest.approx([0.0, 0.0, 0.25])


def test_token_bucket_is_thread_safe() -> None:
    bucket = TokenBucket(50.0)
    stamps: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(5):
            bucket.acquire()
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(stamps) == 20
    # 20 tokens at 50/s with a burst of 1: the last one cannot come before 19/50 s.
    assert max(stamps) - started >= 19 / 50 - 0.01


def test_provider_spaces_requests() -> None:
    with HttpStub() as stub:
        provider = _meta(stub, rate_per_second=20.0)
        for _ in range(5):
            assert provider.send(_message()).status == "sent"
    arrivals = [request.received_at for request in stub.requests]
    assert arrivals[-1] - arrivals[0] >= 4 / 20 - 0.01
