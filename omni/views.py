"""Health and metrics endpoints, served on every host."""

import hmac

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import health, metrics


def _has_metrics_token(request) -> bool:
    """The request carries METRICS_TOKEN as its bearer token. Without a token configured, only development
    (DEBUG on) counts as having it: production never serves the details openly."""
    if not settings.METRICS_TOKEN:
        return settings.DEBUG
    sent = request.META.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ").strip()
    return hmac.compare_digest(sent.encode(), settings.METRICS_TOKEN.encode())


@never_cache
@require_GET
def health_view(request):
    """200 when database, Redis, worker and beat are up, else 503, from a report at most HEALTH_CACHE_SECONDS old.
    Anyone gets each check's status; error strings, worker names and latencies need the metrics token."""
    report = health.cached_report()
    checks = report["checks"]
    metrics.record_health(checks)
    status = 200 if report["ok"] else 503
    body = {
        "status": "ok" if report["ok"] else "error",
        "checks": {name: "ok" if check["ok"] else "error" for name, check in checks.items()},
    }
    if _has_metrics_token(request):
        body.update(
            failing=[name for name, check in checks.items() if not check["ok"]],
            details=checks,
            checked_at=report["checked_at"],
        )
    return JsonResponse(body, status=status)


@never_cache
@require_GET
def metrics_view(request):
    """Prometheus text format, for scrapers sending METRICS_TOKEN as a bearer token (open in development only)."""
    if not _has_metrics_token(request):
        if not settings.METRICS_TOKEN:
            return HttpResponse("metrics are off: set METRICS_TOKEN\n", status=403, content_type="text/plain")
        return HttpResponse("metrics token required\n", status=401, content_type="text/plain")
    body, content_type = metrics.render()
    return HttpResponse(body, content_type=content_type)


def not_found(request, exception):
    """The 404 of the staff host: the API's error shape under /api/ (a URL no route matches, such as a malformed
    id), the HTML page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "detail": "Not found.", "fields": {}}, status=404)
    return defaults.page_not_found(request, exception)
