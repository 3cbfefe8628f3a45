"""Host routing (one portal per subdomain), API rate limiting in Redis, and request metrics."""

import logging
import math
import time

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


class RateLimitMiddleware:
    """API_RATE_LIMIT requests per API_RATE_WINDOW seconds for each API token (each signed-in user for the
    browser, each IP when anonymous), counted in fixed windows in Redis. Every /api/ response carries
    X-RateLimit-Limit, -Remaining and -Reset (epoch seconds); over the limit is a 429 with Retry-After."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/") or request.path.startswith(RATE_LIMIT_EXEMPT):
            return self.get_response(request)
        limit, window = settings.API_RATE_LIMIT, settings.API_RATE_WINDOW
        now = time.time()
        window_start = int(now // window * window)
        reset = window_start + window
        try:
            count = self._hit(self._identity(request), window_start, window)
        except Exception:  # Redis down: serve rather than refuse every request; /health/ reports it.
            logger.warning("API rate limiting skipped: Redis unavailable", exc_info=True)
            return self.get_response(request)
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(0, limit - count)),
            "X-RateLimit-Reset": str(reset),
        }
        if count > limit:
            retry_after = max(1, math.ceil(reset - now))
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
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header[:7].lower() == "bearer ":
            from .tokens import api_token_for_request

            resolved = api_token_for_request(request, header[7:].strip())
            if resolved is not None:
                return f"token:{resolved.token_id}"
        elif request.user.is_authenticated:
            return f"user:{request.user.pk}"
        return f"ip:{client_ip(request)}"

    @staticmethod
    def _hit(identity: str, window_start: int, window: int) -> int:
        key = omni_redis.key("rl", identity, str(window_start))
        pipe = omni_redis.client().pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, window + 1)
        count, _ = pipe.execute()
        return int(count)


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
