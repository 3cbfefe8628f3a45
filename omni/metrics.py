"""Prometheus metrics. With PROMETHEUS_MULTIPROC_DIR set (several web processes), values are aggregated
across processes by prometheus_client's multiprocess collector."""

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import REGISTRY as DEFAULT_REGISTRY

REQUESTS = Counter("omni_http_requests_total", "HTTP requests answered.", ["portal", "view", "method", "status"])
LATENCY = Histogram(
    "omni_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["portal"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
HEALTH = Gauge(
    "omni_health_check_up", "1 when the part answered its last health check.", ["check"], multiprocess_mode="liveall"
)


def observe_request(portal: str, view: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(portal or "staff", view, method, f"{status // 100}xx").inc()
    LATENCY.labels(portal or "staff").observe(seconds)


def record_health(checks: dict) -> None:
    for name, check in checks.items():
        HEALTH.labels(name).set(1 if check["ok"] else 0)


def render() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = DEFAULT_REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST
