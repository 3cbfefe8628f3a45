"""Server-Sent Events fed by Redis pub/sub: a view subscribes to some channels (crm.live publishes JSON
`{"event": ..., "data": ...}` on them after commit) and streams each message as

    event: <name>
    data: <json>

with a `retry:` hint first, a comment line every LIVE_HEARTBEAT_SECONDS (proxies drop silent connections, and a
write is how a server learns the client went away) and an end after LIVE_STREAM_MAX_SECONDS: the browser's
EventSource reconnects by itself, so connections recycle (a deploy drains, a stuck one never lives forever).

One function, `stream()`, serves both servers (README, "Live updates"):
- under ASGI (uvicorn; the `live` process) the body is an async generator on redis.asyncio: thousands of open
  streams cost one coroutine and one Redis connection each, no thread;
- under WSGI threaded servers (`runserver`, pytest-django's live_server for the browser tests) the body is a sync
  generator on blocking redis-py pub/sub: one thread per open stream, fine for development and tests.
Django serves an async iterator under WSGI (and a sync one under ASGI) only by reading it to the end first, which
for an endless stream is never: the request's type picks the right one (an ASGIRequest has `scope`).

A stream holds no database connection: the view closes its own before the first byte (with a pool, a connection
held by each open stream would starve the requests)."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from functools import lru_cache
from urllib.parse import urlsplit

import orjson
import redis
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import connections
from django.http import StreamingHttpResponse
from django.http.request import split_domain_port, validate_host

logger = logging.getLogger(__name__)

# (event, data) -> (event, data) to send, or None to drop it. Pure (no database): it also runs in the event loop.
Transform = Callable[[str, dict], "tuple[str, dict] | None"]


def frame(event: str, data: object) -> bytes:
    """One SSE message. JSON (orjson) never contains a newline, so `data:` is one line."""
    name = "".join(ch for ch in event if ch not in "\r\n") or "message"
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(data, default=str) + b"\n\n"


def comment(text: str) -> bytes:
    """An SSE comment: ignored by EventSource, keeps the connection (and the proxies on the way) alive."""
    return b": " + text.encode() + b"\n\n"


def _retry_hint() -> bytes:
    # Also the first bytes of the body, so the response starts at once and EventSource's `open` fires.
    return f"retry: {settings.LIVE_RETRY_MS}\n\n".encode()


def _to_frame(raw: bytes | str, transform: Transform | None) -> bytes | None:
    try:
        message = orjson.loads(raw)
        event, data = str(message["event"]), message.get("data") or {}
    except (orjson.JSONDecodeError, KeyError, TypeError):
        logger.warning("live: dropped a malformed message %r", raw[:200])
        return None
    if transform is not None:
        out = transform(event, data)
        if out is None:
            return None
        event, data = out
    return frame(event, data)


@lru_cache(maxsize=4)
def _sync_client(url: str) -> redis.Redis:
    # No socket_timeout (omni.redis has 1 s): a subscriber waits on its socket for as long as get_message says.
    return redis.Redis.from_url(url, socket_connect_timeout=2, health_check_interval=30)


def _sync_events(channels: list[str], transform: Transform | None) -> Iterator[bytes]:
    heartbeat, max_age = settings.LIVE_HEARTBEAT_SECONDS, settings.LIVE_STREAM_MAX_SECONDS
    pubsub = _sync_client(settings.REDIS_URL).pubsub(ignore_subscribe_messages=False)
    try:
        pubsub.subscribe(*channels)
        # Wait for the confirmations: a publish sent after the first byte reaches this stream for sure.
        confirmed, deadline = 0, time.monotonic() + 5
        while confirmed < len(channels) and time.monotonic() < deadline:
            message = pubsub.get_message(timeout=1.0)
            if message and message["type"] == "subscribe":
                confirmed += 1
        yield _retry_hint()
        started = last = time.monotonic()
        while (now := time.monotonic()) - started < max_age:
            wait = max(0.05, min(heartbeat - (now - last), max_age - (now - started)))
            message = pubsub.get_message(ignore_subscribe_messages=True, timeout=wait)
            if message is None or message["type"] != "message":
                if time.monotonic() - last >= heartbeat:
                    last = time.monotonic()
                    yield comment("ping")
                continue
            chunk = _to_frame(message["data"], transform)
            if chunk:
                last = time.monotonic()
                yield chunk
        yield comment("bye")  # lifetime over: EventSource reconnects after `retry`
    except redis.RedisError:
        logger.warning("live stream ended: Redis unavailable", exc_info=True)
    finally:  # also on GeneratorExit: the server closes the body when the client has gone
        pubsub.close()


async def _async_events(channels: list[str], transform: Transform | None) -> AsyncIterator[bytes]:
    from redis import asyncio as aredis

    heartbeat, max_age = settings.LIVE_HEARTBEAT_SECONDS, settings.LIVE_STREAM_MAX_SECONDS
    # A client per stream: redis.asyncio connections belong to the event loop that opened them.
    client = aredis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, health_check_interval=30)
    pubsub = client.pubsub(ignore_subscribe_messages=False)
    try:
        await pubsub.subscribe(*channels)
        confirmed, deadline = 0, time.monotonic() + 5
        while confirmed < len(channels) and time.monotonic() < deadline:
            message = await pubsub.get_message(timeout=1.0)
            if message and message["type"] == "subscribe":
                confirmed += 1
        yield _retry_hint()
        started = last = time.monotonic()
        while (now := time.monotonic()) - started < max_age:
            wait = max(0.05, min(heartbeat - (now - last), max_age - (now - started)))
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=wait)
            if message is None or message["type"] != "message":
                if time.monotonic() - last >= heartbeat:
                    last = time.monotonic()
                    yield comment("ping")
                continue
            chunk = _to_frame(message["data"], transform)
            if chunk:
                last = time.monotonic()
                yield chunk
        yield comment("bye")
    except redis.RedisError:
        logger.warning("live stream ended: Redis unavailable", exc_info=True)
    finally:  # also on cancellation: Django cancels the body when the client disconnects (http.disconnect)
        await pubsub.aclose()
        await client.aclose()


def is_asgi(request) -> bool:
    return hasattr(request, "scope")


def _release_database() -> None:
    """Hand back this thread's database connections before streaming (to the pool, with one). Inside a transaction
    (a test's) a close would break it, and nothing is held for long there."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()


def stream(request, channels: list[str], *, transform: Transform | None = None) -> StreamingHttpResponse:
    """A text/event-stream response relaying what is published on the Redis `channels` (full names, e.g.
    crm.live.topic("inbox")), until the client goes or LIVE_STREAM_MAX_SECONDS pass. `transform` may rename,
    reshape or drop events (a visitor sees less than staff)."""
    content = _async_events(channels, transform) if is_asgi(request) else _sync_events(channels, transform)
    response = StreamingHttpResponse(content, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    _release_database()
    return response


def live_base(request) -> str:
    """Where pages open their streams: LIVE_URL, "" for the page's own origin, a port alone (":8001") for the
    same host name on that port (`make run`: pages on :8000, the live process on :8001)."""
    base = settings.LIVE_URL.rstrip("/")
    if base.startswith(":"):
        try:
            host, _port = split_domain_port(request.get_host())
        except DisallowedHost:  # a page about a bad host (400) still renders; it opens no stream
            return ""
        return f"{request.scheme}://{host}{base}"
    return base


def cors_allow_credentials(request, response) -> None:
    """Let pages of our own hosts (ALLOWED_HOSTS, any port: the live process listens on its own) read a stream
    with their cookies, as EventSource's `withCredentials` does when LIVE_URL is another origin."""
    origin = request.headers.get("Origin", "")
    if not origin:
        return
    parts = urlsplit(origin)
    if parts.scheme in ("http", "https") and parts.hostname and validate_host(parts.hostname, settings.ALLOWED_HOSTS):
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Credentials"] = "true"
        response["Vary"] = "Origin"
