"""The one way to send: `notify(event, recipients, context)` records one Delivery per person and channel
(suppressed ones too, with the reason) and queues the sending after commit (sending.py). Apps emit domain events
through the outbox (notifications.outbox), which calls fanout.event_publish and fanout.notify_followers."""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from omni.choices import time_zone_names

from .. import registry
from ..choices import Channel, DeliveryStatus
from ..models import Delivery
from ..recipients import Attachment, Recipient
from ..selectors import base_context, preference_choices, quiet_hours_by_key, quiet_hours_end, template_channels
from .sending import QUEUE_LEASE_SECONDS, QUIET_CHANNELS, deliveries_queue


def notify(
    event: str,
    recipients: Iterable[Recipient],
    context: dict,
    *,
    channels: Iterable[str] | None = None,
    idempotency_key: str | None = None,
    url: str = "",
    now: datetime | None = None,
    attachments: Iterable[Attachment] = (),
) -> list[Delivery]:
    """Send `event` to each recipient on each of its channels.

    Channels: the given ones; else the event's defaults, less those the person switched off (unless the event
    is mandatory), plus those the person switched on for this event (when the channel has a template).
    `context` is the event's payload (plain JSON-able data, never model instances). With `idempotency_key`
    (e.g. "crm.account.created:<id>"), calling again creates and sends nothing twice. SMS and push wait for
    the end of the person's quiet hours. `attachments` (files, e.g. a quote's PDF) go with the emails only; they
    are kept in the payload (ATTACHMENTS_KEY, base64) so a retry sends the very same file. Returns the deliveries,
    suppressed ones included."""
    event_type = registry.get(event)
    if attachments:
        context = {**context, ATTACHMENTS_KEY: [attachment_payload(a) for a in attachments]}
    explicit = tuple(channels) if channels is not None else None
    unknown = set(explicit or event_type.channels) - set(Channel.values)
    if unknown:
        raise ValueError(f"Unknown channels: {sorted(unknown)}")
    now = now or timezone.now()
    recipients = list({r.key: r for r in recipients}.values())
    keys = [r.key for r in recipients]
    choices = preference_choices(keys, [event])
    quiet = quiet_hours_by_key(keys)
    opted_in = {(key, channel) for (key, _event, channel), (on, specific) in choices.items() if on and specific}
    template_channels_ = template_channels(event) if opted_in and explicit is None else set()
    batch_key = idempotency_key or uuid.uuid4().hex
    rows = []
    for recipient in recipients:
        wanted = explicit or (
            *event_type.channels,
            *sorted(c for c in template_channels_ - set(event_type.channels) if (recipient.key, c) in opted_in),
        )
        for channel in wanted:
            status, reason, scheduled_for = DeliveryStatus.QUEUED, "", None
            choice = choices.get((recipient.key, event, channel))
            if choice is not None and not choice[0] and not event_type.mandatory:
                status, reason = DeliveryStatus.SUPPRESSED, "opted out"
            elif channel in QUIET_CHANNELS and recipient.key in quiet:
                scheduled_for = quiet_hours_end(quiet[recipient.key], now=now, default_zone=recipient.time_zone)
                reason = "deferred by quiet hours" if scheduled_for else ""
            delivery = delivery_build(
                batch_key=batch_key, recipient=recipient, event=event, channel=channel, context=context, url=url
            )
            if delivery.status == DeliveryStatus.QUEUED:  # addressed: the person's choices decide
                delivery.status, delivery.reason, delivery.scheduled_for = status, reason, scheduled_for
            # Queued below: the scan leaves it to its task for a while (see deliveries_due).
            queued_now = delivery.status == DeliveryStatus.QUEUED and not delivery.scheduled_for
            delivery.locked_until = now + timedelta(seconds=QUEUE_LEASE_SECONDS) if queued_now else None
            rows.append(delivery)
    return _deliveries_create(rows, fresh=idempotency_key is None)


# The payload key of a delivery's files (notify's `attachments`); the email channel attaches them.
ATTACHMENTS_KEY = "attachments"


def attachment_payload(attachment: Attachment) -> dict:
    return {
        "filename": attachment.filename,
        "mimetype": attachment.mimetype,
        "content_b64": base64.b64encode(attachment.content).decode("ascii"),
    }


def _deliveries_create(rows: list[Delivery], *, fresh: bool) -> list[Delivery]:
    """Insert the rows of one notify() and queue those created by this call (after commit)."""
    with transaction.atomic():  # all of the batches or none (a caller retrying must not double the first ones)
        if fresh:
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
        deliveries_queue(due)  # after commit
    return deliveries


def delivery_build(
    *, batch_key: str, recipient: Recipient, event: str, channel: str, context: dict, url: str
) -> Delivery:
    """One unsaved delivery of `event` to `recipient` on `channel`: queued, or suppressed when the person has
    no address on that channel. Its payload is `context` and what every template may use (base_context)."""
    address = recipient_address(recipient, channel)
    status, reason = DeliveryStatus.QUEUED, ""
    if not address:
        status, reason = DeliveryStatus.SUPPRESSED, f"no {Channel(channel).label.lower()} address"
    return Delivery(
        idempotency_key=delivery_key(batch_key, recipient.key, channel),
        event=event,
        channel=channel,
        recipient_key=recipient.key,
        recipient_name=recipient.name[:200],
        address=address,
        language=recipient.language or settings.LANGUAGE_CODE,
        # Kept for the check at send time (sending._check_at_send); a name zoneinfo does not know is the instance's.
        time_zone=recipient.time_zone if recipient.time_zone in time_zone_names() else "",
        payload={**context, **base_context(recipient=recipient, event=event, url=url, channel=channel)},
        status=status,
        reason=reason,
    )


def delivery_key(batch_key: str, recipient_key: str, channel: str) -> str:
    key = f"{batch_key}:{recipient_key}:{channel}"
    if len(key) <= 200:
        return key
    # Cutting a long key could make two deliveries share one: hash it instead.
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def recipient_address(recipient: Recipient, channel: str) -> str:
    if channel == Channel.EMAIL:
        return recipient.email
    if channel == Channel.SMS:
        return recipient.phone
    return str(recipient.user_id) if recipient.user_id else ""  # push and in-app reach users
