"""Celery tasks of workforce: thin, idempotent wrappers over services (STYLE.md section 8)."""

from celery import shared_task
from django.utils import timezone

from . import services
from .services import dispatch, visits

SHIFT_WEEKS = 4  # how far ahead the nightly run keeps shifts generated


@shared_task(acks_late=True, ignore_result=True, expires=50)
def jeopardy_scan() -> None:
    """Beat, every minute (CELERY_BEAT_SCHEDULE "workforce-jeopardy-scan"): flag the appointments whose arrival
    will pass their window's end, one workforce.appointment.at_risk event each. Expires before the next is sent;
    overlapping or repeated scans flag and tell each appointment once."""
    services.appointments_flag_at_risk(now=timezone.now())


@shared_task(acks_late=True, ignore_result=True, expires=3000)
def shifts_generate() -> None:
    """Beat, nightly (CELERY_BEAT_SCHEDULE "workforce-shifts-generate"): shifts from the active patterns for the
    next SHIFT_WEEKS weeks. Idempotent: a shift is only added where the technician has none overlapping it."""
    services.shifts_generate(weeks=SHIFT_WEEKS, start=timezone.localdate())


@shared_task(acks_late=True, ignore_result=True, expires=3000)
def visit_reminders_send() -> None:
    """Beat, hourly in the day (CELERY_BEAT_SCHEDULE "workforce-visit-reminders"): remind customers of tomorrow's
    visits. Idempotent; overlapping runs remind each visit once per start (UPDATE ... RETURNING)."""
    visits.visit_reminders_send(now=timezone.now())


@shared_task(acks_late=True, ignore_result=True)
def dispatch_run_execute(run_id: str) -> None:
    """Solves a queued dispatch run (services.dispatch.dispatch_run_execute); a run already taken is skipped."""
    dispatch.dispatch_run_execute(run_id=run_id)
