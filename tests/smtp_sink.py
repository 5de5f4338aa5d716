"""A real SMTP server (aiosmtpd) on loopback that keeps every message it accepts, for e-mail tests."""
from __future__ import annotations

import email
import email.policy
import socket
from dataclasses import dataclass, field
from email.message import EmailMessage
from functools import cached_property

from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes = field(repr=False)

    @cached_property
    def message(self) -> EmailMessage:
        """The message parsed when a test first reads it (the server answers without parsing, as a relay does)."""
        return email.message_from_bytes(self.raw, policy=email.policy.default)

    def part(self, content_type: str) -> str:
        return next(p for p in self.message.walk() if p.get_content_type() == content_type).get_content()

    def attachments(self) -> list[tuple[str, bytes]]:
        return [(p.get_filename(), p.get_payload(decode=True)) for p in self.message.walk()
                if p.get_content_disposition() == "attachment"]


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.sink.connections.append(session.peer)  # once per connection (smtplib greets once)
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.sink.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        self.sink.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), raw))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpSink:
    """Context manager: an SMTP server on 127.0.0.1; `refuse` lists recipients answered with 550;
    `connections` lists the client address of each SMTP session."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.messages: list[Received] = []
        self.refuse: set[str] = set()
        self.connections: list[tuple] = []  # the client address of every SMTP session greeted with EHLO
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._controller.stop()
