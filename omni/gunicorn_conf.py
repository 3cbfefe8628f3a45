"""gunicorn's configuration for the web processes: `gunicorn -c omni/gunicorn_conf.py omni.wsgi:application` in the
Procfile (`make run`), the Docker image and docker-compose.yml alike.

Sync (WSGI) workers: the views are sync code, and one request per process at a time is the fastest way to serve
them. bench/load.py measured it on 2 cores: 3 sync workers served about twice what 3 uvicorn (ASGI) workers did
(Django runs a sync view under ASGI in a thread per request), with 0 errors at 200 clients. Each process takes its
connection from its own psycopg pool (DATABASE_POOL_MAX_SIZE in omni/settings/data.py) and so holds at most one while
it serves, however many clients wait. Live channels (Server-Sent Events for the inbox) need an event loop: they are
served by omni.asgi under uvicorn workers, the same file with `-k uvicorn_worker.UvicornWorker` (README, "Scaling
out").
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# Processes: Python runs one thread at a time per process, so about one per core, plus one to cover a process
# waiting on PostgreSQL (PERFORMANCE.md, bench/load.py on 2 cores: 3).
workers = int(os.environ.get("WEB_CONCURRENCY", (os.cpu_count() or 1) + 1))
worker_class = os.environ.get("WEB_WORKER_CLASS", "sync")
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
