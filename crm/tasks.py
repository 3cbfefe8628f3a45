"""crm's Celery tasks: thin, idempotent wrappers over its services."""

import logging

from celery import shared_task
from django.utils import timezone

from notifications.channels.base import TransientError

from . import services

logger = logging.getLogger(__name__)


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


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(TransientError,),
    retry_backoff=10,
    retry_backoff_max=600,
    max_retries=8,
)
def inbox_message_send(message_id: str) -> None:
    """Deliver one queued inbox reply through its channel's provider (services.message_deliver): sent once,
    however often the task runs; a transient provider error retries with backoff."""
    services.message_deliver(message_id=message_id)


@shared_task(acks_late=True, ignore_result=True, expires=50)
def inbox_snoozed_wake() -> None:
    """Beat, every minute (CELERY_BEAT_SCHEDULE "crm-inbox-snoozed-wake"): reopen the conversations whose snooze
    has passed, in one statement. Idempotent."""
    services.snoozed_wake(now=timezone.now())


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=120, time_limit=150)
def inbox_webhooks_process() -> None:
    """The SMS and WhatsApp webhooks' transactional inbox (services.inbox_ingest): process every due stored event,
    each exactly once (FOR UPDATE SKIP LOCKED), for up to 60 seconds; queued by a webhook (at most one per
    200 ms) and by beat every 30 seconds (CELERY_BEAT_SCHEDULE "crm-inbox-webhooks-sweep") for kicks that were
    lost. Another run at the same time takes other rows. More left after 60 s: it queues itself again."""
    services.inbound_webhooks_kick_clear()
    handled = services.inbound_webhooks_process(seconds=60)  # a row started at 60 s has 60 s before the soft limit
    if handled and services.inbound_webhooks_due():
        services.inbound_webhooks_kick()


@shared_task(acks_late=True, ignore_result=True, expires=3000)
def inbox_webhooks_prune() -> None:
    """Beat, nightly (CELERY_BEAT_SCHEDULE "crm-inbox-webhooks-prune"): delete the SMS and WhatsApp webhooks'
    processed events older than INBOX_WEBHOOK_RETENTION_DAYS, in batches. Runs may repeat or overlap."""
    deleted = services.inbound_webhooks_prune()
    if deleted:
        logger.info("inbox webhooks pruned: %s", deleted)
