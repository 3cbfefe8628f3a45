"""Celery tasks: thin, idempotent wrappers over services (STYLE.md section 8)."""

import math

from celery import shared_task
from django.conf import settings

from . import outbox, retention, services
from .services import webhook_sending

# A retention run starts no new batch after this long and queues the next run instead: with acks_late, a task
# still running when Redis' 1 h visibility_timeout passes is handed to a second worker.
RETENTION_RUN_SECONDS = 10 * 60

# Time limits (the global CELERY_TASK_SOFT_TIME_LIMIT / CELERY_TASK_TIME_LIMIT, 300 s / 360 s, unless set here).
# A delivery batch starts no send after SEND_BUDGET_SECONDS and one send takes at most SEND_MAX_SECONDS, so it
# ends before the soft limit: that limit only meets a batch stuck where no deadline reaches (an SMTP server).
DELIVERIES_SOFT_LIMIT = max(
    settings.CELERY_TASK_SOFT_TIME_LIMIT, math.ceil(services.SEND_BUDGET_SECONDS + services.SEND_MAX_SECONDS) + 30
)
# A webhook batch takes at most SEND_ROUNDS request deadlines (WEBHOOK_TIMEOUT each).
WEBHOOKS_SOFT_LIMIT = max(
    settings.CELERY_TASK_SOFT_TIME_LIMIT, math.ceil(webhook_sending.SEND_ROUNDS * settings.WEBHOOK_TIMEOUT) + 30
)
RETENTION_SOFT_LIMIT = RETENTION_RUN_SECONDS + 5 * 60  # a run plus its last batch
HARD_AFTER_SOFT = 60  # seconds a task interrupted by its soft limit has to record and release its rows


@shared_task(
    acks_late=True,
    ignore_result=True,
    soft_time_limit=DELIVERIES_SOFT_LIMIT,
    time_limit=DELIVERIES_SOFT_LIMIT + HARD_AFTER_SOFT,
)
def deliveries_send_task(ids: list[str]) -> None:
    """Send a batch of deliveries. Each row is claimed before it is sent: running twice sends nothing twice.
    Past its time budget or its soft time limit, the rows it has not sent are released (services.deliveries_send)."""
    services.deliveries_send(ids)


@shared_task(acks_late=True, ignore_result=True, expires=9)
def deliveries_scan() -> None:
    """Beat, every 10 s: deliveries whose time came (quiet hours, backoff) or whose task or worker was lost."""
    services.deliveries_dispatch_due()


@shared_task(
    acks_late=True,
    ignore_result=True,
    soft_time_limit=WEBHOOKS_SOFT_LIMIT,
    time_limit=WEBHOOKS_SOFT_LIMIT + HARD_AFTER_SOFT,
)
def webhook_messages_send_task(ids: list[str]) -> None:
    """Send a batch of webhook messages. Each is claimed before it is sent: running twice sends nothing twice,
    and a lost task is re-queued by webhook_scan once its queue lease passes. At its soft time limit, messages
    not yet tried are released (services.webhook_messages_send)."""
    services.webhook_messages_send(ids)


@shared_task(acks_late=True, ignore_result=True, expires=4)
def webhook_scan() -> None:
    """Beat, every 5 s: queue webhook messages whose next attempt is due (retries, lost tasks, dead workers).
    Overlapping scans are safe: rows are taken with SKIP LOCKED and leased."""
    services.webhook_dispatch_due()


@shared_task(
    acks_late=True,
    ignore_result=True,
    expires=6 * 3600,
    soft_time_limit=RETENTION_SOFT_LIMIT,
    time_limit=RETENTION_SOFT_LIMIT + HARD_AFTER_SOFT,
)
def retention_prune() -> None:
    """Beat, daily: delete notification rows past their retention (notifications.retention). Idempotent, and
    overlapping runs skip each other's rows. A backlog bigger than one run queues the next run. Expires after 6 h:
    a run that workers could not start by then is dropped, and the next night's catches up."""
    if not retention.prune_for(seconds=RETENTION_RUN_SECONDS):
        retention_prune.delay()


@shared_task(acks_late=True, ignore_result=True)
def outbox_dispatch_task(event_id: str) -> None:
    """Dispatch one domain event (webhook messages, follower notifications). Queued after the commit that recorded
    it; running twice dispatches nothing twice (the row is locked and stamped)."""
    outbox.outbox_dispatch(event_id)


@shared_task(acks_late=True, ignore_result=True, expires=4)
def outbox_sweep() -> None:
    """Beat, every 5 s: dispatch domain events whose task never ran (the broker was down at commit, the worker
    died) or whose retry is due. Overlapping sweeps are safe."""
    outbox.outbox_dispatch_due()
