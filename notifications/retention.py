"""Retention: delete notification rows past their keeping time (beat, daily: tasks.retention_prune; by hand:
`manage.py notifications_prune [--dry-run]`).

Age counts from creation (`created_at`, indexed on every table); a row goes when strictly older than its window:
- deliveries in a final state (sent, delivered, failed, suppressed) after NOTIFICATIONS_RETENTION_DAYS: they hold
  the payload and the rendered bodies, i.e. personal data. Queued and sending ones are never touched. An in-app
  notification made by a deleted delivery stays, unlinked (Notification.delivery is SET_NULL);
- webhook messages that succeeded or failed, with their attempt log, after WEBHOOK_RETENTION_DAYS;
- in-app notifications that were read, after INAPP_RETENTION_DAYS; unread ones stay however old;
- outbox events that were dispatched (their messages and deliveries are rows of their own), after
  OUTBOX_RETENTION_DAYS; undispatched ones stay.
0 days keeps a kind forever.

Set-based batches, each its own short transaction: up to `batch_size` rows are taken oldest first with
FOR UPDATE SKIP LOCKED, the rows pointing at them are dealt with as their foreign keys say, then they are
deleted by primary key: one statement per table per batch. A row a worker holds (a retry, a redelivery) is
never waited for: it goes on the next run. A run stopped anywhere has deleted whole batches only, so runs may be
repeated or overlap.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from .choices import DeliveryStatus, WebhookMessageStatus
from .models import Delivery, DeliveryAttempt, Notification, OutboxEvent, WebhookAttempt, WebhookMessage

logger = logging.getLogger(__name__)

# Rows per transaction. Each batch holds row locks on at most this many rows for well under a second, and
# Python keeps only their (pk, created_at): memory stays flat however big the backlog.
BATCH_SIZE = 5000

# Final states, named one by one: a status added later is kept until someone decides it may go
# (tests/notifications/test_retention.py holds these lists to the enums).
DELIVERY_FINAL = (DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.SUPPRESSED)
WEBHOOK_FINAL = (WebhookMessageStatus.SUCCEEDED, WebhookMessageStatus.FAILED)


@dataclass(frozen=True)
class Kind:
    """One kind of row the prune deletes."""

    key: str  # its count's name in prune()'s answer
    model: type[models.Model]
    setting: str  # days to keep; 0: forever
    prunable: Q  # which of the rows older than the window may go
    description: str  # for the command's output


KINDS = (
    Kind(
        "deliveries",
        Delivery,
        "NOTIFICATIONS_RETENTION_DAYS",
        Q(status__in=DELIVERY_FINAL),
        "deliveries (sent, delivered, failed, suppressed)",
    ),
    Kind(
        "webhook_messages",
        WebhookMessage,
        "WEBHOOK_RETENTION_DAYS",
        Q(status__in=WEBHOOK_FINAL),
        "webhook messages (succeeded, failed)",
    ),
    Kind(
        "inapp_notifications",
        Notification,
        "INAPP_RETENTION_DAYS",
        Q(read_at__isnull=False),
        "in-app notifications (read)",
    ),
    Kind(
        "outbox_events",
        OutboxEvent,
        "OUTBOX_RETENTION_DAYS",
        Q(dispatched_at__isnull=False),
        "outbox events (dispatched)",
    ),
)
# prune()'s answer: one count per kind, and the attempts that went with their webhook messages.
COUNTS = ("deliveries", "webhook_messages", "webhook_attempts", "inapp_notifications", "outbox_events")
_COUNT_OF_MODEL = {
    Delivery._meta.label: "deliveries",
    WebhookMessage._meta.label: "webhook_messages",
    WebhookAttempt._meta.label: "webhook_attempts",
    Notification._meta.label: "inapp_notifications",
    OutboxEvent._meta.label: "outbox_events",
}


def retention_days(kind: Kind) -> int:
    """The kind's window in days (0: keep forever). ImproperlyConfigured when negative: a cutoff in the
    future would delete every final row."""
    days = getattr(settings, kind.setting)
    if days < 0:
        raise ImproperlyConfigured(f"{kind.setting} must be 0 (keep forever) or a number of days, not {days}.")
    return days


def cutoff(kind: Kind, *, now: datetime) -> datetime | None:
    """Rows of this kind created before this may go; None when the kind is kept forever."""
    days = retention_days(kind)
    return now - timedelta(days=days) if days else None


def _cutoffs(now: datetime) -> list[tuple[Kind, datetime]]:
    """The kinds to prune and their cutoffs, every setting checked before any row is deleted."""
    return [(kind, before) for kind in KINDS if (before := cutoff(kind, now=now)) is not None]


def _expired(kind: Kind, before: datetime) -> models.QuerySet:
    return kind.model.objects.filter(kind.prunable, created_at__lt=before)


def prunable_counts(*, now: datetime | None = None) -> dict[str, int]:
    """What a prune at `now` would delete, counted (the dry run). Reads only (on the replica, when configured)."""
    now = now or timezone.now()
    counts = dict.fromkeys(COUNTS, 0)
    for kind, before in _cutoffs(now):
        expired = _expired(kind, before)
        counts[kind.key] = expired.count()
        if kind.model is WebhookMessage:
            counts["webhook_attempts"] = WebhookAttempt.objects.filter(message__in=expired.values("pk")).count()
    return counts


def _delete(model: type[models.Model], pks: list) -> dict[str, int]:
    """Delete these rows and deal with the rows pointing at them: one statement per table, whatever the batch
    size. (QuerySet.delete() would load every row and delete 100 per statement, since other tables point at
    deliveries and webhook messages.) test_retention_handles_every_row_pointing_at_what_it_deletes keeps this
    in step with the models' foreign keys."""
    counts = {}
    if model is Delivery:
        # Notification.delivery is SET_NULL: an in-app notification outlives its delivery, unlinked.
        Notification.objects.filter(delivery_id__in=pks).update(delivery=None)
        # DeliveryAttempt.delivery is CASCADE: the attempt log goes with its delivery (a single DELETE, as below).
        DeliveryAttempt.objects.filter(delivery_id__in=pks).delete()
    elif model is WebhookMessage:
        # WebhookAttempt.message is CASCADE: the attempt log goes with its message. Nothing points at attempts,
        # so this is a single DELETE (the collector's fast path); served by the (message, number) index.
        counts["webhook_attempts"] = WebhookAttempt.objects.filter(message_id__in=pks).delete()[0]
    with connection.cursor() as cursor:
        table, pk = (connection.ops.quote_name(name) for name in (model._meta.db_table, model._meta.pk.column))
        cursor.execute(f"DELETE FROM {table} WHERE {pk} = ANY(%s)", [pks])
        counts[_COUNT_OF_MODEL[model._meta.label]] = cursor.rowcount
    return counts


