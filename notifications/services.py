"""The one way to send: `notify(event, recipients, context)`; and `event_publish` for outbound webhooks (apps emit
domain events through the outbox, notifications.outbox, which calls event_publish and notify_followers).

notify() records one Delivery per person and channel (suppressed ones too, with the reason) and queues the
sending after commit; workers render and send (`deliveries_send`), retrying transient failures with
exponential backoff. Every step is idempotent: a delivery is claimed by a conditional UPDATE before it is sent.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import random
import uuid
import zoneinfo
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from time import monotonic

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Right
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import registry, rendering
from .channels import SENDERS
from .channels import push as push_channel
from .channels.base import NoAddress, PermanentError, TransientError
from .choices import Channel, DeliveryStatus
from .models import Delivery, Preference, QuietHours
from .recipients import Recipient

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
    test_template: registry.DefaultTemplate | None = None,
) -> list[Delivery]:
    """Send `event` to each recipient on each of its channels.

    Channels: the given ones; else the event's defaults, less those the person switched off (unless the event
    is mandatory), plus those the person switched on for this event (when the channel has a template).
    `context` is the event's payload (plain JSON-able data, never model instances). With `idempotency_key`
    (e.g. "crm.account.created:<id>"), calling again creates and sends nothing twice. SMS and push wait for
    the end of the person's quiet hours. Returns the deliveries, suppressed ones included.

    `test_template` (the admin's "test send"): that template, rendered over the event's sample payload, on the
    given channels, whatever the person's preferences and quiet hours; not queued: the caller sends it."""
    event_type = registry.get(event)
    explicit = tuple(channels) if channels is not None else None
    unknown = set(explicit or event_type.channels) - set(Channel.values)
    if unknown:
        raise ValueError(f"Unknown channels: {sorted(unknown)}")
    if test_template is not None and not explicit:
        raise ValueError("A test send names its channels.")
    now = now or timezone.now()
    recipients = list({r.key: r for r in recipients}.values())
    keys = [r.key for r in recipients]
    choices = _choices(keys, [event]) if test_template is None else {}
    quiet = {} if test_template is not None else _quiet_hours(keys)
    opted_in = {(key, channel) for (key, _event, channel), (on, specific) in choices.items() if on and specific}
    template_channels = _template_channels(event) if opted_in and explicit is None else set()
    batch_key = idempotency_key or uuid.uuid4().hex
    lease = now + timedelta(seconds=QUEUE_LEASE_SECONDS)
    if test_template is not None:
        batch_key = f"test:{batch_key}"  # recognisable in the delivery log
        context = {**context, rendering.TEST_KEY: dataclasses.asdict(test_template)}
    rows = []
    for recipient in recipients:
        wanted = explicit or (
            *event_type.channels,
            *sorted(c for c in template_channels - set(event_type.channels) if (recipient.key, c) in opted_in),
        )
        for channel in wanted:
            address = _address(recipient, channel)
            status, reason, scheduled_for = DeliveryStatus.QUEUED, "", None
            choice = choices.get((recipient.key, event, channel))
            if not address:
                status, reason = DeliveryStatus.SUPPRESSED, f"no {Channel(channel).label.lower()} address"
            elif choice is not None and not choice[0] and not event_type.mandatory:
                status, reason = DeliveryStatus.SUPPRESSED, "opted out"
            elif channel in QUIET_CHANNELS and recipient.key in quiet:
                scheduled_for = quiet_hours_end(quiet[recipient.key], now=now, default_zone=recipient.time_zone)
                reason = "deferred by quiet hours" if scheduled_for else ""
            payload = {
                **context,
                **base_context(recipient=recipient, event=event, url=url, channel=channel),
            }
            rows.append(
                Delivery(
                    idempotency_key=_delivery_key(batch_key, recipient.key, channel),
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
                    # Queued below: the scan leaves it to its task for a while (see deliveries_due).
                    locked_until=lease if status == DeliveryStatus.QUEUED and not scheduled_for else None,
                )
            )
    with transaction.atomic():  # all of the batches or none (a caller retrying must not double the first ones)
        if idempotency_key is None:
            # A fresh batch key cannot meet an existing row: the rows built here are the deliveries.
            Delivery.objects.bulk_create(rows, batch_size=2000)
            deliveries = rows
        else:
            # A repeated call meets the unique idempotency keys: nothing new is created, nothing queued twice.
            Delivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
            deliveries = list(Delivery.objects.filter(idempotency_key__in=[row.idempotency_key for row in rows]))
        # Only rows created by this call are queued (primary keys are made here, so a row met on a repeat has
        # another): a repeated notify() queues nothing twice; the beat scan catches anything a lost task dropped.
        created = {row.pk for row in rows}
        due = [
            d.pk for d in deliveries if d.pk in created and d.status == DeliveryStatus.QUEUED and not d.scheduled_for
        ]
        if test_template is None:  # a test send is sent by its caller, in the request (template_test_send)
            _queue(due)  # after commit
    return deliveries


def _delivery_key(batch_key: str, recipient_key: str, channel: str) -> str:
    key = f"{batch_key}:{recipient_key}:{channel}"
    if len(key) <= 200:
        return key
    # Cutting a long key could make two deliveries share one: hash it instead.
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def _address(recipient: Recipient, channel: str) -> str:
    if channel == Channel.EMAIL:
        return recipient.email
    if channel == Channel.SMS:
        return recipient.phone
    return str(recipient.user_id) if recipient.user_id else ""  # push and in-app reach users


def _choices(keys: Iterable[str], events: Iterable[str]) -> dict[tuple[str, str, str], tuple[bool, bool]]:
    """(recipient key, event, channel) -> (enabled, specific): each person's choice for each of `events`,
    from one query. A channel switched off for every event (`*`, "nothing reaches you on this channel") beats
    any per-event choice; otherwise a per-event choice beats the `*` one. `specific` says which one decided."""
    events = list(events)
    general: dict[tuple[str, str], bool] = {}
    specific: dict[tuple[str, str, str], bool] = {}
    for pref in Preference.objects.filter(recipient_key__in=list(keys), event__in=[*events, "*"]):
        if pref.event == "*":
            general[(pref.recipient_key, pref.channel)] = pref.enabled
        else:
            specific[(pref.recipient_key, pref.event, pref.channel)] = pref.enabled
    result = {(key, event, channel): (on, False) for (key, channel), on in general.items() for event in events}
    for (key, event, channel), on in specific.items():
        if general.get((key, channel)) is not False:  # a muted channel stays muted
            result[(key, event, channel)] = (on, True)
    return result


def _template_channels(event: str) -> set[str]:
    """Channels the event can be sent on: those with a shipped default or an active template in the DB."""
    from .models import Template

    shipped = set(registry.get(event).templates)
    return shipped | set(Template.objects.filter(event=event, is_active=True).values_list("channel", flat=True))


def _quiet_hours(keys: list[str]) -> dict[str, QuietHours]:
    return {q.recipient_key: q for q in QuietHours.objects.filter(recipient_key__in=keys)}


def quiet_hours_end(quiet: QuietHours, *, now: datetime, default_zone: str = "") -> datetime | None:
    """The end of the quiet window `now` falls in (aware, UTC), or None when `now` is outside it. The window is
    read in the quiet hours' own time zone, else the person's (`default_zone`), else the instance's."""
    zone = zoneinfo.ZoneInfo(quiet.time_zone or default_zone or settings.TIME_ZONE)
    local = now.astimezone(zone)
    start = local.replace(hour=quiet.start.hour, minute=quiet.start.minute, second=0, microsecond=0)
    end = local.replace(hour=quiet.end.hour, minute=quiet.end.minute, second=0, microsecond=0)
    if quiet.start < quiet.end:  # 13:00-15:00, within one day
        inside = start <= local < end
    else:  # 22:00-07:00, across midnight
        inside = local >= start or local < end
        if local >= start:
            end += timedelta(days=1)  # wall-clock arithmetic: 07:00 tomorrow, whatever DST does tonight
    return end.astimezone(UTC) if inside else None


def base_context(*, recipient: Recipient, event: str, url: str, channel: str) -> dict:
    """What every template may use besides the event's payload. Emails of events people may leave carry an
    unsubscribe link; other channels and mandatory (service-critical) emails have none (`unsubscribe_url` is
    empty, so `{% if unsubscribe_url %}` works in every template)."""
    context = {
        "recipient": {"name": recipient.name, "email": recipient.email},
        "event": event,
        "url": url,
        "site_name": "DotMac Omni",
        "unsubscribe_url": "",
    }
    if channel == Channel.EMAIL:
        mandatory = registry.get(event).mandatory
        context["unsubscribe_url"] = "" if mandatory else unsubscribe_url(recipient_key=recipient.key, event=event)
    return context


def unsubscribe_url(*, recipient_key: str, event: str) -> str:
    """A link that opts the person out of this event's emails without signing in (signed, no expiry)."""
    token = signing.dumps({"r": recipient_key, "e": event}, salt=UNSUBSCRIBE_SALT, compress=True)
    return settings.OMNI_BASE_URL.rstrip("/") + reverse("notifications:unsubscribe", kwargs={"token": token})


def unsubscribe_token_read(token: str) -> tuple[str, str]:
    """(recipient key, event) from an unsubscribe token; signing.BadSignature when forged."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    return data["r"], data["e"]


# ---- preferences and quiet hours ------------------------------------------------------------------------------


def preference_validate(*, event: str, channel: str, enabled: bool) -> None:
    """ValidationError (keyed by field) unless the choice can be stored: a known channel, a registered event
    (or `*`), and not switching a mandatory event off on one of its channels."""
    if channel not in Channel.values:
        raise ValidationError({"channel": [_("Unknown channel %(channel)s.") % {"channel": channel}]})
    if event == "*":
        return
    try:
        event_type = registry.get(event)
    except LookupError as exc:
        raise ValidationError({"event": [str(exc)]}) from None
    if event_type.mandatory and not enabled and channel in event_type.channels:
        raise ValidationError(
            {"enabled": [_("%(event)s is service-critical: it cannot be switched off.") % {"event": event}]}
        )


def preference_set(*, recipient_key: str, event: str, channel: str, enabled: bool) -> Preference:
    """Switch one event (or `*`: every event) on one channel on or off for a person. A mandatory
    (service-critical) event cannot be switched off on its channels (ValidationError). Idempotent."""
    preference_validate(event=event, channel=channel, enabled=enabled)
    preference, _created = Preference.objects.update_or_create(
        recipient_key=recipient_key, event=event, channel=channel, defaults={"enabled": enabled}
    )
    return preference


def preference_channels() -> dict[str, list[str]]:
    """event -> the channels a person may choose for it: its default channels and every channel it has a
    template for (shipped or in the DB), in Channel order. One query."""
    from .models import Template

    in_db: dict[str, set[str]] = {}
    for event, channel in Template.objects.filter(is_active=True).values_list("event", "channel").distinct():
        in_db.setdefault(event, set()).add(channel)
    result = {}
    for event_type in registry.all_events():
        available = set(event_type.channels) | set(event_type.templates) | in_db.get(event_type.key, set())
        result[event_type.key] = [channel for channel in Channel.values if channel in available]
    return result


def preference_matrix(*, recipient_key: str) -> dict:
    """A person's effective choices, for the preferences page: `all` maps each channel to whether it is on
    for every event (the `*` row); `events` lists, per event, each choosable channel with `enabled` (what
    notify() would do) and `locked` (mandatory: always on). Three queries."""
    choices = _choices([recipient_key], [event.key for event in registry.all_events()])
    available = preference_channels()
    muted = {pref.channel for pref in Preference.objects.filter(recipient_key=recipient_key, event="*", enabled=False)}
    rows = []
    for event_type in registry.all_events():
        cells = []
        for channel in available[event_type.key]:
            default_on = channel in event_type.channels
            choice = choices.get((recipient_key, event_type.key, channel))
            enabled = choice[0] if choice is not None and (choice[1] or default_on) else default_on
            locked = event_type.mandatory and default_on
            cells.append({"channel": channel, "enabled": enabled or locked, "locked": locked})
        rows.append({"event": event_type, "cells": cells})
    return {"all": {channel: channel not in muted for channel in Channel.values}, "events": rows}


@transaction.atomic
def preferences_save(*, recipient_key: str, muted: Iterable[str], enabled: Iterable[tuple[str, str]]) -> None:
    """Save the preferences page in one transaction: `muted` channels are off for every event (`*`); each
    choosable (event, channel) is on when in `enabled`, off otherwise. Only choices that differ from the
    default are stored, so a person who changes nothing keeps following the defaults as they evolve.
    Mandatory events stay on whatever was sent."""
    muted, enabled = set(muted), set(enabled)
    unknown = muted - set(Channel.values)
    if unknown:
        raise ValidationError({"muted": [_("Unknown channel %(channel)s.") % {"channel": sorted(unknown)[0]}]})
    available = preference_channels()
    for pair in enabled:
        if pair[1] not in available.get(pair[0], []):
            message = _("%(event)s cannot be sent by %(channel)s.") % {"event": pair[0], "channel": pair[1]}
            raise ValidationError({"enabled": [message]})
    existing = {
        (p.event, p.channel): p for p in Preference.objects.select_for_update().filter(recipient_key=recipient_key)
    }
    wanted: dict[tuple[str, str], bool] = {("*", channel): False for channel in muted}
    for event_type in registry.all_events():
        for channel in available[event_type.key]:
            default_on = channel in event_type.channels
            if event_type.mandatory and default_on:
                continue  # always on: no choice to store
            baseline = default_on and channel not in muted
            on = (event_type.key, channel) in enabled
            if on != baseline:
                wanted[(event_type.key, channel)] = on
    stale = [p.pk for pair, p in existing.items() if pair not in wanted]
    Preference.objects.filter(pk__in=stale).delete()
    changed = [
        Preference(recipient_key=recipient_key, event=event, channel=channel, enabled=on)
        for (event, channel), on in wanted.items()
        if (event, channel) not in existing or existing[(event, channel)].enabled != on
    ]
    Preference.objects.bulk_create(
        changed,
        update_conflicts=True,
        unique_fields=["recipient_key", "event", "channel"],
        update_fields=["enabled", "updated_at"],
    )


def quiet_hours_set(*, recipient_key: str, start: time, end: time, time_zone: str = "") -> QuietHours:
    """No SMS or push between `start` and `end` (local to `time_zone`, else the person's, else the
    instance's); those wait until `end`. Replaces the person's previous window."""
    errors = {}
    if start == end:
        errors["end"] = [_("The quiet hours must end at another time than they start.")]
    if time_zone and time_zone not in zoneinfo.available_timezones():
        errors["time_zone"] = [_("Unknown time zone %(tz)s.") % {"tz": time_zone}]
    if errors:
        raise ValidationError(errors)
    quiet, _created = QuietHours.objects.update_or_create(
        recipient_key=recipient_key, defaults={"start": start, "end": end, "time_zone": time_zone}
    )
    return quiet


def quiet_hours_get(*, recipient_key: str) -> QuietHours | None:
    return QuietHours.objects.filter(recipient_key=recipient_key).first()


def quiet_hours_clear(*, recipient_key: str) -> None:
    QuietHours.objects.filter(recipient_key=recipient_key).delete()


@transaction.atomic
def person_settings_save(
    *,
    recipient_key: str,
    muted: Iterable[str],
    enabled: Iterable[tuple[str, str]],
    quiet: tuple[time, time, str] | None,
) -> None:
    """The "My notification preferences" page in one transaction: channel choices (preferences_save) and
    quiet hours (`quiet` = (start, end, time zone), None: no quiet hours)."""
    preferences_save(recipient_key=recipient_key, muted=muted, enabled=enabled)
    if quiet is None:
        quiet_hours_clear(recipient_key=recipient_key)
    else:
        start, end, time_zone = quiet
        quiet_hours_set(recipient_key=recipient_key, start=start, end=end, time_zone=time_zone)


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


def _attempt_log(delivery: Delivery, *, now: datetime, outcome: str, answer: str) -> str:
    """provider_response keeps one line per attempt (newest last, the last 2000 characters): the provider's
    answer to each try, so the delivery log shows a retried message's whole story."""
    line = f"#{delivery.attempts} {now.astimezone(UTC):%Y-%m-%d %H:%M:%S}Z {outcome}"
    if answer:
        line += f": {' '.join(answer.split())}"
    log = f"{delivery.provider_response}\n{line}" if delivery.provider_response else line
    return log[-2000:]


SEND_FIELDS = [
    "status", "scheduled_for", "reason", "provider_message_id", "provider_response", "sent_at", "locked_until",
    "subject", "body_text", "body_html", "updated_at",
]  # fmt: skip
RECORD_EVERY = 20  # outcomes written per UPDATE in a batch: one commit per 20 sends, not per send


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
        _transient(delivery, exc, now=now)
    except SoftTimeLimitExceeded:
        # The task's time limit came in the middle of this send, which may or may not have gone out: retried
        # like a transient failure (at least once), and the batch stops (deliveries_send).
        _transient(delivery, TransientError(INTERRUPTED), now=now)
        delivery.locked_until, delivery.updated_at = None, now
        if save:
            _record_one(delivery, lease=lease)
        raise
    except NoAddress as exc:
        delivery.status, delivery.reason = DeliveryStatus.SUPPRESSED, str(exc)[:300]
        delivery.provider_response = _attempt_log(delivery, now=now, outcome=f"suppressed: {exc}", answer="")
    except PermanentError as exc:
        delivery.status, delivery.reason = DeliveryStatus.FAILED, str(exc)[:300]
        delivery.provider_response = _attempt_log(delivery, now=now, outcome=f"failed: {exc}", answer=exc.response)
    except Exception as exc:  # a template that fails at send time, a bug in a sender: recorded, not retried
        logger.exception("delivery %s failed", delivery.pk)
        delivery.status, delivery.reason = DeliveryStatus.FAILED, f"{type(exc).__name__}: {exc}"[:300]
        delivery.provider_response = _attempt_log(delivery, now=now, outcome="failed", answer=delivery.reason)
    else:
        delivery.status, delivery.sent_at, delivery.reason = DeliveryStatus.SENT, now, ""
        delivery.provider_message_id = result.provider_message_id[:200]
        delivery.provider_response = _attempt_log(delivery, now=now, outcome="sent", answer=result.provider_response)
    delivery.locked_until, delivery.updated_at = None, now
    if save:
        _record_one(delivery, lease=lease)
    return delivery


def _transient(delivery: Delivery, exc: TransientError, *, now: datetime) -> None:
    """Back to the queue with a backoff, or failed once max_attempts are spent."""
    final = delivery.attempts >= delivery.max_attempts
    delivery.status = DeliveryStatus.FAILED if final else DeliveryStatus.QUEUED
    delivery.scheduled_for = None if final else now + backoff(delivery.attempts)
    delivery.reason = (f"{exc} (gave up after {delivery.attempts} attempts)" if final else str(exc))[:300]
    retry_at = None if final else delivery.scheduled_for.astimezone(UTC)
    outcome = f"{exc}, no attempts left" if final else f"{exc}, retry at {retry_at:%H:%M:%S}Z"
    delivery.provider_response = _attempt_log(delivery, now=now, outcome=outcome, answer=exc.response)


REPORTED_CHANNELS = {Channel.SMS}  # the provider reports delivery by callback, maybe before we record the send
_REPORT_FIELDS = {"status", "reason", "provider_response", "scheduled_for"}  # what a report may have written


def _ours(pks, lease: datetime | None):
    """Rows still claimed by the batch holding `lease` (its claim's locked_until): a claim the scan found
    stale was handed to another worker, whose outcome must not be overwritten."""
    rows = Delivery.objects.filter(pk__in=pks, status=DeliveryStatus.SENDING)
    return rows.filter(locked_until=lease) if lease is not None else rows


def _record_one(delivery: Delivery, *, lease: datetime | None = None) -> None:
    """Write one send's outcome. The row is still ours and SENDING unless the provider's delivery report came
    first (it can: the report may beat our UPDATE); then the report's status and log stay and the rest is
    written (the report wrote our message id, which identifies the row as ours)."""
    fields = {name: getattr(delivery, name) for name in SEND_FIELDS}
    if not _ours([delivery.pk], lease).update(**fields) and delivery.provider_message_id:
        Delivery.objects.filter(
            pk=delivery.pk,
            provider_message_id=delivery.provider_message_id,
            status__in=[DeliveryStatus.DELIVERED, DeliveryStatus.FAILED],
        ).update(**{name: value for name, value in fields.items() if name not in _REPORT_FIELDS})


def _record(deliveries: list[Delivery], *, lease: datetime | None = None) -> None:
    """Write a batch's outcomes (one UPDATE), for the rows this batch still holds."""
    if not deliveries:
        return
    with transaction.atomic():
        ours = set(_ours([d.pk for d in deliveries], lease).select_for_update().values_list("pk", flat=True))
        Delivery.objects.bulk_update([d for d in deliveries if d.pk in ours], SEND_FIELDS)


def _lease_renew(pks: list, lease: datetime) -> tuple[set, datetime]:
    """Extend this batch's claim on its rows (a slow batch must not outlive it: the scan would hand its rows
    to another worker, which would send them again). Returns the rows still ours and the new lease."""
    renewed = timezone.now() + timedelta(seconds=CLAIM_SECONDS)
    with transaction.atomic():
        ours = set(_ours(pks, lease).select_for_update().values_list("pk", flat=True))
        Delivery.objects.filter(pk__in=ours).update(locked_until=renewed)
    return ours, renewed


def _check_at_send(deliveries: list[Delivery], *, now: datetime) -> list[Delivery]:
    """Preferences and quiet hours again at send time (two queries at most): someone who opted out after
    notify() (while their SMS waited for quiet hours to end, say) gets nothing; an SMS or push whose send
    comes inside the person's quiet hours (a retry after a backoff or from staff, quiet hours set since)
    waits for the window's end. Returns the deliveries to send now."""
    choices = _choices({d.recipient_key for d in deliveries}, {d.event for d in deliveries})
    quiet_keys = [d.recipient_key for d in deliveries if d.channel in QUIET_CHANNELS]
    quiet = _quiet_hours(quiet_keys) if quiet_keys else {}
    keep, suppressed, deferred = [], [], {}
    for delivery in deliveries:
        choice = choices.get((delivery.recipient_key, delivery.event, delivery.channel))
        test = rendering.TEST_KEY in delivery.payload
        if choice is not None and not choice[0] and not _mandatory(delivery.event) and not test:
            suppressed.append(delivery.pk)
            continue
        if delivery.channel in QUIET_CHANNELS and delivery.recipient_key in quiet and not test:
            end = quiet_hours_end(quiet[delivery.recipient_key], now=now)
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


def deliveries_send(ids: Iterable, *, now: datetime | None = None, budget: float | None = None) -> int:
    """Claim and send a batch; returns how many were sent now. Safe to run twice for the same ids. Emails of
    one batch share one SMTP connection.

    Time. A batch starts no send after `budget` seconds (SEND_BUDGET_SECONDS): the rest go back to the queue
    in a new task. Interrupted by its task's soft time limit (tasks.py), it records what it sent, retries the
    send that was in flight with a backoff (it may have gone out: at least once) and gives the rest back,
    claimable at once: nothing stays claimed by a task that has stopped."""
    from .channels import email

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
                    _record(pending, lease=lease)
                    pending = []
    except SoftTimeLimitExceeded:
        logger.warning("delivery batch interrupted by the task's time limit: recording it, releasing the rest")
        interrupted = True
        if current is not None:  # delivery_send left it marked for a retry (or with its outcome, if it had one)
            pending.append(current)
            handled.add(current.pk)
        untried = [d for d in claimed if d.pk not in handled]
    finally:
        _record(pending, lease=lease)
    if untried:
        _release(untried, lease=lease, now=fixed or timezone.now())
        if not interrupted:  # past the budget: a new task goes on at once (after a time limit, the scan will)
            _queue([d.pk for d in untried])
    return sent


def _release(deliveries: list[Delivery], *, lease: datetime | None, now: datetime) -> None:
    """Give back claimed deliveries that were never tried: queued again, claimable at once, the attempt that
    the claim counted undone. Only rows this batch still holds."""
    _ours([d.pk for d in deliveries], lease).update(
        status=DeliveryStatus.QUEUED, attempts=F("attempts") - 1, locked_until=None, updated_at=now
    )


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
    _queue(retry)
    return len(retry)


def template_test_send(*, user, event: str, channel: str, subject: str, text: str, html: str) -> Delivery:
    """The admin's "test send": the (possibly unsaved) template, validated, rendered over the event's sample
    payload and sent now to `user` themselves on `channel` (email to their address, in-app to their bell).
    Sent in this request, so the answer (sent, failed, suppressed and why) can be shown at once."""
    rendering.validate(event=event, subject=subject, text=text, html=html)
    if channel not in Channel.values:
        raise ValidationError({"channel": [_("Unknown channel %(channel)s.") % {"channel": channel}]})
    (delivery,) = notify(
        event,
        [Recipient.for_user(user)],
        {},
        channels=[channel],
        test_template=registry.DefaultTemplate(subject=subject, text=text, html=html),
    )
    if delivery.status == DeliveryStatus.QUEUED:
        deliveries_send([delivery.pk])
        delivery.refresh_from_db()
    return delivery


def deliveries_due(*, now: datetime, limit: int = 5000) -> list:
    """Deliveries a worker should take now: queued and due (quiet hours over, backoff elapsed, or a send task
    that was lost), and claims whose worker died (locked_until passed, put back in the queue). Set-based.
    Rows handed out are leased for QUEUE_LEASE_SECONDS (locked_until on a queued row): while a long fan-out
    drains, the scan does not queue the same waiting rows again every 10 seconds."""
    stale = Delivery.objects.filter(status=DeliveryStatus.SENDING, locked_until__lt=now)
    stale.update(status=DeliveryStatus.QUEUED, locked_until=None, updated_at=now)
    due = (
        Delivery.objects.filter(status=DeliveryStatus.QUEUED)
        .filter(Q(scheduled_for__lte=now) | Q(scheduled_for__isnull=True, created_at__lte=now - timedelta(seconds=30)))
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
    )
    with transaction.atomic():
        ids = list(
            due.order_by("scheduled_for").select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit]
        )
        Delivery.objects.filter(pk__in=ids).update(locked_until=now + timedelta(seconds=QUEUE_LEASE_SECONDS))
    return ids


def deliveries_dispatch_due(*, now: datetime | None = None) -> int:
    """Beat: queue send tasks for every due delivery. Idempotent: sending claims each row first."""
    ids = deliveries_due(now=now or timezone.now())
    _queue(ids)
    return len(ids)


def delivery_status_update(
    *, provider_message_id: str, status: str, response: str = "", delivery_id=None, now=None
) -> int:
    """A provider's delivery report (SMS status callback): SENT → DELIVERED or FAILED. Found by the provider's
    message id, or by `delivery_id` (carried in the callback URL) when the report beats the recording of that
    id. Unknown ids change nothing; a report for a final delivery changes nothing either. Returns the rows
    changed."""
    now = now or timezone.now()
    # Appended to the attempt log (set-based: the row is not read first), newest last, like _attempt_log.
    line = f"\n{now.astimezone(UTC):%Y-%m-%d %H:%M:%S}Z report {status}: {' '.join(response.split())}"
    changes = {"updated_at": now, "provider_response": Right(Concat(F("provider_response"), Value(line)), 2000)}
    if status == DeliveryStatus.DELIVERED:
        changes.update(status=DeliveryStatus.DELIVERED, delivered_at=now)
    elif status == DeliveryStatus.FAILED:
        changes.update(status=DeliveryStatus.FAILED, reason="the provider reported a failure")
    else:
        return 0
    match = Q(provider_message_id=provider_message_id)
    if delivery_id is not None:
        match |= Q(pk=delivery_id, provider_message_id="")
    return Delivery.objects.filter(match, status__in=[DeliveryStatus.SENT, DeliveryStatus.SENDING]).update(
        provider_message_id=provider_message_id, **changes
    )


# ---- in-app inbox and web push subscriptions (the bell, notifications.inbox, api/inbox.py, api/push.py) ------


def notification_mark_read(*, user, notification_id, now: datetime | None = None):
    """Mark one of `user`'s in-app notifications read (the first read time is kept: idempotent).
    Notification.DoesNotExist (404) for anyone else's."""
    from .models import Notification

    now = now or timezone.now()
    mine = Notification.objects.filter(pk=notification_id, user=user)
    mine.filter(read_at__isnull=True).update(read_at=now, updated_at=now)
    return mine.get()


def notifications_mark_all_read(*, user, now: datetime | None = None) -> int:
    """Mark every unread in-app notification of `user` read; returns how many changed (0 on a repeat)."""
    from .models import Notification

    now = now or timezone.now()
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=now, updated_at=now)


