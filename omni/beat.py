"""Beat's liveness for /health/, however beat is started: `celery -A omni beat` (the scheduler in settings) or as
django-celery-beat documents it (`--scheduler django_celery_beat.schedulers:DatabaseScheduler`), or embedded in a
worker (`-B`). Only Celery's own signals are used, so no particular scheduler class is needed: beat stamps its
heartbeat in Redis when it starts and each time it sends a task, at least every HEARTBEAT_INTERVAL seconds (the
omni-heartbeat schedule). Imported by omni.celery, so every Celery process connects the handlers."""

import time

from celery.signals import after_task_publish, beat_init


def _stamp(**kwargs) -> None:
    from . import health

    health.beat_stamp(time.time())


@beat_init.connect(weak=False, dispatch_uid="omni.beat.started")
def beat_started(**kwargs) -> None:
    """Runs in the beat process only; from here on every task it publishes stamps the heartbeat (web processes and
    workers publish tasks too, but never receive beat_init)."""
    _stamp()
    after_task_publish.connect(_stamp, weak=False, dispatch_uid="omni.beat.published")
