"""A real loopback HTTP server for tests: records every request and answers from a scripted queue."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from requests.structures import CaseInsensitiveDict


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the stub received it."""

    method: str
    path: str
    headers: CaseInsensitiveDict
    body: bytes
    received_at: float

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)


@dataclass(frozen=True)
class StubResponse:
    """A scripted answer: status, body (dict/list → JSON, str/bytes as is), headers, delay before it."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        """Body bytes and headers, adding a JSON content type for dict/list bodies."""
        headers = dict(self.headers)
        if isinstance(self.body, (dict, list)):
            headers.setdefault("Content-Type", "application/json")
            return json.dumps(self.body).encode("utf-8"), headers
        if isinstance(self.body, str):
            return self.body.encode("utf-8"), headers
        return self.body or b"", headers


class HttpStub:
    """Context manager running a ThreadingHTTPServer on 127.0.0.1 and a free port."""

    def __init__(self, default: StubResponse | None = None) -> None:
        self.default = default or StubResponse(200, {})
        self.requests: list[RecordedRequest] = []
        self._script: deque[StubResponse] = deque()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="http-stub", daemon=True)

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:54321 (no trailing slash)."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def enqueue(
        self, status: int = 200, body: Any = None, headers: dict[str, str] | None = None, delay: float = 0.0
    ) -> None:
        """Queue the next answer; when the queue is empty the default answer is used."""
        with self._lock:
            self._script.append(StubResponse(status, body, headers or {}, delay))

    def __enter__(self) -> HttpStub:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _record_and_answer(self, request: RecordedRequest) -> StubResponse:
        """Store the request and pop the answer for it."""
        with self._lock:
            self.requests.append(request)
            return self._script.popleft() if self._script else self.default

    def _pause(self, seconds: float) -> None:
        """Sleep for a slow answer, waking early when the stub is shutting down."""
        self._closing.wait(seconds)


def _handler_for(stub: HttpStub) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to one stub instance."""

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            recorded = RecordedRequest(
                method=self.command,
                path=self.path,
                headers=CaseInsensitiveDict(self.headers.items()),
                body=body,
                received_at=time.monotonic(),
            )
            answer = stub._record_and_answer(recorded)
            if answer.delay:
                stub._pause(answer.delay)
            payload, headers = answer.encoded()
            try:
                self.send_response(answer.status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (e.g. a timeout test); nothing left to do

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    return Handler
