"""Recording webhook attempts and what they say about their endpoints.

Disabling. An endpoint is disabled, and its owner notified, when its last WEBHOOK_DISABLE_AFTER_FAILURES
attempts all failed (a success resets the count) AND the undelivered message that failed last is at least
WEBHOOK_DISABLE_AFTER_HOURS old (24 h, or the whole retry schedule if that is shorter). So a receiver that is down
for an afternoon is retried and never disabled, however busy it is; one that has been gone for a day is.
Its pending messages stay owed and resume when staff enable it again.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from ..choices import WebhookMessageStatus
from ..events import WEBHOOK_ENDPOINT_DISABLED
from ..models import WebhookAttempt, WebhookEndpoint, WebhookMessage
from ..recipients import Recipient
from .notifying import notify

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    succeeded: bool
    status_code: int | None = None
    latency_ms: int | None = None
    response_excerpt: str = ""
    error: str = ""


def endpoint_deactivate(endpoint: WebhookEndpoint, *, reason: str, now: datetime) -> None:
    endpoint.is_active, endpoint.disabled_at, endpoint.disabled_reason = False, now, reason[:300]


def record(messages: list[WebhookMessage], outcomes: list[Outcome], *, now: datetime) -> None:
    """Log every attempt; move each message on (succeeded, retry at its scheduled time, failed); keep the
    endpoints' failure counts. One transaction, a handful of set-based statements per batch."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    groups: dict[tuple[str, int], list] = defaultdict(list)
    for message, outcome in zip(messages, outcomes, strict=True):
        if outcome.succeeded:
            kind = "succeeded"
        elif message.attempts <= len(schedule):
            kind = "retry"
        else:
            kind = "failed"
        groups[(kind, message.attempts)].append(message.pk)
    with transaction.atomic():
        # Messages deleted meanwhile (their endpoint was deleted while the batch was out) get no log: an
        # attempt pointing at a gone row would fail the whole batch's commit, and every other message of it
        # would be sent again. The lock makes a delete still under way wait for this commit, or us for it.
        alive = set(
            WebhookMessage.objects.select_for_update(no_key=True)
            .filter(pk__in=[message.pk for message in messages])
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        WebhookAttempt.objects.bulk_create(
            [
                WebhookAttempt(
                    message=message,
                    number=message.attempts,
                    status_code=outcome.status_code,
                    latency_ms=outcome.latency_ms,
                    response_excerpt=outcome.response_excerpt,
                    error=outcome.error,
                    succeeded=outcome.succeeded,
                    created_at=now,
                )
                for message, outcome in zip(messages, outcomes, strict=True)
                if message.pk in alive
            ]
        )
        for (kind, number), ids in groups.items():
            # Only while still ours: a claim the scan found stale (worker too slow) was handed to another task.
            rows = WebhookMessage.objects.filter(pk__in=ids, status=WebhookMessageStatus.SENDING, attempts=number)
            common = {"locked_until": None, "updated_at": now}
            if kind == "succeeded":
                rows.update(status=WebhookMessageStatus.SUCCEEDED, succeeded_at=now, next_attempt_at=None, **common)
            elif kind == "retry":
                due = now + timedelta(seconds=schedule[number - 1])
                rows.update(status=WebhookMessageStatus.PENDING, next_attempt_at=due, **common)
            else:
                rows.update(status=WebhookMessageStatus.FAILED, next_attempt_at=None, **common)
        _endpoints_health(messages, outcomes, now=now)


def _endpoints_health(messages: list[WebhookMessage], outcomes: list[Outcome], *, now: datetime) -> None:
    """Failures in a row per endpoint (a success resets them); disable the endpoints that keep failing."""
    results: dict = defaultdict(list)
    for message, outcome in zip(messages, outcomes, strict=True):
        results[message.endpoint_id].append((message, outcome))
    # Locked in primary-key order, so two batches touching the same endpoints cannot deadlock.
    current = {
        row[0]: row[1:]
        for row in WebhookEndpoint.objects.select_for_update()
        .filter(pk__in=list(results))
        .order_by("pk")
        .values_list("pk", "consecutive_failures", "is_active")
    }
    changed: dict[int, list] = defaultdict(list)
    threshold = settings.WEBHOOK_DISABLE_AFTER_FAILURES
    failing_for = min(
        timedelta(hours=settings.WEBHOOK_DISABLE_AFTER_HOURS), timedelta(seconds=sum(settings.WEBHOOK_RETRY_SCHEDULE))
    )
    to_disable = []
    for endpoint_id, pairs in results.items():
        if endpoint_id not in current:
            continue  # deleted meanwhile
        count, active = current[endpoint_id]
        successes = [i for i, (_message, outcome) in enumerate(pairs) if outcome.succeeded]
        trailing = pairs[successes[-1] + 1 :] if successes else pairs
        new_count = len(trailing) if successes else count + len(trailing)
        if new_count != count:
            changed[new_count].append(endpoint_id)
        oldest = min((message.created_at for message, _outcome in trailing), default=None)
        if active and trailing and new_count >= threshold and oldest <= now - failing_for:
            to_disable.append((endpoint_id, new_count, trailing[-1][1]))
    for new_count, ids in changed.items():
        WebhookEndpoint.objects.filter(pk__in=ids).update(consecutive_failures=new_count, updated_at=now)
    for endpoint_id, failures, last in to_disable:
        _endpoint_auto_disable(endpoint_id, failures=failures, last=last, now=now)


def _endpoint_auto_disable(endpoint_id, *, failures: int, last: Outcome, now: datetime) -> None:
    """Disable a failing endpoint (row locked by the caller) and tell its owner: email and in-app, mandatory."""
    reason = _("%(failures)d deliveries failed in a row; the last: %(error)s") % {
        "failures": failures,
        "error": last.error or _("no answer"),
    }
    endpoint = WebhookEndpoint.objects.select_related("owner").get(pk=endpoint_id)
    endpoint_deactivate(endpoint, reason=reason, now=now)
    endpoint.save(update_fields=["is_active", "disabled_at", "disabled_reason", "updated_at"])
    logger.warning("webhook endpoint %s disabled: %s", endpoint.pk, reason)
    owner = endpoint.owner
    if owner is None or not owner.is_active:
        return
    notify(
        WEBHOOK_ENDPOINT_DISABLED,
        [Recipient.for_user(owner)],
        {
            "id": str(endpoint.pk),
            "endpoint_url": endpoint.url,
            "description": endpoint.description,
            "reason": endpoint.disabled_reason,
            "failures": failures,
            "disabled_at": now.isoformat().replace("+00:00", "Z"),
        },
        idempotency_key=f"{WEBHOOK_ENDPOINT_DISABLED}:{endpoint.pk}:{now.isoformat()}",
        url=_console_url(endpoint),
        now=now,
    )


def _console_url(endpoint: WebhookEndpoint) -> str:
    try:  # the staff console's route (a name, not an import: portals sit above notifications)
        path = reverse("staff:webhook_detail", kwargs={"pk": endpoint.pk})
    except NoReverseMatch:
        return ""
    return settings.OMNI_BASE_URL.rstrip("/") + path
