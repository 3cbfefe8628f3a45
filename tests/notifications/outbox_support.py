"""Running the outbox in tests: each event recorded by a service publishes its dispatch task to the real test
broker on commit; `outbox_run_published` takes those messages off the broker and runs them as a worker would."""

from __future__ import annotations

from notifications.models import OutboxEvent
from notifications.tasks import outbox_dispatch_task
from tests.celery_support import run_published


def outbox_run_published() -> int:
    """Run the published dispatch task of every undispatched event (each must have published exactly one), oldest
    first. Returns how many events were dispatched. Call it after the commit (django_capture_on_commit_callbacks
    with execute=True, or a transactional test)."""
    pending = list(OutboxEvent.objects.filter(dispatched_at__isnull=True).order_by("created_at").values_list("pk"))
    for (pk,) in pending:
        results = run_published(outbox_dispatch_task, str(pk))
        assert [result.state for result in results] == ["SUCCESS"], f"event {pk}: {results}"
    assert not OutboxEvent.objects.filter(dispatched_at__isnull=True).exists()
    return len(pending)
