"""Celery tasks of the customer visits (issue 14, item 9): thin, idempotent wrappers over services.visits. Apart
from workforce/tasks.py only so that two helpers could write them at once; merge freely."""

from celery import shared_task
from django.utils import timezone

from .services import visits


@shared_task(acks_late=True, ignore_result=True, expires=3000)
def visit_reminders_send() -> None:
    """Beat, hourly in the day (CELERY_BEAT_SCHEDULE "workforce-visit-reminders"): remind customers of tomorrow's
    visits. Idempotent; overlapping runs remind each visit once per start (UPDATE ... RETURNING)."""
    visits.visit_reminders_send(now=timezone.now())