def push_subscription_save(*, user, endpoint: str, p256dh: str, auth: str, user_agent: str = ""):
    """Store a browser's Web Push subscription for `user`; returns (subscription, created). Upserts on the
    endpoint: a browser subscribing again refreshes it, a shared browser signed in by someone else moves to
    them. A user keeps at most PUSH_SUBSCRIPTIONS_MAX: past it, the least recently (re)subscribed are dropped
    (browsers are replaced and rarely say so; refusing would lock the user out of push on a new one, and a
    push delivery tries every subscription, so their number bounds its time). Locks the user's row, so
    concurrent subscribes cannot pass the cap. ValidationError keyed by field (an endpoint on a private
    address, keys that cannot encrypt)."""
    from omni.models import User

    from .channels.push import subscription_errors
    from .models import PushSubscription

    errors = subscription_errors(endpoint=endpoint, p256dh=p256dh, auth=auth)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        list(User.objects.select_for_update(no_key=True).filter(pk=user.pk).values_list("pk", flat=True))
        subscription, created = PushSubscription.objects.update_or_create(
            endpoint=endpoint, defaults={"user": user, "p256dh": p256dh, "auth": auth, "user_agent": user_agent[:300]}
        )
        others = PushSubscription.objects.filter(user=user).exclude(pk=subscription.pk).order_by("-updated_at", "-pk")
        dropped = list(others.values_list("pk", flat=True)[PUSH_SUBSCRIPTIONS_MAX - 1 :])
        if dropped:
            PushSubscription.objects.filter(pk__in=dropped).delete()
    return subscription, created


