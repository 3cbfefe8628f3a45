"""Liveness of the parts /health/ reports: database, Redis, Celery worker and beat.

`report()` runs the checks. `cached_report()` shares one report among every web process for HEALTH_CACHE_SECONDS
through Redis, and only the process holding a Redis lock computes it: a monitor (or an attacker) hammering /health/
on every process costs one broadcast worker ping per period, not one per request.
"""

import contextlib
import json
import time
import uuid

import psycopg
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from . import redis as omni_redis

# Deletes the lock only if it still holds our token: a lock that expired and was taken by another process stays.
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


def beat_stamp(now: float) -> None:
    """Beat is alive (omni.beat calls this when beat starts and whenever it sends a task)."""
    # Beat must keep scheduling while Redis blips; /health/ reports the gap.
    with contextlib.suppress(Exception):
        omni_redis.client().set(omni_redis.key("health", "beat"), now, ex=beat_stale_after())


def worker_stamp(now: float) -> None:
    omni_redis.client().set(omni_redis.key("health", "heartbeat"), now, ex=24 * 3600)


def beat_stale_after() -> int:
    """Seconds without a stamp after which beat counts as down: it sends omni-heartbeat every HEARTBEAT_INTERVAL
    seconds (and stamps on every other task it sends), so two missed heartbeats and some slack."""
    return 2 * settings.HEARTBEAT_INTERVAL + 15


def _failure(exc: Exception) -> dict:
    return {"ok": False, "error": str(exc).strip()[:200]}


def check_database() -> dict:
    """A connection of its own with a short connect timeout, not one from the pool: an unreachable database is
    reported in seconds (a pooled request would wait DATABASE_POOL_TIMEOUT), and a pool busy serving requests does
    not hold up the answer. At most one per HEALTH_CACHE_SECONDS across the processes."""
    started = time.perf_counter()
    try:
        params = {**connection.get_connection_params(), "connect_timeout": 3, "autocommit": True}
        with psycopg.connect(**params) as probe:
            probe.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - the report names the failure instead of raising
        return _failure(exc)
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


def check_redis() -> dict:
    started = time.perf_counter()
    try:
        omni_redis.client().ping()
    except Exception as exc:  # noqa: BLE001
        return _failure(exc)
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


def check_worker() -> dict:
    """A worker answers the broadcast ping: the first reply ends the wait (limit=1), so a healthy fleet answers in
    milliseconds and a thousand workers never flood this process with replies. Also reports when a worker last ran
    the heartbeat task."""
    from .celery import app

    started = time.perf_counter()
    try:
        replies = app.control.ping(timeout=settings.HEALTH_WORKER_PING_TIMEOUT, limit=1) or []
    except Exception as exc:  # noqa: BLE001 - the broker is down: no worker can be reached
        return _failure(exc)
    result = {
        "ok": bool(replies),
        "workers": sorted(name for reply in replies for name in reply),
        "latency_ms": round((time.perf_counter() - started) * 1000, 2),
    }
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
        return _failure(exc)
    if stamp is None:
        return {"ok": False, "error": f"no beat heartbeat in the last {beat_stale_after()} s"}
    return {"ok": True, "age_s": round(time.time() - float(stamp), 1)}


def report(*, ping: bool = True) -> dict:
    """Every check, now: {"ok", "checks": {name: {"ok", ...details}}, "checked_at"}."""
    checks = {"database": check_database(), "redis": check_redis()}
    if not checks["redis"]["ok"] and settings.CELERY_BROKER_URL == settings.REDIS_URL:
        # The broker is this Redis: no worker can be reached, and asking would block on reconnects.
        down = {"ok": False, "error": "the broker (Redis) is unreachable"}
        checks.update(worker=down, beat=dict(down))
    elif ping:
        checks.update(worker=check_worker(), beat=check_beat())
    else:
        checks.update(worker={"ok": False, "error": "another process's worker ping did not finish"}, beat=check_beat())
    return {
        "ok": all(check["ok"] for check in checks.values()),
        "checks": checks,
        "checked_at": timezone.now().isoformat(),
    }


def cached_report() -> dict:
    """report(), computed at most once per HEALTH_CACHE_SECONDS across every process sharing REDIS_URL. Without
    Redis there is nothing to share: each call checks (and report() then skips a ping through the same Redis)."""
    ttl = settings.HEALTH_CACHE_SECONDS
    if ttl <= 0:
        return report()
    client = omni_redis.client()
    key, lock = omni_redis.key("health", "report"), omni_redis.key("health", "lock")
    lock_seconds = settings.HEALTH_WORKER_PING_TIMEOUT + 5  # a holder that died frees it by then
    token = uuid.uuid4().hex
    deadline = time.monotonic() + lock_seconds
    timeouts = 0
    while True:
        try:
            cached = client.get(key)
            if cached is not None:
                return json.loads(cached)
            if client.set(lock, token, nx=True, px=int(lock_seconds * 1000)):
                break
        except redis.TimeoutError:
            # One slow answer is load (wait on, so eight waiters still ping once); two in a row is a hung Redis.
            timeouts += 1
            if timeouts > 1:
                return report()
        except redis.RedisError:
            return report()
        if time.monotonic() > deadline:
            return report(ping=False)  # the holder hangs; do not pile another ping on the broker
        time.sleep(0.05)  # another process is checking: its report lands in a moment
    try:
        result = report()
        with contextlib.suppress(redis.RedisError):
            client.set(key, json.dumps(result), px=int(ttl * 1000))
        return result
    finally:
        with contextlib.suppress(redis.RedisError):
            client.eval(_RELEASE, 1, lock, token)