def _kind_batches(kind: Kind, *, before: datetime, batch_size: int) -> Iterator[dict[str, int]]:
    expired = _expired(kind, before)
    after = None
    while True:
        # Keyset walk on the created_at index every TimeStampedModel has: each batch starts at the previous
        # one's last created_at, so rows that stay (unread notifications, queued deliveries older than the
        # window) are passed once per run, not once per batch.
        page = expired if after is None else expired.filter(created_at__gte=after)
        with transaction.atomic():
            # Locked until this transaction ends, so nothing changes them between this read and the delete.
            taken = list(
                page.order_by("created_at")
                .select_for_update(skip_locked=True)
                .values_list("pk", "created_at")[:batch_size]
            )
            counts = _delete(kind.model, [pk for pk, _ in taken]) if taken else {}
        if not taken:
            return
        yield counts
        if len(taken) < batch_size:
            return
        after = taken[-1][1]


def prune_batches(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> Iterator[tuple[str, dict[str, int]]]:
    """Delete expired rows batch by batch, yielding (kind key, counts deleted) after each committed batch, e.g.
    ("webhook_messages", {"webhook_messages": 5000, "webhook_attempts": 6102}). Stopping the iteration between
    batches is safe. `now` fixes the cutoffs for the whole run, so a run ends even while rows keep expiring."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1.")
    for kind, before in _cutoffs(now or timezone.now()):
        for counts in _kind_batches(kind, before=before, batch_size=batch_size):
            yield kind.key, counts


def _run(*, now: datetime | None, batch_size: int, seconds: float | None) -> tuple[dict[str, int], bool]:
    started = time.monotonic()
    totals = dict.fromkeys(COUNTS, 0)
    finished = True
    with closing(prune_batches(now=now, batch_size=batch_size)) as batches:
        for _key, counts in batches:
            for name, n in counts.items():
                totals[name] += n
            if seconds is not None and time.monotonic() - started >= seconds:
                finished = False
                break
    logger.info(
        "retention: deleted %s deliveries, %s webhook messages with %s attempts, %s in-app notifications, "
        "%s outbox events%s",
        totals["deliveries"],
        totals["webhook_messages"],
        totals["webhook_attempts"],
        totals["inapp_notifications"],
        totals["outbox_events"],
        "" if finished else f"; stopped after {seconds:g} s, rows may be left",
    )
    return totals, finished


def prune(now: datetime | None = None, batch_size: int = BATCH_SIZE, *, dry_run: bool = False) -> dict[str, int]:
    """Delete every expired row (see the module docstring) in batches of `batch_size`, one transaction each.
    Returns the counts deleted: deliveries, webhook_messages, webhook_attempts, inapp_notifications,
    outbox_events.
    `dry_run`: count what would go and delete nothing. Idempotent; skips rows other transactions hold."""
    if dry_run:
        return prunable_counts(now=now)
    return _run(now=now, batch_size=batch_size, seconds=None)[0]


def prune_for(*, seconds: float, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> bool:
    """prune(), starting no new batch once `seconds` have passed. True when it finished, False when it stopped
    with rows possibly left (the task then queues another run)."""
    return _run(now=now, batch_size=batch_size, seconds=seconds)[1]
