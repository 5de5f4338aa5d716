"""One place that turns a delivery's stored error text into a sentence staff understand (technical detail kept)."""
import re
from dataclasses import dataclass

from firma.models.vocabulary import Channel

# (pattern in the technical text, friendly pt-BR sentence; "{server}" is the channel's server name)
_RULES: tuple[tuple[re.Pattern, str], ...] = tuple((re.compile(p, re.I), s) for p, s in (
    (r"ConnectionRefused|Errno 111|Connection refused|recusou a conexão", "{server} recusou a conexão."),
    (r"timed? ?out|TimeoutError|socket\.timeout|tempo esgotado", "{server} não respondeu a tempo."),
    (r"gaierror|Name or service not known|getaddrinfo|nodename nor servname|Temporary failure in name resolution",
     "O endereço {of_server} não foi encontrado (DNS)."),
    (r"SSL|certificate verify|CERTIFICATE", "Falha na conexão segura (TLS) com {server_lower}."),
    (r"usuário/senha|SMTPAuthentication|Authentication", "{server} recusou o usuário/senha: confira as configurações."),
    (r"Network is unreachable|No route to host|Errno 101|Errno 113", "Sem rota de rede até {server_lower}."),
    (r"Connection reset|Errno 104|RemoteDisconnected|BrokenPipe", "{server} encerrou a conexão no meio do envio."),
))
_SERVERS = {Channel.EMAIL: "O servidor de e-mail", Channel.WHATSAPP: "O provedor de WhatsApp",
            Channel.WEBHOOK: "O servidor do ERP (webhook)"}


@dataclass(frozen=True)
class Failure:
    """A friendly sentence for people and the untouched technical text behind it (None when they are the same)."""

    message: str
    detail: str | None


def explain(error: str | None, channel: str | None = None) -> Failure | None:
    """The friendly reading of a delivery's `last_error` for `channel`; None when there is no error."""
    if not error or not error.strip():
        return None
    server = _SERVERS.get(channel, "O servidor de destino")
    names = {"server": server, "server_lower": server[0].lower() + server[1:],
             "of_server": "d" + server[0].lower() + server[1:]}
    for pattern, sentence in _RULES:
        if pattern.search(error):
            return Failure(sentence.format(**names), error)
    if _looks_technical(error):
        return Failure(f"{server} devolveu um erro técnico.", error)
    return Failure(error, None)  # our own pt-BR sentences are already written for people


def _looks_technical(error: str) -> bool:
    """Python exception names, errno codes and tracebacks are not for people."""
    return bool(re.search(r"\b[A-Z][A-Za-z]+(Error|Exception)\b|\[Errno \d+\]|Traceback", error))
