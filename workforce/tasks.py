"""Celery tasks: thin, idempotent wrappers over services (STYLE.md section 8)."""

from celery import shared_task

from .services import dispatch


@shared_task(acks_late=True, ignore_result=True)
def dispatch_run_execute(run_id: str) -> None:
    """Solves a queued dispatch run (services.dispatch.dispatch_run_execute); a run already taken is skipped."""
    dispatch.dispatch_run_execute(run_id=run_id)
