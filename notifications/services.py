"""The one way to send: `notify(event, recipients, context)`; and `event_publish` for outbound webhooks.

notify() records one Delivery per person and channel (suppressed ones too, with the reason) and queues the
sending after commit; workers render and send (`deliveries_send`), retrying transient failures with
exponential backoff. Every step is idempotent: a delivery is claimed by a conditional UPDATE before it is sent.
"""

from __future__ import annotations

import logging
import random
import uuid
import zoneinfo
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from . import registry, rendering
from .channels import SENDERS
from .channels.base import PermanentError, TransientError
from .choices import Channel, DeliveryStatus
from .models import Delivery, Preference, QuietHours
from .recipients import Recipient

logger = logging.getLogger(__name__)

QUIET_CHANNELS = (Channel.SMS, Channel.PUSH)  # quiet hours defer these; email and in-app wait in an inbox
CLAIM_SECONDS = 300  # a claimed delivery is retried by the scan if its worker dies before finishing
BATCH = 100  # deliveries per send task
UNSUBSCRIBE_SALT = "notifications.unsubscribe"


# ---- notify ------------------------------------------------------------------------------------------------


def notify(
    event: str,
    recipients: Iterable[Recipient],
    context: dict,
    *,
    channels: Iterable[str] | None = None,
    idempotency_key: str | None = None,
    url: str = "",
    now: datetime | None = None,
) -> list[Delivery]:
    """Send `event` to each recipient on each of its channels (the event's defaults unless given).

    `context` is the event's payload (plain JSON-able data, never model instances). With `idempotency_key`
    (e.g. "crm.account.created:<id>"), calling again creates and sends nothing twice. Returns the
    deliveries, suppressed ones included."""
    event_type = registry.get(event)
    channels = tuple(channels or event_type.channels)
    unknown = set(channels) - set(Channel.values)
    if unknown:
        raise ValueError(f"Unknown channels: {sorted(unknown)}")
    now = now or timezone.now()
    recipients = list({r.key: r for r in recipients}.values())
    keys = [r.key for r in recipients]
    opted_out = _opted_out(keys, event) if not event_type.mandatory else set()
    quiet = {q.recipient_key: q for q in QuietHours.objects.filter(recipient_key__in=keys)}
    batch_key = idempotency_key or uuid.uuid4().hex
    rows = []
    for recipient in recipients:
        for channel in channels:
            address = _address(recipient, channel)
            status, reason, scheduled_for = DeliveryStatus.QUEUED, "", None
            if not address:
                status, reason = DeliveryStatus.SUPPRESSED, f"no {Channel(channel).label.lower()} address"
            elif (recipient.key, channel) in opted_out:
                status, reason = DeliveryStatus.SUPPRESSED, "opted out"
            elif channel in QUIET_CHANNELS and recipient.key in quiet:
                scheduled_for = quiet_hours_end(quiet[recipient.key], now=now)
                reason = "deferred by quiet hours" if scheduled_for else ""
            payload = {
                **context,
                **base_context(recipient=recipient, event=event, url=url, channel=channel),
            }
            rows.append(
                Delivery(
                    idempotency_key=f"{batch_key}:{recipient.key}:{channel}"[:200],
                    event=event,
                    channel=channel,
                    recipient_key=recipient.key,
                    recipient_name=recipient.name[:200],
                    address=address,
                    language=recipient.language or settings.LANGUAGE_CODE,
                    payload=payload,
                    status=status,
                    reason=reason,
                    scheduled_for=scheduled_for,
                )
            )
    # A repeated call meets the unique idempotency keys: nothing new is created, nothing is queued twice.
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    deliveries = list(Delivery.objects.filter(idempotency_key__in=[row.idempotency_key for row in rows]))
    due = [d.pk for d in deliveries if d.status == DeliveryStatus.QUEUED and not d.scheduled_for and d.attempts == 0]
    _queue(due)
    return deliveries


