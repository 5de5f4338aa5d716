"""A requests adapter whose connections resolve the host once, check it and connect to that very address.

TLS still verifies the certificate and sends SNI for the host name, and the Host header is unchanged: only the
socket's target is pinned, so there is no window between the check and the connect (DNS rebinding).
"""
from __future__ import annotations

import socket

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection

from firma.platform import destinations


class _Pinned:
    """Mixin replacing urllib3's socket creation with one to the checked public address."""

    def _new_conn(self) -> socket.socket:
        try:
            address = destinations.public_address(self.host, self.port)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        try:
            return connection.create_connection((address, self.port), self.timeout,
                                                source_address=self.source_address,
                                                socket_options=self.socket_options)
        except TimeoutError as exc:
            raise ConnectTimeoutError(self, f"Connection to {self.host} timed out.") from exc
        except OSError as exc:
            raise NewConnectionError(self, f"Failed to establish a new connection: {exc}") from exc


class PinnedHTTPConnection(_Pinned, HTTPConnection):
    """Plain HTTP connection to the checked address."""


class PinnedHTTPSConnection(_Pinned, HTTPSConnection):
    """HTTPS connection to the checked address, certificate and SNI still for the host name."""


class PinnedHTTPPool(HTTPConnectionPool):
    """Pool of pinned HTTP connections."""

    ConnectionCls = PinnedHTTPConnection


class PinnedHTTPSPool(HTTPSConnectionPool):
    """Pool of pinned HTTPS connections."""

    ConnectionCls = PinnedHTTPSConnection


class PinnedAdapter(HTTPAdapter):
    """Mount on a Session for http:// and https:// so every connection goes through the SSRF guard."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        """Build the pool manager, then swap in the pinned pool classes."""
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": PinnedHTTPPool, "https": PinnedHTTPSPool}
