"""Real Celery workers for the tests: subprocesses on the test database and Redis, consuming a private queue so
they never pick up tasks other tests left in the shared broker."""

from __future__ import annotations

import fcntl
import hashlib
import os
import signal
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings as django_settings

from tests import db_template
from tests.conftest import TEST_CACHE_PREFIX, TEST_REDIS_URL

BASE_DIR = Path(__file__).resolve().parents[1]
CELERY = str(Path(sys.executable).parent / "celery")


def database_url() -> str:
    """The test database (while a test runs) as a DATABASE_URL for a subprocess."""
    return db_template.database_url(django_settings.DATABASES["default"])


def celery_env(**extra: str) -> dict[str, str]:
    """The environment of a worker or beat that shares this test's database, Redis and cache keys."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "omni.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": TEST_REDIS_URL,
        "CELERY_BROKER_URL": TEST_REDIS_URL,
        "CACHE_KEY_PREFIX": TEST_CACHE_PREFIX,
        **extra,
    }


def celery_start(kind: str, *args: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    """`celery -A omni <kind> <args>` in a session of its own, its output appended to `log`."""
    with open(log, "ab") as handle:
        return subprocess.Popen(
            [CELERY, "-A", "omni", kind, "-l", "info", *args],
            cwd=BASE_DIR,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def process_stop(process: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM (Celery's warm shutdown: running tasks finish), then SIGKILL after `timeout` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@contextmanager
def broker_lock():
    """Held by every test that starts a worker or expects none. A worker answers each ping on the broker, so two
    such tests must never overlap: not on two xdist workers (conftest puts them in one xdist group, so in one run
    the lock is rarely contended), nor in two test runs sharing TEST_REDIS_URL on one machine."""
    digest = hashlib.sha256(TEST_REDIS_URL.encode()).hexdigest()[:12]
    with open(Path(tempfile.gettempdir()) / f"omni-celery-tests-{digest}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_published(task, *args) -> list:
    """Take the messages of `task` called with exactly `args` off the test broker's default queue and run them
    here, as a worker would (the task's own code). Proves the task was really published to Redis; messages of
    other tests (other args) are left alone. Returns the results (`.state`: SUCCESS, RETRY, FAILURE)."""
    import base64
    import json

    import redis

    from omni.celery import app

    client = redis.Redis.from_url(TEST_REDIS_URL)
    queue = app.conf.task_default_queue
    results = []
    for raw in client.lrange(queue, 0, -1):
        message = json.loads(raw)
        if message["headers"].get("task") != task.name:
            continue
        body = base64.b64decode(message["body"]) if message["properties"].get("body_encoding") == "base64" else None
        call_args, call_kwargs, _ = json.loads(body or message["body"])
        if tuple(call_args) != args or call_kwargs:
            continue
        if client.lrem(queue, 1, raw):  # ours to run (another process never takes it twice)
            results.append(task.apply(args=call_args))
    return results
