"""E-mail through Flask-Mail: HTML + plain text in the branch's colours, SMTP errors classified for retries.

The SMTP settings are read from the app config at each send (not frozen at start-up), so settings changed
in the admin or a test's config take effect, and every connection has a timeout. Each worker thread or
process keeps its SMTP connection open for the next message (`smtp_connection`).
"""
from __future__ import annotations

import re
import smtplib
import socket
from dataclasses import dataclass
from email.utils import parseaddr

from flask import current_app, render_template
from flask_mail import Attachment, Mail, Message as MailMessage

from firma.delivery import smtp_connection
from firma.delivery.messages import Message
from firma.models import Branch

_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True)
class EmailResult:
    """"sent" with the Message-ID, "retry" for transient failures, "failed" when the server refused for good."""

    status: str
    error: str | None = None
    message_id: str | None = None


def build(to: str, message: Message, *, branch: Branch,
          attachment: tuple[str, bytes] | None = None) -> MailMessage:
    """The Flask-Mail message: sender named after the branch, text and HTML parts, optional PDF."""
    cfg = current_app.config
    _, address = parseaddr(cfg["MAIL_DEFAULT_SENDER"])
    colour = branch.color if _COLOUR.fullmatch(branch.color or "") else "#0b5cad"
    public_url = cfg["PUBLIC_URL"].rstrip("/")
    logo = f"{public_url}/marca/{branch.id}/logo.png" if branch.logo_png else None
    ctx = {"message": message, "paragraphs": [p for p in message.body.split("\n\n") if p.strip()],
           "branch": branch, "colour": colour, "logo": logo}
    mail = MailMessage(
        subject=message.subject, recipients=[to], sender=(branch.name, address or "nao-responda@firma.local"),
        body=render_template("email/message.txt", **ctx), html=render_template("email/message.html", **ctx),
    )
    if attachment is not None:
        name, data = attachment
        mail.attachments.append(Attachment(filename=name, content_type="application/pdf", data=data))
    return mail


def send(to: str, message: Message, *, branch: Branch, attachment: tuple[str, bytes] | None = None) -> EmailResult:
    """Send one e-mail now; never raises for SMTP or network failures (they come back classified)."""
    return deliver(build(to, message, branch=branch, attachment=attachment))


def deliver(mail) -> EmailResult:
    """Hand a built e-mail to the SMTP server (the worker's reused connection); failures come back classified."""
    state = Mail().init_mail(current_app.config, current_app.debug, current_app.testing)
    try:
        smtp_connection.send(state, mail)
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        return _refused(code, text)
    except smtplib.SMTPAuthenticationError:
        return EmailResult("retry", "O servidor de e-mail recusou o usuário/senha (SMTP): confira as configurações.")
    except smtplib.SMTPResponseException as exc:
        return _refused(exc.smtp_code, exc.smtp_error)
    except (smtplib.SMTPException, OSError, socket.timeout) as exc:
        return EmailResult("retry", f"Servidor de e-mail indisponível: {type(exc).__name__}: {exc}"[:500])
    return EmailResult("sent", message_id=mail.msgId)


def _refused(code: int, text: bytes | str) -> EmailResult:
    detail = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    status = "retry" if 400 <= code < 500 else "failed"
    verb = "adiou" if status == "retry" else "recusou"
    return EmailResult(status, f"O servidor de e-mail {verb} a mensagem ({code}): {detail}"[:500])
