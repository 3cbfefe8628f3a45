"""Liveness of the parts /health/ reports: database, Redis, Celery worker and beat."""

import contextlib
import time

from django.conf import settings
from django.db import connection

from . import redis as omni_redis


def beat_stamp(now: float) -> None:
    # Beat must keep scheduling while Redis blips; /health/ reports the gap.
    with contextlib.suppress(Exception):
        omni_redis.client().set(omni_redis.key("health", "beat"), now, ex=_stale_after())


def worker_stamp(now: float) -> None:
    omni_redis.client().set(omni_redis.key("health", "heartbeat"), now, ex=24 * 3600)


def _stale_after() -> int:
    return max(3 * settings.CELERY_BEAT_MAX_LOOP_INTERVAL, 15)


def check_database() -> dict:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - the report names the failure instead of raising
        return {"ok": False, "error": str(exc).strip()[:200]}
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


def check_redis() -> dict:
    started = time.perf_counter()
    try:
        omni_redis.client().ping()
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": str(exc).strip()[:200]}
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


def check_worker() -> dict:
    """A worker answers the broadcast ping. Also reports when a worker last ran the heartbeat task."""
    from .celery import app

    try:
        replies = app.control.ping(timeout=settings.HEALTH_WORKER_PING_TIMEOUT) or []
    except Exception as exc:  # noqa: BLE001 - the broker is down: no worker can be reached
        return {"ok": False, "error": str(exc).strip()[:200]}
    result = {"ok": bool(replies), "workers": sorted(name for reply in replies for name in reply)}
    # The stamp lives in REDIS_URL, which may differ from the broker: when only that Redis is down the worker
    # still answered, and the report names redis, not the worker.
    with contextlib.suppress(Exception):
        last = omni_redis.client().get(omni_redis.key("health", "heartbeat"))
        if last is not None:
            result["last_heartbeat_age_s"] = round(time.time() - float(last), 1)
    if not replies:
        result["error"] = "no Celery worker answered"
    return result


def check_beat() -> dict:
    try:
        stamp = omni_redis.client().get(omni_redis.key("health", "beat"))
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": str(exc).strip()[:200]}
    if stamp is None:
        return {"ok": False, "error": f"no beat heartbeat in the last {_stale_after()} s"}
    return {"ok": True, "age_s": round(time.time() - float(stamp), 1)}


def report() -> tuple[bool, dict]:
    checks = {"database": check_database(), "redis": check_redis()}
    if not checks["redis"]["ok"] and settings.CELERY_BROKER_URL == settings.REDIS_URL:
        # The broker is this Redis: no worker can be reached, and asking would block on reconnects.
        down = {"ok": False, "error": "the broker (Redis) is unreachable"}
        checks.update(worker=down, beat=dict(down))
    else:
        checks.update(worker=check_worker(), beat=check_beat())
    return all(check["ok"] for check in checks.values()), checks
