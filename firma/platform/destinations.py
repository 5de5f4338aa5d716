"""Where Firma may send a request: public addresses only, judged on the resolved IPs (the SSRF guard).

Checked when a URL is saved and again when each connection opens, on the address the socket then uses, so a
name that re-resolves to an internal address between the two (DNS rebinding) is still refused.
"""
from __future__ import annotations

import ipaddress
import socket

from flask import current_app, has_app_context

from firma.platform.errors import Refusal

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
CGNAT = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeUrl(Refusal):
    """Raised for URLs Firma refuses to call (bad scheme or host, or an internal address)."""


def loopback_allowed() -> bool:
    """Only an explicit setting (tests, a local demo) lets Firma call 127.0.0.1/::1."""
    return has_app_context() and bool(current_app.config.get("OUTBOUND_ALLOW_LOOPBACK"))


def embedded_ipv4(ip: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, NAT64), or the address itself."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return ip.ipv4_mapped
        if ip.sixtofour:
            return ip.sixtofour
        if ip in NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def why_internal(ip: IPAddress, *, allow_loopback: bool = False) -> str | None:
    """The pt-BR reason an address must not be called, or None for a public one."""
    ip = embedded_ipv4(ip)
    if ip.is_loopback:
        return None if allow_loopback else "local (loopback)"
    for test, reason in ((ip.is_unspecified, "não especificado"), (ip.is_multicast, "multicast"),
                         (ip.is_link_local, "link-local"), (ip in CGNAT, "CGNAT (100.64.0.0/10)"),
                         (ip.is_private, "de rede privada"), (ip.is_reserved, "reservado")):
        if test:
            return reason
    return None if ip.is_global else "não público"


def literal(host: str) -> IPAddress | None:
    """The IP a host names literally; a short, decimal, octal or hex IPv4 form (127.1, 2130706433) is refused."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    try:
        socket.inet_aton(host)
    except OSError:
        return None
    raise UnsafeUrl(f"O endereço “{host}” não está na forma a.b.c.d; informe o nome do servidor.")


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the host stands for (raises socket.gaierror when it does not resolve)."""
    ip = literal(host)
    if ip is not None:
        return [ip]
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in found]


def checked(addresses: list[IPAddress], host: str) -> IPAddress:
    """The first address if all of them are public; a host with any internal address is refused."""
    allow = loopback_allowed()
    for ip in addresses:
        reason = why_internal(ip, allow_loopback=allow)
        if reason:
            raise UnsafeUrl(f"O servidor “{host}” aponta para um endereço {reason}; o Firma só chama "
                            "endereços públicos da internet.")
    return addresses[0]


def public_address(host: str, port: int) -> str:
    """Resolve once and return the checked IP the connection must use (raises socket.gaierror or UnsafeUrl)."""
    return str(checked(resolve(host, port), host))


def check_saved_host(host: str, port: int) -> None:
    """Save-time check: a host that resolves must resolve to public addresses only.

    A name that does not resolve yet is accepted (the ERP may publish it later); every connection is checked anyway.
    """
    try:
        addresses = resolve(host, port)
    except (socket.gaierror, UnicodeError):
        return
    checked(addresses, host)
