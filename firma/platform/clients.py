"""Who is calling: the real client address behind trusted reverse proxies, and the client's source port.

`FIRMA_TRUSTED_PROXIES` is the number of proxy hops in front of the app (0: clients connect directly). With
hops, werkzeug's ProxyFix takes the address, scheme, host and port from X-Forwarded-For/-Proto/-Host/-Port,
and the client's source port comes from the header the outermost proxy sets from its `$remote_port`
(`FIRMA_CLIENT_PORT_HEADER`, default X-Real-Port). Directly, the port is the connection's REMOTE_PORT.
"""
from __future__ import annotations

from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app: Flask) -> None:
    """Trust exactly the configured number of proxy hops (none by default)."""
    hops = int(app.config["TRUSTED_PROXIES"] or 0)
    if hops < 0:
        raise ValueError("FIRMA_TRUSTED_PROXIES must be 0 or a positive number of proxy hops")
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)


def source_port() -> int | None:
    """The current request's client source port, or None when unknown or malformed."""
    if int(current_app.config["TRUSTED_PROXIES"] or 0):
        raw = request.headers.get(current_app.config["CLIENT_PORT_HEADER"], "")
        raw = raw.split(",")[0]  # a repeated header: the outermost proxy's value comes first
    else:
        raw = request.environ.get("REMOTE_PORT", "")
    return parse_port(raw)


def parse_port(raw: object) -> int | None:
    """A TCP port 1..65535 from text, or None."""
    text = str(raw or "").strip()
    if not text.isdigit() or len(text) > 5:
        return None
    port = int(text)
    return port if 0 < port < 65536 else None
