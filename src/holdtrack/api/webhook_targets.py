"""Where a webhook may be sent: vetted at registration and again at every delivery (DNS can change).

An endpoint is registered by an outside party, and the worker that posts to it sits inside the deployment, next
to the database, the cache and possibly a cloud metadata service. So the URL must name a public address:

- ``https`` only (``http`` only with ``DEBUG`` or ``HOLDTRACK_WEBHOOKS_ALLOW_HTTP``, for tests and the demo);
- no user info in the URL; a port, if given, between 1 and 65535;
- the host is resolved with ``socket.getaddrinfo`` (so decimal, hex, octal and short IPv4 spellings such as
  ``0x7f000001`` or ``127.1`` resolve to what the OS would connect to), and *every* address it resolves to must be
  global: loopback, private, shared (CGNAT), link-local, multicast, unspecified, reserved and documentation
  ranges are refused, IPv4-mapped IPv6 by the IPv4 address it carries, and the cloud metadata addresses always;
- ``HOLDTRACK_WEBHOOKS_ALLOW_PRIVATE`` (default off) lets loopback and private addresses through, for the test
  suite's local receiver; metadata, multicast and unspecified addresses stay refused even then.

The delivery connects to the address vetted a moment before (not to the name again, which could be re-pointed
between check and connect — DNS rebinding), sending the name as ``Host`` and, for TLS, as SNI and for the
certificate check. Redirects are never followed (``http.client`` does not), and the answer's body is not read.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Instance metadata services (AWS/GCP/Azure/OpenStack, AWS IPv6, Alibaba, Oracle): never a webhook target.
METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "192.0.0.192")
)


class TargetRefused(Exception):
    """The URL may not be used as a webhook target; ``reason`` is a sentence for the client and the log."""

    def __init__(self, reason: str, kind: str = "refused") -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written in the URL (the Host header, SNI and certificate name)
    port: int
    path: str  # path and query
    address: str  # the vetted IP to connect to


def _allow_http() -> bool:
    return bool(settings.DEBUG or getattr(settings, "HOLDTRACK_WEBHOOKS_ALLOW_HTTP", False))


def _allow_private() -> bool:
    return bool(getattr(settings, "HOLDTRACK_WEBHOOKS_ALLOW_PRIVATE", False))


def address_problem(ip: IPAddress) -> str | None:
    """Why ``ip`` is not a permitted target, or ``None`` when it is."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return address_problem(ip.ipv4_mapped)
    if ip in METADATA:
        return "a cloud metadata address"
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_loopback:
        return None if _allow_private() else "a loopback address"
    if ip.is_private or not ip.is_global:
        # is_private covers RFC 1918, ULA and the reserved/documentation ranges; not is_global adds shared space
        # (100.64.0.0/10) and the rest of what the internet does not route.
        return None if _allow_private() else "a private or reserved address"
    return None


def _getaddrinfo(host: str, port: int) -> list[Any]:
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


def vet(url: str) -> Target:
    """The URL's target with its vetted address; raises :class:`TargetRefused` with the reason."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetRefused("The URL is not valid (check the host and port).", "invalid") from None
    scheme = parts.scheme.lower()
    if scheme != "https" and not (scheme == "http" and _allow_http()):
        raise TargetRefused("The URL must use https.", "scheme")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("The URL must not carry a user name or password.", "invalid")
    host = parts.hostname or ""
    if not host:
        raise TargetRefused("The URL has no host.", "invalid")
    port = port or (443 if scheme == "https" else 80)
    if not 0 < port < 65536:
        raise TargetRefused("The port must be between 1 and 65535.", "invalid")
    try:
        infos = _getaddrinfo(host, port)
    except (OSError, UnicodeError, ValueError):
        raise TargetRefused(f"The host {host!r} does not resolve.", "dns") from None
    addresses: list[str] = []
    for info in infos:
        raw = str(info[4][0]).split("%", 1)[0]  # an IPv6 zone id is no part of the address
        ip = ipaddress.ip_address(raw)
        why = address_problem(ip)
        if why is not None:
            # The reason names the kind of address only, not the address: resolution inside is not echoed.
            raise TargetRefused(f"The host {host!r} resolves to {why}; webhooks go to public addresses only.")
        addresses.append(raw)
    if not addresses:
        raise TargetRefused(f"The host {host!r} does not resolve.", "dns")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme=scheme, host=host, port=port, path=path, address=addresses[0])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # SNI and the certificate check use the name from the URL, the socket the vetted address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(target: Target, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST ``body`` to the vetted address; the status code (the answer's body is never read)."""
    conn_cls = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    conn = conn_cls(target, timeout)
    try:
        conn.request("POST", target.path, body=body, headers=headers)
        return int(conn.getresponse().status)
    finally:
        conn.close()
