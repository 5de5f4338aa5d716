"""WhatsApp delivery of signing links through provider adapters (Meta Cloud API, Opa! Suite, console).

Each provider turns a `WhatsAppMessage` into one HTTP call and answers a `SendResult` whose
status is "sent", "failed" (do not retry; `error` says why, in pt-BR for staff) or "retry"
(a transient failure; the caller's job queue decides when). Providers never retry themselves.

Meta WhatsApp Cloud API, checked against Meta's developer documentation and the public SDK
types (whatsapp.github.io/WhatsApp-Nodejs-SDK TemplateObject, whatsapp-api-js
ServerSentMessageResponse): POST {base}/{phone_number_id}/messages with a Bearer token and
{"messaging_product": "whatsapp", "to": digits, "type": "template", "template": {"name",
"language": {"code"}, "components": [{"type": "body", "parameters": [{"type": "text",
"text"}]}]}}; success answers {"messages": [{"id": "wamid..."}]}; errors answer
{"error": {"message", "type", "code", "error_data": {"details"}, "fbtrace_id"}}
(developers.facebook.com .../whatsapp/support/error-codes).

Opa! Suite: no official public reference was reachable from here. What was confirmed comes
from third-party integration code (github.com/infogenunoesc/SendGen,
SendGen.Repository/OpaSuiteRepositories/TemplateRepository.cs, and
lucasarakaki/api-opasuite, which points to https://api.opasuite.com.br for the docs):
POST {instance}/api/v1/template/send with "Authorization: Bearer <token>" and JSON
{"contato": {"canalCliente": "+5511..."}, "template": {"_id": "<Opa template id>",
"variaveis": ["..."]}, "canal": "<channel id>"}. The success body was not documented there,
so the message id is read leniently (`data._id`, `data.id`, `_id`, `id`). For Opa,
`WhatsAppMessage.template` carries the Opa template's `_id`. `build_opa_request` is the one
place to correct if the real API differs.
"""
from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TextIO

from firma.br.phones import validate_e164
from firma.platform.outbound import DEFAULT_TIMEOUT, HttpOutcome, post_json, validate_url

SendStatus = Literal["sent", "failed", "retry"]
Timeout = tuple[float, float]

META_BASE_URL = "https://graph.facebook.com/v21.0"
# Meta's default Cloud API throughput is 80 messages/second per business phone number.
META_DEFAULT_RATE = 80.0
# Opa! Suite publishes no throughput limit for its instances; stay gentle unless configured otherwise.
OPA_DEFAULT_RATE = 5.0
ERROR_DETAIL_CHARS = 200


@dataclass(frozen=True, kw_only=True)
class WhatsAppMessage:
    """One signing-link message: recipient, approved template with its body variables, and plain text."""

    to: str
    template: str
    parameters: Sequence[str] = ()
    text: str
    link_url: str
    language: str = "pt_BR"

    def __post_init__(self) -> None:
        validate_e164(self.to)
        object.__setattr__(self, "parameters", tuple(self.parameters))


@dataclass(frozen=True)
class SendResult:
    """Outcome of one send: "sent" with the provider's id, "failed" (final) or "retry" (transient)."""

    status: SendStatus
    provider_id: str | None = None
    error: str | None = None
    retry_after: float | None = None
    http_status: int | None = None


class WhatsAppProvider(Protocol):
    """What every WhatsApp adapter offers to the delivery code."""

    name: str

    def send(self, message: WhatsAppMessage) -> SendResult:
        """Send one message and classify the result; never raises for provider or network errors."""
        ...


class TokenBucket:
    """Thread-safe token bucket: `acquire()` blocks so callers never exceed `rate` per second."""

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, sleeping (outside the lock) until it is due; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            # Going negative reserves a future token, so concurrent callers queue up fairly.
            self._tokens -= 1
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)
        return wait


