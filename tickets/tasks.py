"""Celery tasks: thin, idempotent wrappers over services (STYLE.md section 8)."""

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(acks_late=True, ignore_result=True, expires=3600)
def calendars_ical_sync() -> None:
    """Beat, nightly (CELERY_BEAT_SCHEDULE "tickets-calendars-ical-sync"): re-import every calendar's iCal feed.
    Running it twice imports the same dates (an import replaces the calendar's earlier imported ones)."""
    services.holidays_import_all(now=timezone.now())


@shared_task(acks_late=True, ignore_result=True, expires=50)
def sla_scan() -> None:
    """Beat, every minute (CELERY_BEAT_SCHEDULE "tickets-sla-scan"): mark SLA warnings and breaches and fire the
    escalation levels that are due. Expires before the next one is sent, so a backlog never runs stale scans;
    overlapping scans fire each level once."""
    services.sla_scan(now=timezone.now())


@shared_task(acks_late=True, ignore_result=True)
def sla_escalate(event_ids: list[str]) -> None:
    """The actions of SLA events the scan inserted (queued after its commit). Idempotent."""
    services.sla_escalate(event_ids=event_ids)


@shared_task(acks_late=True, ignore_result=True, expires=3000)
def pending_remind() -> None:
    """Beat, hourly (CELERY_BEAT_SCHEDULE "tickets-pending-remind"): remind customers of tickets pending them for
    TICKETS_PENDING_REMIND_DAYS days. Idempotent; overlapping runs remind each ticket once (UPDATE ... RETURNING)."""
    services.pending_remind(now=timezone.now())


@shared_task(acks_late=True, ignore_result=True, expires=3000)
def pending_autoclose() -> None:
    """Beat, hourly (CELERY_BEAT_SCHEDULE "tickets-pending-autoclose"): close tickets still pending customer
    TICKETS_PENDING_CLOSE_DAYS days after the reminder. Idempotent; each ticket re-read under a row lock."""
    services.pending_autoclose(now=timezone.now())
