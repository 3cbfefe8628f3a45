"""Host routing (one portal per subdomain), API rate limiting in Redis, and request metrics."""

import logging
import math
import time
import uuid
from functools import lru_cache

from django.conf import settings
from django.http import JsonResponse

from . import metrics
from . import redis as omni_redis
from .choices import Audience

logger = logging.getLogger(__name__)

PORTAL_URLCONFS = {
    Audience.CUSTOMER: "portals.customer.urls",
    Audience.RESELLER: "portals.reseller.urls",
    Audience.VENDOR: "portals.vendor.urls",
}


def audience_for_host(host: str) -> str:
    host = host.split(":", 1)[0].lower()
    for audience, portal_host in settings.PORTAL_HOSTS.items():
        if host == portal_host:
            return audience
    return Audience.STAFF


class HostRoutingMiddleware:
    """`portal.<domain>` serves the customer portal, `reseller.` and `vendor.` theirs; any other allowed host
    serves the staff console, /admin/ and /api/. Sets `request.portal` to the audience the host serves."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.portal = audience_for_host(request.get_host())
        if request.portal in PORTAL_URLCONFS:
            request.urlconf = PORTAL_URLCONFS[request.portal]
        return self.get_response(request)


def client_ip(request) -> str:
    """The caller's address; with NUM_PROXIES trusted proxies in front, taken from X-Forwarded-For."""
    proxies = settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        return hops[-min(proxies, len(hops))]
    return request.META.get("REMOTE_ADDR", "")


RATE_LIMIT_EXEMPT = ("/api/docs/",)

# The clock the rate limiter reads (epoch seconds). A module attribute so that tests can move time.
clock = time.time

# A sliding window log, atomically: forget the client's requests older than the window, count the rest, and
# record this one only if it fits. Refused requests are not recorded (a client hammering at 429 recovers as
# its accepted requests age out). Scores are microseconds. Returns {accepted, count, oldest, newest}.
_SLIDING_WINDOW = """
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local accepted = 0
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  count = count + 1
  accepted = 1
end
redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) + 1000)
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2] or ARGV[1]
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')[2] or ARGV[1]
return {accepted, count, oldest, newest}
"""


@lru_cache(maxsize=8)
def _sliding_window_script(url: str):
    """The script bound to the Redis at `url`; redis-py runs it by its SHA and loads it again after a flush."""
    return omni_redis.client().register_script(_SLIDING_WINDOW)


class RateLimitMiddleware:
    """At most API_RATE_LIMIT requests in ANY API_RATE_WINDOW seconds for each API token (each signed-in user for
    the browser, each IP when anonymous or when the token is refused): a sliding window log in Redis, checked and
    updated by one Lua script, so no client gets twice the limit across a window's edge and concurrent requests
    cannot both take the last slot.

    Every /api/ response carries X-RateLimit-Limit, X-RateLimit-Remaining (requests left right now) and
    X-RateLimit-Reset (epoch seconds, rounded up: when every request counted now has left the window, i.e. the
    full allowance is back). Over the limit is a 429 whose Retry-After is the seconds until the oldest counted
    request leaves the window, i.e. the next request will be accepted. Redis down: served unlimited, logged."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/") or request.path.startswith(RATE_LIMIT_EXEMPT):
            return self.get_response(request)
        limit, window = settings.API_RATE_LIMIT, settings.API_RATE_WINDOW
        identity, now = self._identity(request), clock()
        try:
            accepted, count, oldest, newest = sliding_window_hit(identity, now, window, limit)
        except Exception:  # Redis down: serve rather than refuse every request; /health/ reports it.
            logger.warning("API rate limiting skipped: Redis unavailable", exc_info=True)
            return self.get_response(request)
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(0, limit - count)),
            "X-RateLimit-Reset": str(math.ceil(newest + window)),
        }
        if not accepted:
            retry_after = max(1, math.ceil(oldest + window - now))
            response = JsonResponse(
                {
                    "code": "throttled",
                    "detail": f"Rate limit of {limit} requests per {window} s reached; retry in {retry_after} s.",
                    "fields": {},
                },
                status=429,
            )
            response["Retry-After"] = str(retry_after)
        else:
            response = self.get_response(request)
        for name, value in headers.items():
            response[name] = value
        return response

    @staticmethod
    def _identity(request) -> str:
        from .tokens import MalformedAuthorization, api_token_for_request, bearer_token

        try:
            raw = bearer_token(request)  # as the API's authentication reads it
        except MalformedAuthorization:
            return f"ip:{client_ip(request)}"
        if raw is not None:
            resolved = api_token_for_request(request, raw)
            if resolved is not None:
                return f"token:{resolved.token_id}"
        elif request.user.is_authenticated:
            return f"user:{request.user.pk}"
        return f"ip:{client_ip(request)}"


def sliding_window_hit(identity: str, now: float, window: int, limit: int) -> tuple[bool, int, float, float]:
    """Count one request in `identity`'s sliding-window log in Redis (the API's rate limit, the web chat widget's):
    (accepted, requests in the window, oldest and newest of them, in epoch seconds). Raises redis.RedisError when
    Redis is down: the caller decides whether that lets the request through."""
    script = _sliding_window_script(settings.REDIS_URL)
    micros = int(now * 1_000_000)
    accepted, count, oldest, newest = script(
        keys=[omni_redis.key("rl", identity)],
        args=[micros, window * 1_000_000, limit, f"{micros}:{uuid.uuid4().hex}"],
    )
    return bool(accepted), int(count), float(oldest) / 1_000_000, float(newest) / 1_000_000


class MetricsMiddleware:
    """Counts requests and their latency for /metrics, labelled by portal, view and status class."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match else "unmatched"
        portal = getattr(request, "portal", "")
        metrics.observe_request(portal, view, request.method, response.status_code, time.perf_counter() - started)
        return response
