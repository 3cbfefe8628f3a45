"""The Celery app: Redis broker, schedules in the database (django-celery-beat)."""

import os

from celery import Celery

from . import beat  # noqa: F401 - connects beat's liveness stamps for /health/

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omni.settings")

app = Celery("omni")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

