"""Sending claimed deliveries: claim a batch, check preferences and quiet hours again, render and send each,
record the outcomes (recording.py) and give back what was not tried. Every step is idempotent: a delivery is
claimed by a conditional UPDATE before it is sent, retried with exponential backoff on transient failures."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from time import monotonic

from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .. import registry, rendering
from ..channels import SENDERS
from ..channels import push as push_channel
from ..channels.base import NoAddress, PermanentError, TransientError
from ..choices import Channel, DeliveryStatus
from ..models import Delivery
from ..selectors import preference_choices, quiet_hours_by_key, quiet_hours_end
from .recording import REPORTED_CHANNELS, attempt_note, record, record_one, rows_ours, transient

logger = logging.getLogger(__name__)

QUIET_CHANNELS = (Channel.SMS, Channel.PUSH)  # quiet hours defer these; email and in-app wait in an inbox
CLAIM_SECONDS = 300  # a claimed delivery is retried by the scan if its worker dies before finishing
RENEW_SECONDS = CLAIM_SECONDS / 3  # a running batch renews its claim before a send once this has passed
# The longest one send may take: a push to each of a user's subscriptions, each request within its deadline.
# (SMS: one request within sms.TIMEOUT; email: the SMTP server's EMAIL_TIMEOUT per step.)
PUSH_SUBSCRIPTIONS_MAX = push_channel.MAX_SUBSCRIPTIONS
SEND_MAX_SECONDS = PUSH_SUBSCRIPTIONS_MAX * push_channel.TIMEOUT
SEND_BUDGET_SECONDS = 120  # a batch starts no send after this; the task's soft time limit (300 s) is above it
INTERRUPTED = "interrupted by the send task's time limit"
QUEUE_LEASE_SECONDS = 60  # a queued delivery handed to a task is not handed out again by the scan for this long
BATCH = 100  # deliveries per send task
RECORD_EVERY = 20  # outcomes written per UPDATE in a batch: one commit per 20 sends, not per send


def deliveries_queue(ids: list) -> None:
    """Queue send tasks for these deliveries after the current transaction commits, BATCH per task."""
    if not ids:
        return
    from ..tasks import deliveries_send_task

    for start in range(0, len(ids), BATCH):
        chunk = [str(pk) for pk in ids[start : start + BATCH]]
        deliveries_send_task.delay_on_commit(chunk)


def deliveries_claim(ids: Iterable, *, now: datetime) -> list[Delivery]:
    """Claim the due, queued deliveries among `ids` for this worker (SKIP LOCKED: two workers never claim one
    row). Others are already sent, claimed, deferred or final: a repeated task does nothing."""
    with transaction.atomic():
        claimed = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(pk__in=list(ids), status=DeliveryStatus.QUEUED)
            .filter(Q(scheduled_for__isnull=True) | Q(scheduled_for__lte=now))
            .values_list("pk", flat=True)
        )
        Delivery.objects.filter(pk__in=claimed).update(
            status=DeliveryStatus.SENDING,
            locked_until=now + timedelta(seconds=CLAIM_SECONDS),
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    return list(Delivery.objects.filter(pk__in=claimed))


def _check_at_send(deliveries: list[Delivery], *, now: datetime) -> list[Delivery]:
    """Preferences and quiet hours again at send time (two queries at most): someone who opted out after
    notify() (while their SMS waited for quiet hours to end, say) gets nothing; an SMS or push whose send
    comes inside the person's quiet hours (a retry after a backoff or from staff, quiet hours set since)
    waits for the window's end. Returns the deliveries to send now."""
    choices = preference_choices({d.recipient_key for d in deliveries}, {d.event for d in deliveries})
    quiet_keys = [d.recipient_key for d in deliveries if d.channel in QUIET_CHANNELS]
    quiet = quiet_hours_by_key(quiet_keys) if quiet_keys else {}
    keep, suppressed, deferred = [], [], {}
    for delivery in deliveries:
        choice = choices.get((delivery.recipient_key, delivery.event, delivery.channel))
        test = rendering.TEST_KEY in delivery.payload
        if choice is not None and not choice[0] and not _mandatory(delivery.event) and not test:
            suppressed.append(delivery.pk)
            continue
        if delivery.channel in QUIET_CHANNELS and delivery.recipient_key in quiet and not test:
            # In the person's own time zone, as notify() read it: read in the instance's zone, a Tokyo customer's
            # SMS would go out in their night, and one that waited for 07:00 Tokyo could be held once more.
            end = quiet_hours_end(quiet[delivery.recipient_key], now=now, default_zone=delivery.time_zone)
            if end is not None:
                deferred.setdefault(end, []).append(delivery.pk)
                continue
        keep.append(delivery)
    claimed_never_tried = {"attempts": F("attempts") - 1, "locked_until": None, "updated_at": now}
    if suppressed:
        Delivery.objects.filter(pk__in=suppressed).update(
            status=DeliveryStatus.SUPPRESSED, reason="opted out", **claimed_never_tried
        )
    for end, pks in deferred.items():
        Delivery.objects.filter(pk__in=pks).update(
            status=DeliveryStatus.QUEUED, scheduled_for=end, reason="deferred by quiet hours", **claimed_never_tried
        )
    return keep