def _address(recipient: Recipient, channel: str) -> str:
    if channel == Channel.EMAIL:
        return recipient.email
    if channel == Channel.SMS:
        return recipient.phone
    return str(recipient.user_id) if recipient.user_id else ""  # push and in-app reach users


def _opted_out(keys: list[str], event: str) -> set[tuple[str, str]]:
    """(recipient key, channel) pairs switched off for this event; a per-event choice beats the `*` one."""
    choices: dict[tuple[str, str], tuple[bool, bool]] = {}
    for pref in Preference.objects.filter(recipient_key__in=keys).filter(Q(event=event) | Q(event="*")):
        specific = pref.event == event
        current = choices.get((pref.recipient_key, pref.channel))
        if current is None or (specific and not current[1]):
            choices[(pref.recipient_key, pref.channel)] = (pref.enabled, specific)
    return {pair for pair, (enabled, _specific) in choices.items() if not enabled}


def quiet_hours_end(quiet: QuietHours, *, now: datetime) -> datetime | None:
    """The end of the quiet window `now` falls in (aware, UTC), or None when `now` is outside it."""
    zone = zoneinfo.ZoneInfo(quiet.time_zone or settings.TIME_ZONE)
    local = now.astimezone(zone)
    start = local.replace(hour=quiet.start.hour, minute=quiet.start.minute, second=0, microsecond=0)
    end = local.replace(hour=quiet.end.hour, minute=quiet.end.minute, second=0, microsecond=0)
    if quiet.start < quiet.end:  # 13:00-15:00, within one day
        inside = start <= local < end
    else:  # 22:00-07:00, across midnight
        inside = local >= start or local < end
        if local >= start:
            end += timedelta(days=1)
    return end.astimezone(zoneinfo.ZoneInfo("UTC")) if inside else None


def base_context(*, recipient: Recipient, event: str, url: str, channel: str) -> dict:
    """What every template may use besides the event's payload."""
    context = {
        "recipient": {"name": recipient.name, "email": recipient.email},
        "event": event,
        "url": url,
        "site_name": "DotMac Omni",
    }
    if channel == Channel.EMAIL:
        context["unsubscribe_url"] = unsubscribe_url(recipient_key=recipient.key, event=event)
    return context


def unsubscribe_url(*, recipient_key: str, event: str) -> str:
    """A link that opts the person out of this event's emails without signing in (signed, no expiry)."""
    token = signing.dumps({"r": recipient_key, "e": event}, salt=UNSUBSCRIBE_SALT, compress=True)
    return settings.OMNI_BASE_URL.rstrip("/") + reverse("notifications:unsubscribe", kwargs={"token": token})


def unsubscribe_token_read(token: str) -> tuple[str, str]:
    """(recipient key, event) from an unsubscribe token; signing.BadSignature when forged."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    return data["r"], data["e"]


def preference_set(*, recipient_key: str, event: str, channel: str, enabled: bool) -> Preference:
    """Switch one event (or `*`) on one channel on or off for a person. Mandatory events stay on regardless
    (notify ignores opt-outs for them). Idempotent."""
    if event != "*":
        registry.get(event)
    if channel not in Channel.values:
        raise ValueError(f"Unknown channel {channel}")
    preference, _created = Preference.objects.update_or_create(
        recipient_key=recipient_key, event=event, channel=channel, defaults={"enabled": enabled}
    )
    return preference


# ---- sending -----------------------------------------------------------------------------------------------


def _queue(ids: list) -> None:
    """Queue send tasks for these deliveries after the current transaction commits, BATCH per task."""
    if not ids:
        return
    from .tasks import deliveries_send_task

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


def backoff(attempt: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at 1 h, with ±20% jitter so retries of one outage do not stampede."""
    base = min(30 * 2 ** max(attempt - 1, 0), 3600)
    return timedelta(seconds=base * random.uniform(0.8, 1.2))


