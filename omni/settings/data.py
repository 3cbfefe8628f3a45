"""Where data lives: PostgreSQL/PostGIS through psycopg's connection pool (DATABASE_URL, an optional read replica
at DATABASE_REPLICA_URL), Redis as the cache (REDIS_URL), and database-backed cached sessions."""

from django.core.exceptions import ImproperlyConfigured

from .base import env

# Connections come from psycopg's pool, at most DATABASE_POOL_MAX_SIZE per process and alias, handed back when a
# request (or task) ends. Under ASGI each request runs in a thread of its own, and persistent per-thread connections
# (CONN_MAX_AGE) piled up until PostgreSQL refused every process (PERFORMANCE.md, bench/load.py). 0 turns the pool
# off: DATABASE_CONN_MAX_AGE then keeps one connection per thread, which suits only WSGI sync workers.
DATABASE_POOL_MAX_SIZE = env.int("DATABASE_POOL_MAX_SIZE", default=8)
DATABASE_POOL_MIN_SIZE = env.int("DATABASE_POOL_MIN_SIZE", default=1)
DATABASE_POOL_TIMEOUT = env.float("DATABASE_POOL_TIMEOUT", default=10.0)
if DATABASE_POOL_MAX_SIZE < 0 or (DATABASE_POOL_MAX_SIZE and not 0 <= DATABASE_POOL_MIN_SIZE <= DATABASE_POOL_MAX_SIZE):
    raise ImproperlyConfigured("DATABASE_POOL_MAX_SIZE takes 0 (no pool) or more; DATABASE_POOL_MIN_SIZE 0 up to it.")
if DATABASE_POOL_MAX_SIZE and env.int("DATABASE_CONN_MAX_AGE", default=0):
    raise ImproperlyConfigured("DATABASE_CONN_MAX_AGE applies only without the pool (DATABASE_POOL_MAX_SIZE=0).")


def _database(url_variable: str, default: str | None = None) -> dict:
    database = env.db(url_variable, default=default) if default else env.db(url_variable)
    if database["ENGINE"] == "django.contrib.gis.db.backends.postgis":
        database["ENGINE"] = "omni.postgis"  # PostGIS, its adapters registered once per pooled connection
    if DATABASE_POOL_MAX_SIZE:
        database["CONN_MAX_AGE"] = 0  # Django's pool requires it: "closing" hands the connection back
        # omni.postgis checks a pooled connection on checkout only after it sat idle; Django's CONN_HEALTH_CHECKS
        # would have the pool check every one it hands out, one more round trip per request.
        database["CONN_HEALTH_CHECKS"] = database["ENGINE"] != "omni.postgis"
        database.setdefault("OPTIONS", {})["pool"] = {
            "min_size": DATABASE_POOL_MIN_SIZE,
            "max_size": DATABASE_POOL_MAX_SIZE,
            "timeout": DATABASE_POOL_TIMEOUT,  # seconds a request waits for a free connection, then fails
        }
    else:
        database["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
        database["CONN_HEALTH_CHECKS"] = True
    return database


DATABASES = {"default": _database("DATABASE_URL", "postgis://postgres@127.0.0.1:5432/omni")}
if env.str("DATABASE_REPLICA_URL", default=""):
    # Reads outside transactions, before the request or task has written, go to the replica (omni.db).
    DATABASES["replica"] = _database("DATABASE_REPLICA_URL")
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["omni.db.ReplicaRouter"]
# Every model of ours has a UUID primary key (omni.models.TimeStampedModel; the omni.E001 check refuses any other).
# Django requires an AutoField subclass here, so this is only the id of tables Django creates itself: the
# auto-created many-to-many tables (User.groups, User.user_permissions). The apps set no default_auto_field.
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "omni.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="omni"),
        "TIMEOUT": 300,
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# Host-only cookies: a session from one portal is never sent to another.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