def _mandatory(event: str) -> bool:
    try:
        return registry.get(event).mandatory
    except LookupError:  # an event no app registers any more: delivery_send fails it with the reason
        return False


def delivery_send(
    delivery: Delivery, *, now: datetime | None = None, save: bool = True, lease: datetime | None = None
) -> Delivery:
    """Render and send one claimed delivery; record the outcome (`save=False`: the caller records it, see
    deliveries_send). Transient errors go back to the queue with a backoff until max_attempts, then fail."""
    now = now or timezone.now()
    sender = SENDERS.get(delivery.channel)
    try:
        if sender is None:
            raise PermanentError(f"the {delivery.channel} channel is not configured")
        rendered = rendering.render(
            event=delivery.event, channel=delivery.channel, language=delivery.language, payload=delivery.payload
        )
        if rendered is None:
            raise PermanentError(f"{delivery.event} has no {delivery.channel} template")
        delivery.subject, delivery.body_text, delivery.body_html = rendered.subject[:300], rendered.text, rendered.html
        result = sender(delivery, rendered)
    except TransientError as exc:
        transient(delivery, exc, now=now)
    except SoftTimeLimitExceeded:
        # The task's time limit came in the middle of this send, which may or may not have gone out: retried
        # like a transient failure (at least once), and the batch stops (deliveries_send).
        transient(delivery, TransientError(INTERRUPTED), now=now)
        delivery.locked_until, delivery.updated_at = None, now
        if save:
            record_one(delivery, lease=lease)
        raise
    except NoAddress as exc:
        delivery.status, delivery.reason = DeliveryStatus.SUPPRESSED, str(exc)[:300]
        attempt_note(delivery, now=now, outcome=f"suppressed: {exc}", answer="")
    except PermanentError as exc:
        delivery.status, delivery.reason = DeliveryStatus.FAILED, str(exc)[:300]
        attempt_note(delivery, now=now, outcome=f"failed: {exc}", answer=exc.response)
    except Exception as exc:  # a template that fails at send time, a bug in a sender: recorded, not retried
        logger.exception("delivery %s failed", delivery.pk)
        delivery.status, delivery.reason = DeliveryStatus.FAILED, f"{type(exc).__name__}: {exc}"[:300]
        attempt_note(delivery, now=now, outcome="failed", answer=delivery.reason)
    else:
        delivery.status, delivery.sent_at, delivery.reason = DeliveryStatus.SENT, now, ""
        delivery.provider_message_id = result.provider_message_id[:200]
        attempt_note(delivery, now=now, outcome="sent", answer=result.provider_response)
    delivery.locked_until, delivery.updated_at = None, now
    if save:
        record_one(delivery, lease=lease)
    return delivery


