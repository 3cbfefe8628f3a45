"""gunicorn's configuration for the web processes: `gunicorn -c omni/gunicorn_conf.py omni.asgi:application` in the
Procfile (`make run`), the Docker image and docker-compose.yml alike.

gunicorn manages uvicorn (ASGI) workers: sync views run in uvicorn's threads and async views (Server-Sent Events for
the inbox) on its event loop. Database connections come from each process's psycopg pool (DATABASE_POOL_MAX_SIZE in
omni/settings.py), so a process holds at most that many, however many requests are in flight; bench/load.py
measures it against gunicorn's sync workers.
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# Processes: Python runs one thread at a time per process, so about one per core, plus one to cover a process
# waiting on PostgreSQL (PERFORMANCE.md, bench/load.py on 2 cores: 3).
workers = int(os.environ.get("WEB_CONCURRENCY", (os.cpu_count() or 1) + 1))
worker_class = "uvicorn_worker.UvicornWorker"
# The app is loaded once, before the fork: workers share its memory, and omni.asgi freezes it out of the
# garbage collector (PERFORMANCE.md: p99). Nothing connects to the database at import, so no pool is forked.
preload_app = True
keepalive = 5
graceful_timeout = 30
timeout = 60


def pre_fork(server, worker):
    """Should anything in the master have opened a database connection or pool, close it: a forked copy shared by
    several workers would interleave their queries on one socket."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        connection.close()
        if hasattr(connection, "close_pool"):
            connection.close_pool()
