"""The beat scheduler (loaded by `celery beat` after Django is set up)."""

import time

from django_celery_beat.schedulers import DatabaseScheduler


class HeartbeatScheduler(DatabaseScheduler):
    """DatabaseScheduler that stamps the beat heartbeat in Redis on every wake (at most every few seconds),
    so /health/ can tell a dead beat from an idle one without waiting for a task to run."""

    def tick(self, *args, **kwargs):
        from . import health

        health.beat_stamp(time.time())
        return super().tick(*args, **kwargs)
