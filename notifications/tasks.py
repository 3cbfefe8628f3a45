"""Celery tasks: thin, idempotent wrappers over services (STYLE.md section 8)."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, ignore_result=True)
def deliveries_send_task(ids: list[str]) -> None:
    """Send a batch of deliveries. Each row is claimed before it is sent: running twice sends nothing twice."""
    services.deliveries_send(ids)


@shared_task(acks_late=True, ignore_result=True, expires=9)
def deliveries_scan() -> None:
    """Beat, every 10 s: deliveries whose time came (quiet hours, backoff) or whose task or worker was lost."""
    services.deliveries_dispatch_due()


@shared_task(acks_late=True, ignore_result=True)
def webhook_messages_send_task(ids: list[str]) -> None:
    """Send a batch of webhook messages. Each is claimed before it is sent: running twice sends nothing twice,
    and a lost task is re-queued by webhook_scan once its queue lease passes."""
    from . import webhooks

    webhooks.webhook_messages_send(ids)


@shared_task(acks_late=True, ignore_result=True, expires=4)
def webhook_scan() -> None:
    """Beat, every 5 s: queue webhook messages whose next attempt is due (retries, lost tasks, dead workers).
    Overlapping scans are safe: rows are taken with SKIP LOCKED and leased."""
    from . import webhooks

    webhooks.webhook_dispatch_due()