class MetaCloudProvider:
    """Template messages through Meta's WhatsApp Cloud API."""

    name = "meta"

    def __init__(
        self,
        phone_number_id: str,
        access_token: str,
        base_url: str = META_BASE_URL,
        *,
        rate_per_second: float = META_DEFAULT_RATE,
        timeout: Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        self.url = f"{validate_url(base_url).rstrip('/')}/{phone_number_id}/messages"
        self._access_token = access_token
        self._limiter = TokenBucket(rate_per_second)
        self._timeout = timeout

    def send(self, message: WhatsAppMessage) -> SendResult:
        """POST one template message and map Meta's answer to a SendResult."""
        self._limiter.acquire()
        outcome = post_json(
            self.url,
            json.dumps(build_meta_body(message)).encode("utf-8"),
            {"Authorization": f"Bearer {self._access_token}"},
            timeout=self._timeout,
        )
        return meta_result(outcome)


def build_meta_body(message: WhatsAppMessage) -> dict[str, Any]:
    """Cloud API template message: `to` without '+', body parameters as text components."""
    template: dict[str, Any] = {"name": message.template, "language": {"code": message.language}}
    if message.parameters:
        template["components"] = [
            {"type": "body", "parameters": [{"type": "text", "text": p} for p in message.parameters]}
        ]
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": message.to.lstrip("+"),
        "type": "template",
        "template": template,
    }


_META_RATE_LIMIT_CODES = frozenset({4, 80007, 130429, 131048, 131056})
_META_FINAL_ERRORS = {
    131047: "Mais de 24 horas desde a última mensagem do cliente: só um modelo aprovado pode ser enviado.",
    131026: "Mensagem não entregável: o número pode não ter WhatsApp ou o aplicativo está desatualizado.",
    132000: "A quantidade de variáveis não confere com o modelo aprovado no WhatsApp.",
    132001: "Modelo de mensagem inexistente ou não aprovado neste idioma.",
    190: "Token de acesso do WhatsApp expirado ou inválido: atualize a integração.",
}


def meta_result(outcome: HttpOutcome) -> SendResult:
    """Classify a Cloud API answer: id on success, Meta error codes to pt-BR, transient to retry."""
    if outcome.status is None:
        return SendResult("retry", error=outcome.error)
    payload = outcome.body_json if isinstance(outcome.body_json, dict) else {}
    if outcome.ok:
        messages = payload.get("messages")
        first = messages[0] if isinstance(messages, list) and messages else {}
        provider_id = first.get("id") if isinstance(first, dict) else None
        return SendResult("sent", provider_id=provider_id, http_status=outcome.status)
    error = payload.get("error") if isinstance(payload.get("error"), dict) else {}
    code = error.get("code")
    if code in _META_RATE_LIMIT_CODES:
        return SendResult(
            "retry",
            error="Limite de envio do WhatsApp atingido; nova tentativa em breve.",
            retry_after=outcome.retry_after,
            http_status=outcome.status,
        )
    if code in _META_FINAL_ERRORS:
        return SendResult("failed", error=_META_FINAL_ERRORS[code], http_status=outcome.status)
    if outcome.retryable:
        return _temporary(outcome, "WhatsApp")
    detail = _detail(error.get("message")) or _detail(outcome.body_excerpt) or _detail(outcome.error)
    label = f"código {code}" if code is not None else f"HTTP {outcome.status}"
    return SendResult("failed", error=f"O WhatsApp recusou o envio ({label}): {detail}", http_status=outcome.status)


