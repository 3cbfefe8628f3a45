"""One Redis client per process for rate limits and heartbeats (the cache has its own)."""

from functools import lru_cache

import redis
from django.conf import settings


@lru_cache(maxsize=8)
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1, health_check_interval=30)


def client() -> redis.Redis:
    return _client(settings.REDIS_URL)


def key(*parts: str) -> str:
    """Keys carry the cache prefix, so test workers (and instances sharing a Redis) never collide."""
    return ":".join([settings.CACHES["default"].get("KEY_PREFIX", "omni"), *parts])
