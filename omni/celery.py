"""The Celery app: Redis broker, schedules in the database (django-celery-beat)."""

import os

from celery import Celery
from celery.signals import task_prerun

from . import beat  # noqa: F401 - connects beat's liveness stamps for /health/

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omni.settings")

app = Celery("omni")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect(weak=False, dispatch_uid="omni.db.task_unpin")
def _task_reads_start_on_the_replica(**kwargs) -> None:
    """Each task starts reading from the replica; its first write pins it to the primary (omni.db.ReplicaRouter)."""
    from .db import replica_unpin

    replica_unpin()
