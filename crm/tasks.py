"""crm's Celery tasks: thin, idempotent wrappers over its services."""

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(acks_late=True, ignore_result=True, expires=3000)
def lead_follow_up_remind() -> None:
    """Beat, hourly (CELERY_BEAT_SCHEDULE "crm-lead-follow-up-remind"): tell owners about leads due for a follow-up
    today. Idempotent; overlapping runs remind each lead once per follow-up date (UPDATE ... RETURNING)."""
    services.lead_follow_up_remind(now=timezone.now())


@shared_task(acks_late=True, ignore_result=True, expires=3600)
def quotes_expire() -> None:
    """Beat, daily (CELERY_BEAT_SCHEDULE "crm-quotes-expire"): sent quotes past their validity date become expired,
    in one set-based UPDATE. Idempotent: a second run expires nothing."""
    services.quote_expire_due(now=timezone.now())
