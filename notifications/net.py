"""The HTTP client of outbound requests (webhooks, web push, SMS): each request ends by one wall-clock
deadline, and webhooks and push cannot be pointed at the inside of our network (SSRF).

Deadline. httpx's timeouts are per phase (connect, each read, each write): a receiver that trickles a byte every
few seconds never trips them and holds a worker for as long as it likes. Inside `with deadline(seconds):` every
step of a request made through `client()` (name resolution, connecting, TLS, each write and read) is given only
what is left of `seconds`; past it the request fails with a timeout (httpx.TimeoutException). `read_capped`
reads at most a given number of bytes of an answer, so its size is bounded too.

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
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from contextvars import ContextVar
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


# ---- the deadline -------------------------------------------------------------------------------------------

_deadline: ContextVar[float | None] = ContextVar("outbound_deadline", default=None)  # time.monotonic() value


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Requests made inside (through `client()`) end within `seconds` of entering, whatever the other side does.
    Per thread (a context variable): the threads of a webhook batch each have their own."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def _left(timeout: float | None, timeout_error: type[httpcore.TimeoutException]) -> float | None:
    """`timeout`, shortened to what is left before the deadline; `timeout_error` once it has passed."""
    end = _deadline.get()
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise timeout_error("the request's deadline passed")
    return left if timeout is None else min(timeout, left)


def read_capped(response: httpx.Response, limit: int) -> bytes:
    """At most `limit` bytes of a streamed answer, as sent (ask for `Accept-Encoding: identity`: compressed bytes
    are never expanded here); the rest is never read, so a huge answer costs nothing."""
    raw = bytearray()
    for chunk in response.iter_raw():
        raw += chunk
        if len(raw) >= limit:
            break
    return bytes(raw[:limit])


_resolver: ThreadPoolExecutor | None = None
_resolver_lock = threading.Lock()


def _resolve_within(host: str, port: int, timeout: float | None) -> list[str]:
    """resolve(), abandoned after `timeout` (getaddrinfo takes none: a slow DNS server would hold the request
    past its deadline). The lookup runs on in a small pool; an IP literal needs no lookup."""
    global _resolver
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    if timeout is None:
        return resolve(host, port)
    with _resolver_lock:  # created on first use, so that Celery's forked workers each get their own threads
        if _resolver is None:
            _resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="dns")
    try:
        return _resolver.submit(resolve, host, port).result(timeout)
    except FutureTimeout:
        raise httpcore.ConnectTimeout(f"{host} did not resolve within {timeout:.1f} s") from None


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


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read, write and TLS handshake gets at most what is left of the deadline of the
    request using it (a pooled connection serves several requests, each with its own deadline)."""

    WRITE_CHUNK = 16 * 1024  # a write is split, so a receiver taking bytes slowly meets the deadline too

    def __init__(self, stream: httpcore.NetworkStream):
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        for start in range(0, len(buffer), self.WRITE_CHUNK):
            self._stream.write(buffer[start : start + self.WRITE_CHUNK], _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None) -> httpcore.NetworkStream:
        stream = self._stream.start_tls(ssl_context, server_hostname, _left(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(stream)

    def get_extra_info(self, info: str):
        return self._stream.get_extra_info(info)


class PublicOnlyBackend(httpcore.SyncBackend):
    """httpcore's socket backend, except that it resolves the host itself (within the deadline), refuses the
    connection when any address is not public (unless `allow_private`), connects to the checked address itself
    (no second lookup), and hands out connections that keep the deadline."""

    def __init__(self, *, allow_private: bool):
        self.allow_private = allow_private

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            addresses = _resolve_within(host, port, _left(timeout, httpcore.ConnectTimeout))
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"{host} does not resolve: {exc}") from exc
        refused = [] if self.allow_private else [address for address in addresses if not ip_is_public(address)]
        if refused:
            # All or nothing: a name answering with one public and one private address is a rebinding trick.
            where = host if refused[0] == host else f"{host} resolves to {refused[0]}, which"
            raise UnsafeAddress(f"{where} is not a public address")
        error: Exception | None = None
        for address in addresses:
            try:
                stream = super().connect_tcp(
                    address, port, _left(timeout, httpcore.ConnectTimeout), local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:  # try the next address (IPv4/IPv6)
                error = exc
            else:
                return _DeadlineStream(stream)
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
    workers never share sockets. Thread-safe; never follows redirects; `timeout` applies to each phase, and
    `deadline()` around a request bounds the whole of it."""
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