class OpaSuiteProvider:
    """Template messages through an ISP's Opa! Suite instance (see the module docstring)."""

    name = "opa"

    def __init__(
        self,
        base_url: str,
        token: str,
        channel_id: str,
        *,
        rate_per_second: float = OPA_DEFAULT_RATE,
        timeout: Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        self.base_url = validate_url(base_url)
        self._token = token
        self.channel_id = channel_id
        self._limiter = TokenBucket(rate_per_second)
        self._timeout = timeout

    def send(self, message: WhatsAppMessage) -> SendResult:
        """POST one template send to Opa! Suite and map the answer to a SendResult."""
        self._limiter.acquire()
        url, headers, body = build_opa_request(self.base_url, self._token, self.channel_id, message)
        outcome = post_json(url, json.dumps(body).encode("utf-8"), headers, timeout=self._timeout)
        return opa_result(outcome)


def build_opa_request(
    base_url: str, token: str, channel_id: str, message: WhatsAppMessage
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """URL, headers and JSON body of Opa! Suite's template send, as confirmed in the module docstring."""
    url = f"{base_url.rstrip('/')}/api/v1/template/send"
    body = {
        "contato": {"canalCliente": message.to},
        "template": {"_id": message.template, "variaveis": list(message.parameters)},
        "canal": channel_id,
    }
    return url, {"Authorization": f"Bearer {token}"}, body


def _temporary(outcome: HttpOutcome, provider: str) -> SendResult:
    """A transient provider error (5xx, 429, timeout): retry after the delay the provider asked for."""
    return SendResult("retry", error=f"Erro temporário no {provider} (HTTP {outcome.status}).",
                      retry_after=outcome.retry_after, http_status=outcome.status)


def opa_result(outcome: HttpOutcome) -> SendResult:
    """Classify an Opa! Suite answer: 2xx sent, auth/not-found/other 4xx failed, transient retry."""
    if outcome.status is None:
        return SendResult("retry", error=outcome.error)
    if outcome.ok:
        return SendResult("sent", provider_id=_opa_message_id(outcome.body_json), http_status=outcome.status)
    if outcome.retryable:
        return _temporary(outcome, "Opa! Suite")
    if outcome.status in (401, 403):
        error = "Token do Opa! Suite inválido ou sem permissão: atualize a integração."
    elif outcome.status == 404:
        error = "Opa! Suite não encontrou o endereço ou o modelo: confira a URL e o id do modelo."
    else:
        detail = _opa_error_text(outcome.body_json) or _detail(outcome.body_excerpt) or _detail(outcome.error)
        error = f"O Opa! Suite recusou o envio (HTTP {outcome.status}): {detail}"
    return SendResult("failed", error=error, http_status=outcome.status)


def _opa_message_id(payload: Any) -> str | None:
    """The created record's id from Opa's answer, wherever the instance puts it."""
    for candidate in (payload.get("data") if isinstance(payload, dict) else None, payload):
        if isinstance(candidate, dict):
            for key in ("_id", "id"):
                if isinstance(candidate.get(key), (str, int)):
                    return str(candidate[key])
    return None


def _opa_error_text(payload: Any) -> str:
    """The error text of an Opa JSON answer (its error shape is unconfirmed, so several keys are tried)."""
    if isinstance(payload, dict):
        for key in ("message", "mensagem", "error", "erro"):
            if isinstance(payload.get(key), str):
                return _detail(payload[key])
    return ""


class ConsoleProvider:
    """Development adapter: prints the message instead of sending it."""

    name = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        # Resolved at send time when None, so redirected/captured stdout is honoured.
        self._stream = stream

    def send(self, message: WhatsAppMessage) -> SendResult:
        """Write recipient, text and link to the stream and report it sent."""
        stream = self._stream or sys.stdout
        stream.write(
            f"[WhatsApp console] para {message.to} (modelo {message.template})\n"
            f"{message.text}\nLink: {message.link_url}\n"
        )
        stream.flush()
        return SendResult("sent", provider_id=f"console-{uuid.uuid4()}")


def provider_from_settings(kind: str, settings: Mapping[str, Any]) -> WhatsAppProvider:
    """Build the configured provider ("console", "meta", "opa"); ValueError names what is missing."""
    if kind == "console":
        return ConsoleProvider()
    if kind == "meta":
        _require(settings, "meta", ("phone_number_id", "access_token"))
        return MetaCloudProvider(
            str(settings["phone_number_id"]),
            str(settings["access_token"]),
            str(settings.get("base_url") or META_BASE_URL),
            rate_per_second=float(settings.get("rate_per_second") or META_DEFAULT_RATE),
        )
    if kind == "opa":
        _require(settings, "opa", ("base_url", "token", "channel_id"))
        return OpaSuiteProvider(
            str(settings["base_url"]),
            str(settings["token"]),
            str(settings["channel_id"]),
            rate_per_second=float(settings.get("rate_per_second") or OPA_DEFAULT_RATE),
        )
    raise ValueError(f"Provedor de WhatsApp desconhecido: {kind!r} (use console, meta ou opa).")


def _require(settings: Mapping[str, Any], kind: str, keys: Sequence[str]) -> None:
    """Raise ValueError listing every required setting that is absent or blank."""
    missing = [key for key in keys if not str(settings.get(key) or "").strip()]
    if missing:
        raise ValueError(f"Configuração do WhatsApp ({kind}) incompleta: faltam {', '.join(missing)}.")


def _detail(text: Any) -> str:
    """Short single-line excerpt of a provider's error text for the staff-facing message."""
    if not isinstance(text, str):
        return ""
    return " ".join(text.split())[:ERROR_DETAIL_CHARS]
