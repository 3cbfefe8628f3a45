"""Deliveries after their first send: staff retries, the SMS provider's delivery reports, and the beat scan that
queues what is due."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from omni.exceptions import Conflict

from ..choices import DeliveryStatus
from ..models import Delivery, DeliveryAttempt
from ..selectors import delivery_list_due
from .sending import QUEUE_LEASE_SECONDS, deliveries_queue


def deliveries_retry(ids: Iterable, *, now: datetime | None = None) -> int:
    """Send failed deliveries again (staff, from the delivery log): back in the queue with a fresh set of
    attempts. Other statuses are left alone. Returns how many were requeued."""
    now = now or timezone.now()
    with transaction.atomic():
        retry = list(
            Delivery.objects.select_for_update()
            .filter(pk__in=list(ids), status=DeliveryStatus.FAILED)
            .values_list("pk", flat=True)
        )
        Delivery.objects.filter(pk__in=retry).update(
            status=DeliveryStatus.QUEUED,
            scheduled_for=None,
            locked_until=None,
            max_attempts=F("attempts") + Delivery._meta.get_field("max_attempts").default,
            reason="",
            updated_at=now,
        )
    deliveries_queue(retry)
    return len(retry)


def delivery_retry(*, delivery_id, by=None, now: datetime | None = None) -> Delivery:
    """Send one failed delivery again (the API's retry action). Conflict (409) unless it failed."""
    if not deliveries_retry([delivery_id], now=now):
        status = Delivery.objects.values_list("status", flat=True).get(pk=delivery_id)
        message = f"A {status} delivery cannot be sent again; only failed ones can."
        raise Conflict(message, fields={"status": [message]})
    return Delivery.objects.get(pk=delivery_id)


def delivery_status_update(
    *, provider_message_id: str, status: str, response: str = "", delivery_id=None, now=None
) -> int:
    """A provider's delivery report (SMS status callback): SENT → DELIVERED or FAILED. Found by the provider's
    message id, or by `delivery_id` (carried in the callback URL) when the report beats the recording of that
    id; the report is a row of the delivery's attempt log. Unknown ids change nothing; a report for a final
    delivery changes nothing either. Returns the rows changed."""
    now = now or timezone.now()
    changes = {"updated_at": now}
    if status == DeliveryStatus.DELIVERED:
        changes.update(status=DeliveryStatus.DELIVERED, delivered_at=now)
    elif status == DeliveryStatus.FAILED:
        changes.update(status=DeliveryStatus.FAILED, reason="the provider reported a failure")
    else:
        return 0
    match = Q(provider_message_id=provider_message_id)
    if delivery_id is not None:
        match |= Q(pk=delivery_id, provider_message_id="")
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update()
            .filter(match, status__in=[DeliveryStatus.SENT, DeliveryStatus.SENDING])
            .values_list("pk", flat=True)
        )
        changed = Delivery.objects.filter(pk__in=ids).update(provider_message_id=provider_message_id, **changes)
        answer = " ".join(response.split())[: DeliveryAttempt.ANSWER_MAX]
        DeliveryAttempt.objects.bulk_create(
            [DeliveryAttempt(delivery_id=pk, created_at=now, outcome=f"report {status}", answer=answer) for pk in ids]
        )
    return changed


def deliveries_due(*, now: datetime, limit: int = 5000) -> list:
    """Lease the deliveries a worker should take now (selectors.delivery_list_due), after putting back in the
    queue the claims whose worker died (locked_until passed). Set-based. Rows handed out are leased for
    QUEUE_LEASE_SECONDS (locked_until on a queued row): while a long fan-out drains, the scan does not queue the
    same waiting rows again every 10 seconds. Returns their ids."""
    stale = Delivery.objects.filter(status=DeliveryStatus.SENDING, locked_until__lt=now)
    stale.update(status=DeliveryStatus.QUEUED, locked_until=None, updated_at=now)
    due = delivery_list_due(now=now)
    with transaction.atomic():
        ids = list(
            due.order_by("scheduled_for").select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit]
        )
        Delivery.objects.filter(pk__in=ids).update(locked_until=now + timedelta(seconds=QUEUE_LEASE_SECONDS))
    return ids


def deliveries_dispatch_due(*, now: datetime | None = None) -> int:
    """Beat: queue send tasks for every due delivery. Idempotent: sending claims each row first."""
    ids = deliveries_due(now=now or timezone.now())
    deliveries_queue(ids)
    return len(ids)
