"""One SMTP connection per worker thread or process, reused for a burst of messages and reopened on failure.

A batch of a thousand e-mails costs one TCP (and TLS, and AUTH) handshake per worker instead of one per
message. A connection idle for more than IDLE_SECONDS is closed and reopened at the next send (servers drop
idle clients); one the server dropped meanwhile is noticed when the send fails, and the message goes out
once more on a fresh connection. Changed SMTP settings open a new connection.
"""
from __future__ import annotations

import atexit
import smtplib
import threading
import time

from flask_mail import Connection, Message as MailMessage

SMTP_TIMEOUT = 15
IDLE_SECONDS = 30

_local = threading.local()
# Errors meaning the connection itself is gone (not that this message was refused): retry on a new one.
_BROKEN = (smtplib.SMTPServerDisconnected, ConnectionError, BrokenPipeError, TimeoutError)


class TimedConnection(Connection):
    """Flask-Mail's connection with a socket timeout, so a silent SMTP server cannot hang a worker."""

    def configure_host(self) -> smtplib.SMTP:
        """Connect (SSL or STARTTLS as configured) and log in, with SMTP_TIMEOUT on the socket."""
        m = self.mail
        host = (smtplib.SMTP_SSL if m.use_ssl else smtplib.SMTP)(m.server, m.port, timeout=SMTP_TIMEOUT)
        try:
            if m.use_tls:
                host.starttls()
            if m.username and m.password:
                host.login(m.username, m.password)
        except BaseException:
            host.close()
            raise
        return host

    def __del__(self):
        # A worker thread ended with its connection open: close the socket (no QUIT; nobody waits for it).
        if self.host is not None:
            self.host.close()


def send(state, mail: MailMessage) -> None:
    """Send `mail` on this thread's connection (opened when missing, stale or for other settings); raises SMTP errors."""
    if state.suppress:
        with TimedConnection(state) as connection:  # records the message, opens nothing
            connection.send(mail)
        return
    connection, reused = _connection(state)
    try:
        connection.send(mail)
    except _BROKEN:
        close()
        if not reused:
            raise
        connection, _ = _connection(state)  # the server dropped an idle connection: once more, fresh
        try:
            connection.send(mail)
        except BaseException:
            close()
            raise
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException):
        _local.used = time.monotonic()  # the server answered (and smtplib reset the session): still good
        raise
    except BaseException:
        close()
        raise
    _local.used = time.monotonic()


def close() -> None:
    """Quit and forget this thread's connection (next send opens a new one)."""
    connection = getattr(_local, "connection", None)
    _local.connection = None
    if connection is not None and connection.host is not None:
        try:
            connection.host.quit()
        except (smtplib.SMTPException, OSError):
            connection.host.close()


atexit.register(close)  # the main thread's connection; a worker thread's lives as long as its process


def _settings(state) -> tuple:
    return state.server, state.port, state.use_tls, state.use_ssl, state.username, state.password


def _connection(state) -> tuple[TimedConnection, bool]:
    """This thread's open connection and True, or a new one and False."""
    connection = getattr(_local, "connection", None)
    fresh = connection is not None and time.monotonic() - getattr(_local, "used", 0.0) < IDLE_SECONDS
    if connection is not None and fresh and _local.settings == _settings(state):
        connection.mail = state  # same server; this send's options (max_emails, debug)
        return connection, True
    close()
    connection = TimedConnection(state)
    connection.host = connection.configure_host()
    _local.connection, _local.settings, _local.used = connection, _settings(state), time.monotonic()
    return connection, False
