"""Recording a send's outcome: the row's fields and one attempt row per try (the provider's answer), the
backoff of transient failures, and the guard that a batch writes only rows it still holds."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from django.db import transaction

from ..channels.base import TransientError
from ..choices import Channel, DeliveryStatus
from ..models import Delivery

SEND_FIELDS = [
    "status", "scheduled_for", "reason", "provider_message_id", "provider_response", "sent_at", "locked_until",
    "subject", "body_text", "body_html", "updated_at",
]  # fmt: skip

RECORD_EVERY = 20  # outcomes written per UPDATE in a batch: one commit per 20 sends, not per send

REPORTED_CHANNELS = {Channel.SMS}  # the provider reports delivery by callback, maybe before we record the send

_REPORT_FIELDS = {"status", "reason", "provider_response", "scheduled_for"}  # what a report may have written


def backoff(attempt: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at 1 h, with ±20% jitter so retries of one outage do not stampede."""
    base = min(30 * 2 ** max(attempt - 1, 0), 3600)
    return timedelta(seconds=base * random.uniform(0.8, 1.2))


def attempt_log(delivery: Delivery, *, now: datetime, outcome: str, answer: str) -> str:
    """provider_response keeps one line per attempt (newest last, the last 2000 characters): the provider's
    answer to each try, so the delivery log shows a retried message's whole story."""
    line = f"#{delivery.attempts} {now.astimezone(UTC):%Y-%m-%d %H:%M:%S}Z {outcome}"
    if answer:
        line += f": {' '.join(answer.split())}"
    log = f"{delivery.provider_response}\n{line}" if delivery.provider_response else line
    return log[-2000:]


def transient(delivery: Delivery, exc: TransientError, *, now: datetime) -> None:
    """Back to the queue with a backoff, or failed once max_attempts are spent."""
    final = delivery.attempts >= delivery.max_attempts
    delivery.status = DeliveryStatus.FAILED if final else DeliveryStatus.QUEUED
    delivery.scheduled_for = None if final else now + backoff(delivery.attempts)
    delivery.reason = (f"{exc} (gave up after {delivery.attempts} attempts)" if final else str(exc))[:300]
    retry_at = None if final else delivery.scheduled_for.astimezone(UTC)
    outcome = f"{exc}, no attempts left" if final else f"{exc}, retry at {retry_at:%H:%M:%S}Z"
    delivery.provider_response = attempt_log(delivery, now=now, outcome=outcome, answer=exc.response)


def rows_ours(pks, lease: datetime | None):
    """Rows still claimed by the batch holding `lease` (its claim's locked_until): a claim the scan found
    stale was handed to another worker, whose outcome must not be overwritten."""
    rows = Delivery.objects.filter(pk__in=pks, status=DeliveryStatus.SENDING)
    return rows.filter(locked_until=lease) if lease is not None else rows


def record_one(delivery: Delivery, *, lease: datetime | None = None) -> None:
    """Write one send's outcome. The row is still ours and SENDING unless the provider's delivery report came
    first (it can: the report may beat our UPDATE); then the report's status and log stay and the rest is
    written (the report wrote our message id, which identifies the row as ours)."""
    fields = {name: getattr(delivery, name) for name in SEND_FIELDS}
    if not rows_ours([delivery.pk], lease).update(**fields) and delivery.provider_message_id:
        Delivery.objects.filter(
            pk=delivery.pk,
            provider_message_id=delivery.provider_message_id,
            status__in=[DeliveryStatus.DELIVERED, DeliveryStatus.FAILED],
        ).update(**{name: value for name, value in fields.items() if name not in _REPORT_FIELDS})


def record(deliveries: list[Delivery], *, lease: datetime | None = None) -> None:
    """Write a batch's outcomes (one UPDATE), for the rows this batch still holds."""
    if not deliveries:
        return
    with transaction.atomic():
        ours = set(rows_ours([d.pk for d in deliveries], lease).select_for_update().values_list("pk", flat=True))
        Delivery.objects.bulk_update([d for d in deliveries if d.pk in ours], SEND_FIELDS)
