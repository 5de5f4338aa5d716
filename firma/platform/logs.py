"""Structured logs: one JSON line per request and per job, tied together by a request id, never a CPF or token.

The request id comes from a sane `X-Request-Id` header or is generated, goes back in the response header,
travels with every job the request enqueues (`jobs.enqueue`) and on outbound calls (`outbound.post_json`).
Paths are logged with link tokens and CPF/CNPJ values replaced by their route names; any message still
holding something shaped like a CPF/CNPJ or a link path is scrubbed by the formatter, a last safety net.
`configure()` installs the JSON handler (gunicorn's wsgi.py and `firma worker`); tests and `flask run`
keep Python's default handling.
"""
from __future__ import annotations

import contextvars
import json
import logging
import re
import secrets
import sys
import time
from datetime import datetime, timezone

from flask import Flask, Response, g, request

REQUEST_LOG = logging.getLogger("firma.request")
JOB_LOG = logging.getLogger("firma.job")
HEADER = "X-Request-Id"

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("firma_request_id", default=None)
_fields: contextvars.ContextVar[dict | None] = contextvars.ContextVar("firma_log_fields", default=None)

_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# Route arguments whose values are secrets or personal data: logged as <name>, never as sent.
SECRET_ARGS = frozenset({"token", "cpf_cnpj", "cpf"})
_LINK_PATH = re.compile(r"/(s|embed)/[^/\s?\"']+")
_CUSTOMER_PATH = re.compile(r"/customers/[^/\s?\"']+")
_CPF_CNPJ = re.compile(r"(?<![\w.])(\d{3}\.?\d{3}\.?\d{3}-?\d{2}|[\dA-Z]{2}\.?[\dA-Z]{3}\.?[\dA-Z]{3}/?[\dA-Z]{4}-?\d{2})"
                       r"(?![\w])")
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def new_request_id() -> str:
    """A fresh request id (16 hex characters)."""
    return secrets.token_hex(8)


def accept_request_id(sent: str | None) -> str:
    """The caller's id when it is short and plain (letters, digits, `._:-`), a new one otherwise."""
    sent = (sent or "").strip()
    return sent if _SANE_ID.fullmatch(sent) else new_request_id()


def request_id() -> str | None:
    """The id of the request or job being handled now (None outside both)."""
    return _request_id.get()


def bind(rid: str | None) -> tuple:
    """Make `rid` (or a new id) current with no noted fields; a job binds the id its request enqueued."""
    return _request_id.set(rid or new_request_id()), _fields.set({})


def reset(tokens: tuple) -> None:
    """Restore the request id and fields that bind() replaced."""
    for var, token in zip((_request_id, _fields), tokens):
        try:
            var.reset(token)
        except ValueError:  # bound in another context (a thread handed over): nothing to restore here
            pass


def note(**fields) -> None:
    """Add known context (organization, integration, envelope...) to the current request's or job's line."""
    current = _fields.get()
    if current is not None:
        current.update({k: v for k, v in fields.items() if v is not None})


def noted() -> dict:
    """What note() collected for the current request or job."""
    return dict(_fields.get() or {})


def scrub(text: str) -> str:
    """Text with link tokens and CPF/CNPJ-shaped values cut out."""
    text = _LINK_PATH.sub(r"/\1/<token>", text)
    text = _CUSTOMER_PATH.sub("/customers/<cpf_cnpj>", text)
    return _CPF_CNPJ.sub("<cpf_cnpj>", text)


def safe_path(path: str, view_args: dict | None = None) -> str:
    """The path without query string, with secret route arguments replaced by `<name>` and the rest scrubbed."""
    for name, value in (view_args or {}).items():
        if name in SECRET_ARGS and value:
            path = path.replace(str(value), f"<{name}>")
    return scrub(path)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, pid, message, request id and any `extra=` fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one scrubbed JSON line."""
        entry = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                 "level": record.levelname.lower(), "logger": record.name, "pid": record.process,
                 "message": record.getMessage()}
        rid = getattr(record, "request_id", None) or _request_id.get()
        if rid:
            entry["request_id"] = rid
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD and k != "request_id"})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return scrub(json.dumps(entry, ensure_ascii=False, default=str))


def configure(level: int = logging.INFO, stream=None) -> logging.Handler:
    """Send every log record to stderr (or `stream`) as JSON lines; returns the installed handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h.formatter, JsonFormatter)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # a dozen "Step n" lines per document
    return handler


def init_app(app: Flask) -> None:
    """Give every request an id (echoed in `X-Request-Id`) and log one line when it is answered."""
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_end)


def _start() -> None:
    g.log_started = time.perf_counter()
    g.log_reset = bind(accept_request_id(request.headers.get(HEADER)))


def _end(_exc: BaseException | None) -> None:
    tokens = g.pop("log_reset", None)
    if tokens is not None:
        reset(tokens)


def _finish(response: Response) -> Response:
    started = g.pop("log_started", None)
    if started is None:
        return response
    response.headers[HEADER] = request_id()
    if not REQUEST_LOG.isEnabledFor(logging.INFO):  # nobody would read the line (tests, `flask run`)
        return response
    req = request._get_current_object()  # one context lookup, not one per field
    args = req.view_args or {}
    line = {"method": req.method, "path": safe_path(req.path, args),
            "endpoint": req.url_rule.endpoint if req.url_rule else None, "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1)}
    user, integration = g.get("user"), g.get("integration")
    if user is not None:
        line["staff_user"] = user.id
    if integration is not None:
        line["integration"] = integration.id
    if "code" in args and req.blueprint == "api":
        line["envelope"] = args["code"]
    if "envelope_id" in args:
        line["envelope_id"] = args["envelope_id"]
    line.update(noted())
    REQUEST_LOG.info("%s %s %s", line["method"], line["path"], line["status"], extra=line)
    return response
