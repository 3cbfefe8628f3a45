"""Outbound webhooks following the Standard Webhooks specification (https://www.standardwebhooks.com/).

Publishing. Endpoints subscribe to event keys or to `["*"]`. `webhook_publish` records one WebhookMessage per
active, subscribed endpoint; its body is `{"type", "timestamp", "data"}` and its `message_id` is the
`webhook-id` header of every attempt, so receivers can drop duplicates.

Sending. `webhook_messages_send(ids)` claims due messages (SKIP LOCKED, then a conditional UPDATE pending →
sending), posts them concurrently through the SSRF-safe client (net.py), each request ending within
WEBHOOK_TIMEOUT of wall-clock time (net.deadline: a receiver trickling its answer is cut off), renews the claim
while the batch runs, logs one WebhookAttempt per request and either marks the message succeeded or schedules
its next attempt (`next_attempt_at`, after WEBHOOK_RETRY_SCHEDULE[n-1] seconds; failed once the
schedule is exhausted). Nothing waits inside the broker: `webhook_dispatch_due` (beat, every 5 s) queues messages
whose retry is due, whose task was lost, or whose worker died mid-send; messages the send task's time limit kept
from being tried are released to it at once. Delivery is at least once: a worker that dies after the receiver
answered but before the result is stored leads to one more attempt with the same webhook-id.

Signing. `webhook-signature: v1,<base64 HMAC-SHA256 over "{id}.{timestamp}.{body}">`, keyed with the
base64-decoded `whsec_` secret. After a rotation, the previous secret signs too (two space-separated
signatures) until `previous_secret_expires_at` (WEBHOOK_SECRET_OVERLAP_HOURS). `webhook-timestamp` is the
wall clock at sending time: receivers compare it with theirs.

Disabling. An endpoint is disabled, and its owner notified, when its last WEBHOOK_DISABLE_AFTER_FAILURES
attempts all failed (a success resets the count) AND the undelivered message that failed last is at least
WEBHOOK_DISABLE_AFTER_HOURS old (24 h, or the whole retry schedule if that is shorter). So a receiver that is down
for an afternoon is retried and never disabled, however busy it is; one that has been gone for a day is.
Its pending messages stay owed and resume when staff enable it again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import orjson
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import DatabaseError, transaction
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from omni.choices import Audience
from omni.exceptions import Conflict

from . import net, registry
from .choices import WebhookMessageStatus
from .events import WEBHOOK_ENDPOINT_DISABLED
from .models import WebhookAttempt, WebhookEndpoint, WebhookMessage
from .recipients import Recipient

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # Standard Webhooks: 24 to 64 random bytes
TEST_EVENT = "notifications.webhook_endpoint.test"  # the console's "Send test event"; sent whatever the subscription
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


# ---- signing ---------------------------------------------------------------------------------------------------


def secret_generate() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signature(secret: str, *, message_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256>` of `{message_id}.{timestamp}.{body}` keyed with the decoded secret."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signing_secrets(endpoint: WebhookEndpoint, *, now: datetime) -> list[str]:
    """The current secret, plus the previous one while the rotation overlap lasts."""
    keys = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires and expires > now:
        keys.append(endpoint.previous_secret)
    return keys


def body_bytes(payload: dict) -> bytes:
    # jsonb keeps keys in its own order; the body reads type, timestamp, data as the specification shows it.
    return orjson.dumps({"type": payload["type"], "timestamp": payload["timestamp"], "data": payload["data"]})


def headers_for(message: WebhookMessage, *, body: bytes, timestamp: int, now: datetime) -> dict[str, str]:
    signatures = [
        signature(key, message_id=message.message_id, timestamp=timestamp, body=body)
        for key in signing_secrets(message.endpoint, now=now)
    ]
    return {
        "webhook-id": message.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signatures),
        "content-type": "application/json",
        "accept-encoding": "identity",  # the excerpt is read raw: a compressed answer could expand without bound
    }


# ---- endpoints -------------------------------------------------------------------------------------------------


def url_clean(url) -> str:
    """A valid http(s) URL on public addresses (unless WEBHOOK_ALLOW_PRIVATE_URLS). ValidationError on `url`."""
    url = str(url or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError({"url": [_("Enter a valid http or https URL.")]}) from None
    if len(url) > WebhookEndpoint._meta.get_field("url").max_length:
        raise ValidationError({"url": [_("The URL is too long (1000 characters at most).")]})
    try:
        net.url_check(url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_URLS)
    except net.UnsafeURL as exc:
        raise ValidationError({"url": [str(exc)]}) from None
    return url


def events_clean(events) -> list[str]:
    """Webhook event keys from the catalogue (sorted, without repeats), or `["*"]` alone (every webhook event).
    Events sent only to people (`webhooks=False`) and the test event are refused. ValidationError on `events`."""
    if isinstance(events, str) or not isinstance(events, list | tuple) or not events:
        raise ValidationError({"events": [_('Give a list of event keys, or ["*"] for every event.')]})
    keys = list(dict.fromkeys(str(key).strip() for key in events))
    if "*" in keys:
        if len(keys) > 1:
            raise ValidationError({"events": [_('"*" already means every event: send it alone.')]})
        return ["*"]
    catalogue = {event.key: event for event in registry.all_events()}
    errors = []
    unknown = [key for key in keys if key not in catalogue and key != TEST_EVENT]
    if unknown:
        errors.append(_("Unknown events: %(keys)s.") % {"keys": ", ".join(unknown)})
    # A subscription that can never receive anything is a mistake the subscriber should hear about now.
    people_only = [key for key in keys if key in catalogue and not catalogue[key].webhooks]
    if people_only:
        errors.append(_("Sent to people only, never to webhooks: %(keys)s.") % {"keys": ", ".join(people_only)})
    if TEST_EVENT in keys:
        errors.append(
            _(
                "%(key)s needs no subscription: it is sent when asked for (the endpoint's test action), whatever the "
                "endpoint subscribed to."
            )
            % {"key": TEST_EVENT}
        )
    if errors:
        raise ValidationError({"events": errors})
    return sorted(keys)


def _deactivate(endpoint: WebhookEndpoint, *, reason: str, now: datetime) -> None:
    endpoint.is_active, endpoint.disabled_at, endpoint.disabled_reason = False, now, reason[:300]


def _activate(endpoint: WebhookEndpoint) -> None:
    endpoint.is_active, endpoint.disabled_at, endpoint.disabled_reason = True, None, ""
    endpoint.consecutive_failures = 0  # a fresh start: the next failures count from here


def webhook_endpoint_create(
    *, url: str, events, description: str = "", is_active: bool = True, owner=None, now: datetime | None = None
) -> WebhookEndpoint:
    """Create an endpoint with a fresh `whsec_` secret (the caller shows `endpoint.secret` once). The URL must
    resolve to public addresses unless WEBHOOK_ALLOW_PRIVATE_URLS. ValidationError keyed by field."""
    now = now or timezone.now()
    errors = {}
    try:
        url = url_clean(url)  # DNS: outside any transaction
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        events = events_clean(events)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    endpoint = WebhookEndpoint(
        url=url, events=events, description=(description or "").strip(), owner=owner, secret=secret_generate()
    )
    if not is_active:
        _deactivate(endpoint, reason=_("Created disabled."), now=now)
    endpoint.full_clean()
    endpoint.save()
    return endpoint


def webhook_endpoint_update(*, endpoint_id, by=None, now: datetime | None = None, **changes) -> WebhookEndpoint:
    """Change `url`, `events`, `description`, `owner` and/or `is_active` (only those given). Enabling clears the failure
    count and the disabled reason; a changed URL is checked like a new one. Locks the row."""
    now = now or timezone.now()
    unknown = set(changes) - {"url", "events", "description", "is_active", "owner"}
    if unknown:
        raise TypeError(f"Unknown fields: {sorted(unknown)}")
    errors = {}
    if "url" in changes:
        try:
            changes["url"] = url_clean(changes["url"])
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if "events" in changes:
        try:
            changes["events"] = events_clean(changes["events"])
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
        if "url" in changes and changes["url"] != endpoint.url:
            endpoint.url, endpoint.consecutive_failures = changes["url"], 0
        if "events" in changes:
            endpoint.events = changes["events"]
        if "description" in changes:
            endpoint.description = (changes["description"] or "").strip()
        if "owner" in changes:
            endpoint.owner = changes["owner"]
        active = changes.get("is_active", endpoint.is_active)
        if active and not endpoint.is_active:
            _activate(endpoint)
        elif not active and endpoint.is_active:
            who = getattr(by, "email", "") or _("staff")
            _deactivate(endpoint, reason=_("Disabled by %(who)s.") % {"who": who}, now=now)
        endpoint.full_clean()
        endpoint.save()
    return endpoint


def webhook_endpoint_set_active(*, endpoint_id, active: bool, by=None, now: datetime | None = None) -> WebhookEndpoint:
    """Enable or disable an endpoint; a repeat is a no-op."""
    return webhook_endpoint_update(endpoint_id=endpoint_id, by=by, now=now, is_active=active)


@transaction.atomic
def webhook_endpoint_secret_rotate(*, endpoint_id, now: datetime | None = None) -> WebhookEndpoint:
    """A new secret (the caller shows it once). The old one keeps signing, beside the new, for
    WEBHOOK_SECRET_OVERLAP_HOURS; rotating again within that time retires the oldest at once."""
    now = now or timezone.now()
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + timedelta(hours=settings.WEBHOOK_SECRET_OVERLAP_HOURS)
    endpoint.secret = secret_generate()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
    return endpoint


def webhook_endpoint_delete(*, endpoint_id) -> None:
    """Delete an endpoint with its messages and delivery log."""
    WebhookEndpoint.objects.filter(pk=endpoint_id).delete()


def webhook_test_send(*, endpoint_id, now: datetime | None = None) -> WebhookMessage:
    """Queue a test message (type TEST_EVENT) to one endpoint, whatever it subscribed to. Conflict when the
    endpoint is disabled."""
    now = now or timezone.now()
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    if not endpoint.is_active:
        message = _("The endpoint is disabled: enable it before sending to it.")
        raise Conflict(message, fields={"active": [message]})
    data = {
        "endpoint": {"id": str(endpoint.pk), "url": endpoint.url},
        "message": "A test event from DotMac Omni. Answer with a 2xx status to acknowledge it.",
    }
    return _messages_create([endpoint.pk], event=TEST_EVENT, data=data, now=now)[0]


def webhook_message_redeliver(*, message_id, now: datetime | None = None) -> WebhookMessage:
    """A new attempt of a message, due now, with the same webhook-id. A failed message gets one more attempt;
    a pending one is brought forward. Conflict when the endpoint is disabled or the message is being sent."""
    now = now or timezone.now()
    with transaction.atomic():
        message = WebhookMessage.objects.select_for_update(of=("self",)).select_related("endpoint").get(pk=message_id)
        if not message.endpoint.is_active:
            text = _("The endpoint is disabled: enable it before redelivering.")
            raise Conflict(text, fields={"active": [text]})
        if message.status == WebhookMessageStatus.SENDING and message.locked_until and message.locked_until > now:
            raise Conflict(_("This message is being sent right now."))
        message.status, message.next_attempt_at = WebhookMessageStatus.PENDING, now
        message.locked_until = now + timedelta(seconds=QUEUE_LEASE_SECONDS)
        message.save(update_fields=["status", "next_attempt_at", "locked_until", "updated_at"])
        _queue([message.pk])
    return message


# ---- publishing ----------------------------------------------------------------------------------------------


def webhook_publish(*, event: str, data: dict, now: datetime | None = None) -> list[WebhookMessage]:
    """One message per active endpoint subscribed to `event` (or to "*"), due now, queued after commit.
    `data` is the resource as the API serializes it (plain JSON data)."""
    endpoints = WebhookEndpoint.objects.filter(is_active=True).filter(
        Q(events__contains=["*"]) | Q(events__contains=[event])
    )
    return _messages_create(list(endpoints.values_list("pk", flat=True)), event=event, data=data, now=now)


def _messages_create(endpoint_ids: list, *, event: str, data: dict, now: datetime | None) -> list[WebhookMessage]:
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
    _queue([message.pk for message in messages])
    return messages


def _queue(ids: list) -> None:
    """Send tasks for these messages after the current transaction commits, SEND_BATCH per task."""
    from .tasks import webhook_messages_send_task

    for start in range(0, len(ids), SEND_BATCH):
        webhook_messages_send_task.delay_on_commit([str(pk) for pk in ids[start : start + SEND_BATCH]])


# ---- sending ---------------------------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class Outcome:
    succeeded: bool
    status_code: int | None = None
    latency_ms: int | None = None
    response_excerpt: str = ""
    error: str = ""


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
        _record([message for message, _ in tried], [outcome for _, outcome in tried], now=now)
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


def _record(messages: list[WebhookMessage], outcomes: list[Outcome], *, now: datetime) -> None:
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
    from . import services

    reason = _("%(failures)d deliveries failed in a row; the last: %(error)s") % {
        "failures": failures,
        "error": last.error or _("no answer"),
    }
    endpoint = WebhookEndpoint.objects.select_related("owner").get(pk=endpoint_id)
    _deactivate(endpoint, reason=reason, now=now)
    endpoint.save(update_fields=["is_active", "disabled_at", "disabled_reason", "updated_at"])
    logger.warning("webhook endpoint %s disabled: %s", endpoint.pk, reason)
    owner = endpoint.owner
    if owner is None or not owner.is_active:
        return
    services.notify(
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


# ---- the due scan ----------------------------------------------------------------------------------------------


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
            _queue(ids)
    return [str(pk) for pk in ids]


# ---- reads -----------------------------------------------------------------------------------------------------


def webhook_endpoint_list_visible_to(*, user) -> QuerySet[WebhookEndpoint]:
    """Staff with the view permission see every endpoint; everyone else none."""
    if (
        user.is_authenticated
        and user.audience == Audience.STAFF
        and user.has_perm("notifications.view_webhookendpoint")
    ):
        return WebhookEndpoint.objects.select_related("owner")
    return WebhookEndpoint.objects.none()


def webhook_message_list(*, endpoint_id) -> QuerySet[WebhookMessage]:
    """An endpoint's messages, newest first, each with its attempts (oldest first)."""
    return (
        WebhookMessage.objects.filter(endpoint_id=endpoint_id)
        .prefetch_related(Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("number")))
        .order_by("-created_at", "-pk")
    )


def webhook_message_counts(*, endpoint_id) -> dict[str, int]:
    """Messages per status for one endpoint (the console's summary)."""
    rows = WebhookMessage.objects.filter(endpoint_id=endpoint_id).order_by().values("status").annotate(n=Count("pk"))
    counts = dict.fromkeys(WebhookMessageStatus.values, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts
