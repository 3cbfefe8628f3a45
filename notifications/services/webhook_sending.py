"""Sending outbound webhooks (Standard Webhooks, https://www.standardwebhooks.com/).

Publishing. `webhook_publish` records one WebhookMessage per active, subscribed endpoint; its body is
`{"type", "timestamp", "data"}` and its `message_id` is the `webhook-id` header of every attempt, so receivers
can drop duplicates.

Sending. `webhook_messages_send(ids)` claims due messages (SKIP LOCKED, then a conditional UPDATE pending →
sending), posts them concurrently through the SSRF-safe client (net.py), each request ending within
WEBHOOK_TIMEOUT of wall-clock time (net.deadline: a receiver trickling its answer is cut off), renews the claim
while the batch runs, logs one WebhookAttempt per request and either marks the message succeeded or schedules
its next attempt (webhook_outcomes.py). Nothing waits inside the broker: `webhook_dispatch_due` (beat, every 5 s)
queues messages whose retry is due, whose task was lost, or whose worker died mid-send; messages the send task's
time limit kept from being tried are released to it at once. Delivery is at least once: a worker that dies after
the receiver answered but before the result is stored leads to one more attempt with the same webhook-id.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import datetime, timedelta

import httpx
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.utils import timezone

from .. import net
from ..choices import WebhookMessageStatus
from ..models import WebhookEndpoint, WebhookMessage
from .webhook_outcomes import Outcome, record
from .webhook_signing import body_bytes, headers_for

logger = logging.getLogger(__name__)

SEND_BATCH = 50  # messages per send task

CONCURRENCY = 10  # requests in flight per send task

SEND_ROUNDS = -(-SEND_BATCH // CONCURRENCY)  # a batch takes at most this many WEBHOOK_TIMEOUTs (each a deadline)

CLAIM_SECONDS = 300  # a claimed message whose worker died is sent again after this

RENEW_SECONDS = CLAIM_SECONDS / 3  # a running batch moves its claim on this often: it never lapses while it sends

INTERRUPTED = "interrupted: the send task reached its time limit"

QUEUE_LEASE_SECONDS = 60  # a queued message is not queued again by the scan for this long; a lost task is re-queued

DUE_LIMIT = 5000  # messages queued per scan (every 5 s)

EXCERPT_BYTES = 2000  # of a response body read, at most

EXCERPT_CHARS = 1000  # stored in the delivery log


def webhook_publish(*, event: str, data: dict, now: datetime | None = None) -> list[WebhookMessage]:
    """One message per active endpoint subscribed to `event` (or to "*"), due now, queued after commit.
    `data` is the resource as the API serializes it (plain JSON data)."""
    endpoints = WebhookEndpoint.objects.filter(is_active=True).filter(
        Q(events__contains=["*"]) | Q(events__contains=[event])
    )
    return messages_create(list(endpoints.values_list("pk", flat=True)), event=event, data=data, now=now)


def messages_create(endpoint_ids: list, *, event: str, data: dict, now: datetime | None) -> list[WebhookMessage]:
    if not endpoint_ids:
        return []
    now = now or timezone.now()
    body = {"type": event, "timestamp": now.isoformat().replace("+00:00", "Z"), "data": data}
    lease = now + timedelta(seconds=QUEUE_LEASE_SECONDS)  # queued below: the scan leaves them to their task
    messages = WebhookMessage.objects.bulk_create(
        [
            WebhookMessage(
                endpoint_id=endpoint_id,
                message_id=f"msg_{uuid.uuid4().hex}",
                event=event,
                payload=body,
                status=WebhookMessageStatus.PENDING,
                next_attempt_at=now,
                locked_until=lease,
                created_at=now,
            )
            for endpoint_id in endpoint_ids
        ],
        batch_size=1000,
    )
    messages_queue([message.pk for message in messages])
    return messages


def messages_queue(ids: list) -> None:
    """Send tasks for these messages after the current transaction commits, SEND_BATCH per task."""
    from ..tasks import webhook_messages_send_task

    for start in range(0, len(ids), SEND_BATCH):
        webhook_messages_send_task.delay_on_commit([str(pk) for pk in ids[start : start + SEND_BATCH]])


def webhook_messages_claim(ids: Iterable, *, now: datetime) -> list[WebhookMessage]:
    """Claim the due, pending messages among `ids` of active endpoints (SKIP LOCKED: two workers never claim one
    row; the conditional status makes a repeated task claim nothing). Counts the attempt."""
    with transaction.atomic():
        claimed = list(
            WebhookMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(
                pk__in=list(ids),
                status=WebhookMessageStatus.PENDING,
                next_attempt_at__lte=now,
                endpoint__is_active=True,
            )
            .order_by("created_at", "pk")
        )
        if claimed:
            locked_until = now + timedelta(seconds=CLAIM_SECONDS)
            WebhookMessage.objects.filter(pk__in=[message.pk for message in claimed]).update(
                status=WebhookMessageStatus.SENDING,
                locked_until=locked_until,
                attempts=F("attempts") + 1,
                updated_at=now,
            )
            for message in claimed:  # as the UPDATE left them (the rows are locked: nobody else changed them)
                message.status, message.locked_until = WebhookMessageStatus.SENDING, locked_until
                message.attempts += 1
    return claimed


def _read_excerpt(response: httpx.Response) -> str:
    return net.read_capped(response, EXCERPT_BYTES).decode("utf-8", errors="replace")[:EXCERPT_CHARS]


def webhook_post(message: WebhookMessage, *, now: datetime) -> Outcome:
    """One HTTP attempt: sign, POST, read at most an excerpt, all within WEBHOOK_TIMEOUT seconds of wall-clock
    time (a receiver trickling its answer is cut off then). Any 2xx succeeds; a 3xx is a failure (redirects are
    never followed), as are 4xx/5xx, timeouts, refused connections and non-public addresses. Touches no
    database, so batches run it in threads."""
    timeout = settings.WEBHOOK_TIMEOUT
    body = body_bytes(message.payload)
    # The wall clock, not `now`: receivers check the timestamp against their own clock (±5 minutes).
    headers = headers_for(message, body=body, timestamp=int(time.time()), now=now)
    http = net.client(allow_private=settings.WEBHOOK_ALLOW_PRIVATE_URLS, timeout=timeout)
    started = time.perf_counter()
    try:
        with (
            net.deadline(timeout),
            http.stream("POST", message.endpoint.url, content=body, headers=headers) as response,
        ):
            latency = round((time.perf_counter() - started) * 1000)
            excerpt = _read_excerpt(response)
    except net.UnsafeAddress as exc:
        return Outcome(False, error=f"refused: {exc}"[:500])
    except httpx.TimeoutException as exc:
        elapsed = round((time.perf_counter() - started) * 1000)
        return Outcome(False, latency_ms=elapsed, error=f"timed out after {timeout:g} s ({type(exc).__name__})")
    except httpx.HTTPError as exc:
        elapsed = round((time.perf_counter() - started) * 1000)
        return Outcome(False, latency_ms=elapsed, error=f"{type(exc).__name__}: {exc}"[:500])
    except SoftTimeLimitExceeded:  # the send task's time limit, raised in this (the main) thread
        elapsed = round((time.perf_counter() - started) * 1000)
        return Outcome(False, latency_ms=elapsed, error=INTERRUPTED)
    except Exception as exc:  # a bug must cost one failed attempt, never the batch
        logger.exception("webhook message %s: unexpected error", message.pk)
        return Outcome(False, error=f"{type(exc).__name__}: {exc}"[:500])
    code = response.status_code
    if 200 <= code < 300:
        return Outcome(True, code, latency, excerpt)
    if 300 <= code < 400:
        location = response.headers.get("location", "")
        error = f"HTTP {code}: redirect to {location or '(no location)'} not followed"
    else:
        error = f"HTTP {code}"
    return Outcome(False, code, latency, excerpt, error[:500])


_pool: ThreadPoolExecutor | None = None

_pool_lock = threading.Lock()


def _post_all(messages: list[WebhookMessage], *, now: datetime) -> list[Outcome | None]:
    """Post every message, CONCURRENCY at a time, each within WEBHOOK_TIMEOUT: the batch takes at most
    SEND_ROUNDS * WEBHOOK_TIMEOUT. Meanwhile this thread renews the batch's claim every RENEW_SECONDS, so the
    claim outlives the batch however long it takes. When the task's soft time limit interrupts the wait: a
    message not yet started gives None (never tried), one in flight a failed attempt (INTERRUPTED)."""
    global _pool
    with _pool_lock:  # created on first use, so that Celery's forked workers each get their own threads
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=CONCURRENCY, thread_name_prefix="webhook")
    futures = [_pool.submit(webhook_post, message, now=now) for message in messages]
    lease, renewed_at = messages[0].locked_until, time.monotonic()
    try:
        while wait(futures, timeout=RENEW_SECONDS).not_done:
            extend = time.monotonic() - renewed_at
            lease, renewed_at = _claim_renew(messages, lease, seconds=extend), time.monotonic()
    except SoftTimeLimitExceeded:
        logger.warning("webhook batch interrupted by the task's time limit: unsent messages are released")
        return [_outcome_when_interrupted(future) for future in futures]
    return [future.result() for future in futures]


def _outcome_when_interrupted(future) -> Outcome | None:
    if future.done():
        return future.result()
    if future.cancel():
        return None  # never started
    return Outcome(False, error=INTERRUPTED)  # in flight: it may arrive; the retry carries the same webhook-id


def _claim_renew(messages: list[WebhookMessage], lease: datetime, *, seconds: float) -> datetime:
    """Move this batch's claim `seconds` further, on the rows it still holds (a row the scan found stale and
    handed to another task keeps that task's claim). Returns the new lease."""
    renewed = lease + timedelta(seconds=seconds)
    try:
        WebhookMessage.objects.filter(
            pk__in=[message.pk for message in messages], status=WebhookMessageStatus.SENDING, locked_until=lease
        ).update(locked_until=renewed)
    except DatabaseError:  # the batch goes on; its claim may lapse, so a message may be sent once more
        logger.warning("webhook batch: renewing the claim failed", exc_info=True)
        return lease
    return renewed