def delivery_send(delivery: Delivery, *, now: datetime | None = None) -> Delivery:
    """Render and send one claimed delivery; record the outcome. Transient errors go back to the queue with a
    backoff until max_attempts, then fail."""
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
        final = delivery.attempts >= delivery.max_attempts
        delivery.status = DeliveryStatus.FAILED if final else DeliveryStatus.QUEUED
        delivery.scheduled_for = None if final else now + backoff(delivery.attempts)
        delivery.reason, delivery.provider_response = str(exc)[:300], exc.response[:2000]
    except PermanentError as exc:
        delivery.status, delivery.reason, delivery.provider_response = (
            DeliveryStatus.FAILED,
            str(exc)[:300],
            exc.response[:2000],
        )
    except Exception as exc:  # a template that fails at send time, a bug in a sender: recorded, not retried
        logger.exception("delivery %s failed", delivery.pk)
        delivery.status, delivery.reason = DeliveryStatus.FAILED, f"{type(exc).__name__}: {exc}"[:300]
    else:
        delivery.status, delivery.sent_at, delivery.reason = DeliveryStatus.SENT, now, ""
        delivery.provider_message_id = result.provider_message_id[:200]
        delivery.provider_response = result.provider_response[:2000]
    delivery.locked_until = None
    delivery.save(
        update_fields=[
            "status", "scheduled_for", "reason", "provider_message_id", "provider_response", "sent_at",
            "locked_until", "subject", "body_text", "body_html", "updated_at",
        ]
    )  # fmt: skip
    return delivery


def deliveries_send(ids: Iterable, *, now: datetime | None = None) -> int:
    """Claim and send a batch; returns how many were sent now. Safe to run twice for the same ids."""
    now = now or timezone.now()
    sent = 0
    for delivery in deliveries_claim(ids, now=now):
        sent += delivery_send(delivery, now=now).status == DeliveryStatus.SENT
    return sent


def deliveries_due(*, now: datetime, limit: int = 5000) -> list:
    """Deliveries a worker should take now: queued and due (quiet hours over, backoff elapsed, or a send task
    that was lost), and claims whose worker died (locked_until passed, put back in the queue). Set-based."""
    stale = Delivery.objects.filter(status=DeliveryStatus.SENDING, locked_until__lt=now)
    stale.update(status=DeliveryStatus.QUEUED, locked_until=None, updated_at=now)
    due = Delivery.objects.filter(status=DeliveryStatus.QUEUED).filter(
        Q(scheduled_for__lte=now) | Q(scheduled_for__isnull=True, created_at__lte=now - timedelta(seconds=30))
    )
    return list(due.order_by("scheduled_for").values_list("pk", flat=True)[:limit])


def deliveries_dispatch_due(*, now: datetime | None = None) -> int:
    """Beat: queue send tasks for every due delivery. Idempotent: sending claims each row first."""
    ids = deliveries_due(now=now or timezone.now())
    _queue(ids)
    return len(ids)


def delivery_status_update(*, provider_message_id: str, status: str, response: str = "", now=None) -> int:
    """A provider's delivery report (SMS status callback): SENT → DELIVERED or FAILED. Unknown ids change
    nothing; a report for a final delivery changes nothing either. Returns the rows changed."""
    now = now or timezone.now()
    changes = {"updated_at": now, "provider_response": response[:2000]}
    if status == DeliveryStatus.DELIVERED:
        changes.update(status=DeliveryStatus.DELIVERED, delivered_at=now)
    elif status == DeliveryStatus.FAILED:
        changes.update(status=DeliveryStatus.FAILED, reason="the provider reported a failure")
    else:
        return 0
    return Delivery.objects.filter(
        provider_message_id=provider_message_id, status__in=[DeliveryStatus.SENT, DeliveryStatus.SENDING]
    ).update(**changes)


# ---- events --------------------------------------------------------------------------------------------------


def event_publish(event: str, data: dict) -> None:
    """An app's domain event: outbound webhooks for every endpoint that subscribed to it. Call it after
    commit (transaction.on_commit) with `data` the resource as the API serializes it."""
    registry.get(event)
    from .webhooks import webhook_publish

    webhook_publish(event=event, data=data)