def deliveries_send(ids: Iterable, *, now: datetime | None = None, budget: float | None = None) -> int:
    """Claim and send a batch; returns how many were sent now. Safe to run twice for the same ids. Emails of
    one batch share one SMTP connection.

    Time. A batch starts no send after `budget` seconds (SEND_BUDGET_SECONDS): the rest go back to the queue
    in a new task. Interrupted by its task's soft time limit (tasks.py), it records what it sent, retries the
    send that was in flight with a backoff (it may have gone out: at least once) and gives the rest back,
    claimable at once: nothing stays claimed by a task that has stopped."""
    from ..channels import email

    fixed = now  # tests fix the time; a worker reads the clock for each send (backoff, sent_at)
    now = now or timezone.now()
    budget = SEND_BUDGET_SECONDS if budget is None else budget
    sent = 0
    claimed = deliveries_claim(ids, now=now)
    if not claimed:
        return 0
    started = monotonic()
    lease, renewed_at = claimed[0].locked_until, timezone.now()
    # Outcomes are written RECORD_EVERY at a time (a commit per send halved the rate, bench/notify_fanout.py).
    # A worker killed mid-batch resends at most those not yet recorded, after CLAIM_SECONDS; a warm shutdown
    # finishes the batch first. The claim is renewed while the batch runs, so a slow batch keeps its rows: it is
    # renewed before a send once RENEW_SECONDS have passed, and one send takes at most SEND_MAX_SECONDS, so
    # the claim (CLAIM_SECONDS > RENEW_SECONDS + SEND_MAX_SECONDS) never lapses between two renewals.
    pending: list[Delivery] = []
    handled: set = set()  # sent (or tried), checked at send time, or lost to another worker
    current: Delivery | None = None  # the send in progress
    untried: list[Delivery] = []
    interrupted = False
    try:
        with email.batch(), rendering.template_cache():
            todo, lost = _check_at_send(claimed, now=now), set()
            handled |= {d.pk for d in claimed} - {d.pk for d in todo}  # suppressed or deferred by the check
            for index, delivery in enumerate(todo):
                if monotonic() - started > budget:
                    untried = [d for d in todo[index:] if d.pk not in lost]
                    break
                if timezone.now() - renewed_at > timedelta(seconds=RENEW_SECONDS):
                    held = [d.pk for d in (*pending, *todo[index:]) if d.pk not in lost]
                    ours, lease = _lease_renew(held, lease)
                    renewed_at = timezone.now()
                    lost |= set(held) - ours  # handed to another worker meanwhile: neither sent nor recorded here
                    handled |= lost
                    pending = [d for d in pending if d.pk in ours]
                if delivery.pk in lost:
                    continue
                # Channels with delivery reports are recorded at once: a report is matched to its row by
                # the provider's message id, which must not wait for the batch.
                reported = delivery.channel in REPORTED_CHANNELS
                current = delivery
                delivery_send(delivery, now=fixed or timezone.now(), save=reported, lease=lease)
                current = None
                handled.add(delivery.pk)
                sent += delivery.status == DeliveryStatus.SENT
                if reported:
                    continue
                pending.append(delivery)
                if len(pending) >= RECORD_EVERY:
                    record(pending, lease=lease)
                    pending = []
    except SoftTimeLimitExceeded:
        logger.warning("delivery batch interrupted by the task's time limit: recording it, releasing the rest")
        interrupted = True
        if current is not None:  # delivery_send left it marked for a retry (or with its outcome, if it had one)
            pending.append(current)
            handled.add(current.pk)
        untried = [d for d in claimed if d.pk not in handled]
    finally:
        record(pending, lease=lease)
    if untried:
        _release(untried, lease=lease, now=fixed or timezone.now())
        if not interrupted:  # past the budget: a new task goes on at once (after a time limit, the scan will)
            deliveries_queue([d.pk for d in untried])
    return sent


def _release(deliveries: list[Delivery], *, lease: datetime | None, now: datetime) -> None:
    """Give back claimed deliveries that were never tried: queued again, claimable at once, the attempt that
    the claim counted undone. Only rows this batch still holds."""
    rows_ours([d.pk for d in deliveries], lease).update(
        status=DeliveryStatus.QUEUED, attempts=F("attempts") - 1, locked_until=None, updated_at=now
    )


def _lease_renew(pks: list, lease: datetime) -> tuple[set, datetime]:
    """Extend this batch's claim on its rows (a slow batch must not outlive it: the scan would hand its rows
    to another worker, which would send them again). Returns the rows still ours and the new lease."""
    renewed = timezone.now() + timedelta(seconds=CLAIM_SECONDS)
    with transaction.atomic():
        ours = set(rows_ours(pks, lease).select_for_update().values_list("pk", flat=True))
        Delivery.objects.filter(pk__in=ours).update(locked_until=renewed)
    return ours, renewed
