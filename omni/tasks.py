import time

from celery import shared_task

from . import health


@shared_task(ignore_result=True, expires=30)
def heartbeat() -> None:
    """Beat, every HEARTBEAT_INTERVAL seconds: records that a worker took a task off the queue. Idempotent."""
    health.worker_stamp(time.time())