def webhook_messages_send(ids: Iterable, *, now: datetime | None = None) -> int:
    """Claim, send and record a batch; returns how many succeeded. Safe to run twice for the same ids: the
    second run claims nothing. Messages a time limit kept from being tried are released: due now, their claim
    and attempt given back."""
    now = now or timezone.now()
    messages = webhook_messages_claim(ids, now=now)
    if not messages:
        return 0
    outcomes = _post_all(messages, now=now)
    tried = [(message, outcome) for message, outcome in zip(messages, outcomes, strict=True) if outcome is not None]
    if tried:
        record([message for message, _ in tried], [outcome for _, outcome in tried], now=now)
    untried = [message for message, outcome in zip(messages, outcomes, strict=True) if outcome is None]
    if untried:
        _release(untried, now=now)
    return sum(outcome.succeeded for _, outcome in tried)


def _release(messages: list[WebhookMessage], *, now: datetime) -> None:
    """Give back claimed messages that were never tried: pending and due now (the scan queues them again), the
    attempt the claim counted undone. Only rows still ours."""
    by_number: dict[int, list] = defaultdict(list)
    for message in messages:
        by_number[message.attempts].append(message.pk)
    for number, ids in by_number.items():
        WebhookMessage.objects.filter(pk__in=ids, status=WebhookMessageStatus.SENDING, attempts=number).update(
            status=WebhookMessageStatus.PENDING,
            attempts=F("attempts") - 1,
            next_attempt_at=now,
            locked_until=None,
            updated_at=now,
        )


def webhook_dispatch_due(*, now: datetime | None = None, limit: int = DUE_LIMIT) -> list[str]:
    """Beat: queue send tasks for messages whose attempt is due and that no task holds: retries whose time came,
    messages whose task was lost (queue lease passed) and claims whose worker died (claim expired). Set-based;
    overlapping scans skip each other's rows (SKIP LOCKED) and a queued row is leased, so nothing is queued
    twice within QUEUE_LEASE_SECONDS. Returns the ids queued."""
    now = now or timezone.now()
    free = Q(locked_until__isnull=True) | Q(locked_until__lte=now)
    with transaction.atomic():
        ids = list(
            WebhookMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                status__in=[WebhookMessageStatus.PENDING, WebhookMessageStatus.SENDING],  # the partial index
                next_attempt_at__lte=now,
                endpoint__is_active=True,
            )
            .filter(free)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            WebhookMessage.objects.filter(pk__in=ids).update(
                status=WebhookMessageStatus.PENDING,
                locked_until=now + timedelta(seconds=QUEUE_LEASE_SECONDS),
                updated_at=now,
            )
            messages_queue(ids)
    return [str(pk) for pk in ids]
