"""Celery tasks: thin, idempotent wrappers over services (STYLE.md section 8)."""

from celery import shared_task

from .services import paths


@shared_task(acks_late=True, ignore_result=True, expires=50)
def paths_rebuild_due() -> None:
    """Beat, every minute (CELERY_BEAT_SCHEDULE "network-paths-rebuild"): rebuild the path cache of the PON ports
    whose debounce has run out. Overlapping runs are safe: ports are claimed with SKIP LOCKED, each rebuilt under
    its advisory lock."""
    paths.paths_rebuild_due()


@shared_task(acks_late=True, ignore_result=True, expires=3000)
def paths_reconcile() -> None:
    """Beat, nightly (CELERY_BEAT_SCHEDULE "network-paths-reconcile"): queue every PON port, so an edit that
    missed its hook is repaired within a day. Idempotent."""
    paths.paths_reconcile()
