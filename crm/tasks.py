"""Celery tasks: thin, idempotent wrappers over services (STYLE.md section 8)."""

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(acks_late=True, ignore_result=True, expires=3600)
def quotes_expire() -> None:
    """Beat, daily (CELERY_BEAT_SCHEDULE "crm-quotes-expire"): sent quotes past their validity date become expired,
    in one set-based UPDATE. Idempotent: a second run expires nothing."""
    services.quote_expire_due(now=timezone.now())
