"""Health and metrics endpoints, served on every host."""

import hmac

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import health, metrics


@never_cache
@require_GET
def health_view(request):
    """200 with every check when database, Redis, worker and beat are up; 503 naming the broken ones."""
    ok, checks = health.report()
    metrics.record_health(checks)
    body = {
        "status": "ok" if ok else "error",
        "failing": [name for name, check in checks.items() if not check["ok"]],
        "checks": checks,
        "time": timezone.now().isoformat(),
    }
    return JsonResponse(body, status=200 if ok else 503)


@never_cache
@require_GET
def metrics_view(request):
    """Prometheus text format. With METRICS_TOKEN set, scrapers must send it as a bearer token."""
    if settings.METRICS_TOKEN:
        sent = request.META.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(sent.encode(), settings.METRICS_TOKEN.encode()):
            return HttpResponse("metrics token required\n", status=401, content_type="text/plain")
    body, content_type = metrics.render()
    return HttpResponse(body, content_type=content_type)


def not_found(request, exception):
    """The 404 of the staff host: the API's error shape under /api/ (a URL no route matches, such as a malformed
    id), the HTML page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "detail": "Not found.", "fields": {}}, status=404)
    return defaults.page_not_found(request, exception)
