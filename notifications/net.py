"""The HTTP client of outbound webhooks: it cannot be pointed at the inside of our network (SSRF).

An address is checked twice. When a URL is saved, every address its host resolves to must be public. When a
request is sent, the network backend resolves the host itself, refuses any private address and connects to
the very address it checked, so a DNS answer that changes between the two checks (DNS rebinding) gains
nothing. Redirects are never followed and proxies from the environment are ignored (a proxy would connect on
our behalf, unchecked). TLS still verifies the certificate against the URL's host name.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from urllib.parse import urlsplit

import httpcore
import httpx
from django.utils.translation import gettext as _

USER_AGENT = "DotMac-Omni-Webhooks/1.0"


class UnsafeURL(ValueError):
    """A URL refused when saved: not http(s), no host, unresolvable, or resolving to a non-public address."""


class UnsafeAddress(Exception):
    """Raised while connecting: the host resolved to an address webhooks may not reach."""


def ip_is_public(address: str) -> bool:
    """True for a globally routable unicast address. Loopback, private (RFC 1918, ULA), link-local (cloud
    metadata at 169.254.169.254), shared (CGNAT), multicast, reserved, documentation and unspecified
    addresses are not; nor is an IPv6 address that embeds one of those (IPv4-mapped, 6to4, Teredo, NAT64)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone (fe80::1%eth0)
    except ValueError:
        return False
    if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_link_local or ip.is_loopback:
        return False
    if ip.version == 6:
        embedded = [ip.ipv4_mapped, ip.sixtofour, ip.teredo[1] if ip.teredo else None]
        if ip in ipaddress.ip_network("64:ff9b::/96"):  # NAT64: the last 32 bits are the IPv4 address
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        return all(ip_is_public(str(inner)) for inner in embedded if inner is not None)
    return True


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (an IP literal resolves to itself). OSError when it does not resolve."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def url_check(url: str, *, allow_private: bool) -> None:
    """Refuse (UnsafeURL, with a readable reason) a webhook URL that is not http(s) or whose host resolves to
    any non-public address. With `allow_private` only the scheme and host are checked."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(_("This is not a valid URL: %(reason)s.") % {"reason": exc}) from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeURL(_("Use an http or https URL."))
    host = parts.hostname
    if not host:
        raise UnsafeURL(_("The URL has no host."))
    if allow_private:
        return
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError):  # UnicodeError: a label IDNA cannot encode (too long, empty)
        raise UnsafeURL(_("%(host)s does not resolve to an address.") % {"host": host}) from None
    for address in addresses:
        if not ip_is_public(address):
            if address == host:
                message = _("%(address)s is not a public address: webhooks go to public addresses only.")
            else:
                message = _(
                    "%(host)s resolves to %(address)s, which is not a public address: webhooks go to public "
                    "addresses only."
                )
            raise UnsafeURL(message % {"host": host, "address": address})


class PublicOnlyBackend(httpcore.SyncBackend):
    """httpcore's socket backend, except that it resolves the host, refuses the connection when any address is
    not public, and connects to the checked address itself (no second lookup)."""

    def __init__(self, *, allow_private: bool):
        self.allow_private = allow_private

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        if self.allow_private:
            return super().connect_tcp(host, port, timeout, local_address, socket_options)
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"{host} does not resolve: {exc}") from exc
        refused = [address for address in addresses if not ip_is_public(address)]
        if refused:
            # All or nothing: a name answering with one public and one private address is a rebinding trick.
            where = host if refused[0] == host else f"{host} resolves to {refused[0]}, which"
            raise UnsafeAddress(f"{where} is not a public address")
        error: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:  # try the next address (IPv4/IPv6)
                error = exc
        raise error or httpcore.ConnectError(f"{host} has no address")


class _Transport(httpx.HTTPTransport):
    def __init__(self, *, allow_private: bool, limits: httpx.Limits):
        super().__init__(trust_env=False, limits=limits)
        # httpx has no parameter for the network backend: replace its pool with one that uses ours (the pool is
        # what handle_request talks to; everything else stays httpx's own).
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=PublicOnlyBackend(allow_private=allow_private),
        )


_clients: dict[tuple[bool, float], httpx.Client] = {}
_clients_lock = threading.Lock()


def client(*, allow_private: bool, timeout: float) -> httpx.Client:
    """A pooled client per process (keep-alive to busy receivers), created on first use so that Celery's forked
    workers never share sockets. Thread-safe; never follows redirects."""
    key = (allow_private, timeout)
    with _clients_lock:
        if key not in _clients:
            _clients[key] = httpx.Client(
                transport=_Transport(
                    allow_private=allow_private,
                    limits=httpx.Limits(max_connections=100, max_keepalive_connections=50, keepalive_expiry=30),
                ),
                timeout=httpx.Timeout(timeout),
                follow_redirects=False,
                trust_env=False,
                headers={"User-Agent": USER_AGENT},
            )
        return _clients[key]
