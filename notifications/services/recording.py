"""Recording a send's outcome: the delivery's fields and one DeliveryAttempt row per try (the provider's
answer), the backoff of transient failures, and the guard that a batch writes only rows it still holds."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from django.db import transaction

from ..channels.base import TransientError
from ..choices import Channel, DeliveryStatus
from ..models import Delivery, DeliveryAttempt

SEND_FIELDS = [
    "status", "scheduled_for", "reason", "provider_message_id", "sent_at", "locked_until",
    "subject", "body_text", "body_html", "updated_at",
]  # fmt: skip

RECORD_EVERY = 20  # outcomes written per UPDATE in a batch: one commit per 20 sends, not per send

REPORTED_CHANNELS = {Channel.SMS}  # the provider reports delivery by callback, maybe before we record the send

_REPORT_FIELDS = {"status", "reason", "scheduled_for"}  # what a report may have written


def backoff(attempt: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at 1 h, with ±20% jitter so retries of one outage do not stampede."""
    base = min(30 * 2 ** max(attempt - 1, 0), 3600)
    return timedelta(seconds=base * random.uniform(0.8, 1.2))


def attempt_note(delivery: Delivery, *, now: datetime, outcome: str, answer: str) -> None:
    """This try's row of the delivery log (numbered, with the provider's answer on one line), kept on the
    delivery until its outcome is written with it (record_one, record)."""
    delivery.attempt_pending = DeliveryAttempt(
        delivery=delivery,
        number=delivery.attempts,
        created_at=now,
        outcome=outcome[: DeliveryAttempt.OUTCOME_MAX],
        answer=" ".join(answer.split())[: DeliveryAttempt.ANSWER_MAX],
    )


def _attempts_take(deliveries: list[Delivery]) -> list[DeliveryAttempt]:
    """The attempt rows noted on `deliveries`, each handed out once (a delivery recorded twice logs one try)."""
    attempts = [d.attempt_pending for d in deliveries if getattr(d, "attempt_pending", None) is not None]
    for delivery in deliveries:
        delivery.attempt_pending = None
    return attempts


def transient(delivery: Delivery, exc: TransientError, *, now: datetime) -> None:
    """Back to the queue with a backoff, or failed once max_attempts are spent."""
    final = delivery.attempts >= delivery.max_attempts
    delivery.status = DeliveryStatus.FAILED if final else DeliveryStatus.QUEUED
    delivery.scheduled_for = None if final else now + backoff(delivery.attempts)
    delivery.reason = (f"{exc} (gave up after {delivery.attempts} attempts)" if final else str(exc))[:300]
    retry_at = None if final else delivery.scheduled_for.astimezone(UTC)
    outcome = f"{exc}, no attempts left" if final else f"{exc}, retry at {retry_at:%H:%M:%S}Z"
    attempt_note(delivery, now=now, outcome=outcome, answer=exc.response)


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
    with transaction.atomic():
        written = rows_ours([delivery.pk], lease).update(**fields)
        if not written and delivery.provider_message_id:
            written = Delivery.objects.filter(
                pk=delivery.pk,
                provider_message_id=delivery.provider_message_id,
                status__in=[DeliveryStatus.DELIVERED, DeliveryStatus.FAILED],
            ).update(**{name: value for name, value in fields.items() if name not in _REPORT_FIELDS})
        attempts = _attempts_take([delivery])
        if written:
            DeliveryAttempt.objects.bulk_create(attempts)


def record(deliveries: list[Delivery], *, lease: datetime | None = None) -> None:
    """Write a batch's outcomes (one UPDATE), for the rows this batch still holds."""
    if not deliveries:
        return
    with transaction.atomic():
        ours = set(rows_ours([d.pk for d in deliveries], lease).select_for_update().values_list("pk", flat=True))
        mine = [d for d in deliveries if d.pk in ours]
        Delivery.objects.bulk_update(mine, SEND_FIELDS)
        DeliveryAttempt.objects.bulk_create(_attempts_take(mine))
        _attempts_take(deliveries)  # the others' tries are another worker's to log
