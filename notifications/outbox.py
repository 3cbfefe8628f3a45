"""The transactional outbox: how every app emits its domain events.

An app's service calls `event_record(...)` inside the transaction of the change. The event row commits with the
change or not at all, so a committed write always has its event and a rolled-back one never does. After commit
the row is handed to a worker (`outbox_dispatch_task`); the hand-off never fails the request: with the broker
down it is logged and skipped, and the beat sweep (`outbox_sweep`, every few seconds) dispatches every event
whose task never ran, once its lease has passed.

Dispatching an event (`outbox_dispatch`) locks its row (SKIP LOCKED: two workers never take one event), writes the
webhook messages (`services.event_publish`) and the follower notifications (`services.notify_followers`), and
stamps `dispatched_at`, all in one transaction: each event is dispatched exactly once, however often its task
runs, and a worker killed half-way leaves nothing behind but the event, which the sweep dispatches again.
An event whose fan-out fails is retried with backoff; its last error is kept (admin: Outbox events).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from . import registry
from .models import OutboxEvent

logger = logging.getLogger(__name__)

# A recorded event is left to its own task this long before the sweep takes it (a task normally runs within
# milliseconds of the commit; a lost one costs this much delay).
LEASE_SECONDS = 15
# Backoff after a failed fan-out: 10 s, 20 s, 40 s, ... capped at an hour.
RETRY_BASE_SECONDS, RETRY_MAX_SECONDS = 10, 3600
HAND_OFF_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
SWEEP_BATCH = 500  # events read per sweep query
SWEEP_SECONDS = 30  # a sweep starts no new batch after this long (the next sweep carries on)


def event_record(event: str, data: dict, *, url: str = "", permission: str = "", by_id=None) -> OutboxEvent:
    """Record a domain event in the caller's transaction; it is dispatched after commit.

    `data` is the resource as the API serializes it for staff (plain JSON data): the webhook body's `data` and
    the notifications' template context. `url` is the link people get, `permission` the one staff followers must
    hold (e.g. "crm.view_account"), `by_id` the user who made the change (never told of it). LookupError for an
    event that is not in the catalogue."""
    registry.get(event)
    row = OutboxEvent.objects.create(
        event=event,
        data=data,
        url=url,
        permission=permission,
        actor_id=by_id,
        next_attempt_at=timezone.now() + timedelta(seconds=LEASE_SECONDS),
    )
    transaction.on_commit(lambda: _hand_off(row.pk))
    return row


def _hand_off(event_id) -> None:
    """After commit: queue the event's dispatch. Never raises: the write has committed and its answer must not be
    an error (a client would retry and write twice); the sweep dispatches what could not be queued."""
    from .tasks import outbox_dispatch_task

    try:
        # One quick retry (a stale pooled connection), then give up: with the broker down the request must not
        # hang on reconnects. (retry=False is no faster: redis-py then backs off on its own for ~6 s.)
        outbox_dispatch_task.apply_async((str(event_id),), retry=True, retry_policy=HAND_OFF_RETRY)
    except Exception:  # noqa: BLE001 - any broker or transport error: the sweep takes over
        logger.warning("Outbox event %s not queued (broker unavailable); the sweep will send it", event_id)


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS))


def _fan_out(row: OutboxEvent) -> None:
    from . import services

    if registry.get(row.event).webhooks:
        services.event_publish(row.event, row.data)
    services.notify_followers(
        row.event,
        row.data,
        url=row.url,
        permission=row.permission,
        exclude_user_id=row.actor_id,
        idempotency_key=f"outbox:{row.pk}",
    )


def outbox_dispatch(event_id, *, now: datetime | None = None) -> bool:
    """Dispatch one event if nobody has: True when this call did. Locks the row (SKIP LOCKED), so a concurrent
    dispatch of the same event returns False at once; messages, notifications and `dispatched_at` commit together.
    A failing fan-out is rolled back and rescheduled with backoff (False)."""
    with transaction.atomic():
        row = (
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(pk=event_id, dispatched_at__isnull=True)
            .first()
        )
        if row is None:
            return False  # dispatched already, or another worker holds it
        now = now or timezone.now()
        row.attempts += 1
        try:
            with transaction.atomic():  # a savepoint: a failure undoes the fan-out, not the bookkeeping below
                _fan_out(row)
        except Exception as exc:  # recorded on the row and retried: one bad event blocks no other
            logger.exception("Outbox event %s (%s) failed to dispatch", row.pk, row.event)
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            row.next_attempt_at = now + _backoff(row.attempts)
            row.save(update_fields=["attempts", "last_error", "next_attempt_at", "updated_at"])
            return False
        row.dispatched_at = now
        row.save(update_fields=["attempts", "dispatched_at", "updated_at"])
    return True


def outbox_dispatch_due(*, now: datetime | None = None, seconds: float = SWEEP_SECONDS) -> int:
    """The sweep: dispatch events whose task was lost or whose retry is due, oldest first, until none is left or
    `seconds` have passed. Overlapping sweeps are safe (each event is locked while dispatched). Returns how many
    this call dispatched."""
    started = time.monotonic()
    done = 0
    while True:
        due = list(
            OutboxEvent.objects.filter(dispatched_at__isnull=True, next_attempt_at__lte=now or timezone.now())
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        batch = 0
        for pk in due:
            batch += outbox_dispatch(pk, now=now)
            if time.monotonic() - started > seconds:
                return done + batch
        done += batch
        if len(due) < SWEEP_BATCH or not batch:
            return done