def push_subscription_delete(*, user, endpoint: str = "", subscription_id=None) -> int:
    """Forget one of `user`'s subscriptions, by endpoint or id; returns rows deleted (0: not theirs, or
    already gone — a repeat is a no-op)."""
    from .models import PushSubscription

    if not endpoint and subscription_id is None:
        raise ValidationError({"endpoint": [_("Name the subscription to delete.")]})
    mine = PushSubscription.objects.filter(user=user)
    mine = mine.filter(endpoint=endpoint) if endpoint else mine.filter(pk=subscription_id)
    return mine.delete()[0]


# ---- events --------------------------------------------------------------------------------------------------


STAFF_KEY = "omni.user:"  # Recipient.for_user's key prefix


def notify_followers(
    event: str,
    context: dict,
    *,
    url: str = "",
    permission: str = "",
    exclude_user_id=None,
    idempotency_key: str | None = None,
) -> list[Delivery]:
    """Notify the staff who follow `event`: those who switched a channel on for it on their preferences page
    (events registered with no default channels, such as crm.account.created, reach nobody else). Only active
    staff holding `permission` (e.g. "crm.view_account"), never the person who caused the event
    (`exclude_user_id`). One query when nobody follows the event. Apps do not call it: they record the event
    (outbox.event_record) and the outbox worker calls this."""
    from django.contrib.auth.backends import ModelBackend

    from omni.models import User

    ids = []
    for key in Preference.objects.filter(event=event, enabled=True, recipient_key__startswith=STAFF_KEY).values_list(
        "recipient_key", flat=True
    ):
        try:
            ids.append(uuid.UUID(key.removeprefix(STAFF_KEY)))
        except ValueError:  # a hand-made key in the admin
            continue
    if not ids:
        return []
    users = ModelBackend().with_perm(permission) if permission else User.objects.all()  # groups, user or superuser
    users = users.filter(pk__in=ids, is_active=True, is_staff=True).exclude(pk=exclude_user_id)
    recipients = [Recipient.for_user(user) for user in users]
    return notify(event, recipients, context, url=url, idempotency_key=idempotency_key) if recipients else []


def event_publish(event: str, data: dict) -> None:
    """An app's domain event: outbound webhooks for every endpoint that subscribed to it, with `data` the resource
    as the API serializes it. Apps do not call it: they record the event (outbox.event_record) in the transaction
    of their change, and the outbox worker calls this."""
    if not registry.get(event).webhooks:
        raise ValueError(f"{event} is registered as sent to people only (webhooks=False).")
    from .webhooks import webhook_publish

    webhook_publish(event=event, data=data)
