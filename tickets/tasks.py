"""Celery tasks: thin, idempotent wrappers over services (STYLE.md section 8)."""

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(acks_late=True, ignore_result=True, expires=3600)
def calendars_ical_sync() -> None:
    """Beat, nightly (CELERY_BEAT_SCHEDULE "tickets-calendars-ical-sync"): re-import every calendar's iCal feed.
    Running it twice imports the same dates (an import replaces the calendar's earlier imported ones)."""
    services.holidays_import_all(now=timezone.now())
