"""Reads: preferences and quiet hours as notify() and the preferences page see them, the deliveries due for
sending, the delivery log and the webhook endpoints and messages each audience may see. No writes."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import reverse

from omni.choices import Audience

from . import registry
from .choices import Channel, DeliveryStatus, WebhookMessageStatus
from .models import (
    Delivery,
    Notification,
    Preference,
    PushSubscription,
    QuietHours,
    Template,
    WebhookAttempt,
    WebhookEndpoint,
    WebhookMessage,
)
from .recipients import Recipient
from .registry import EventType

UNSUBSCRIBE_SALT = "notifications.unsubscribe"
LIST_COLUMNS_DEFERRED = ("payload", "body_text", "body_html")  # the delivery list never shows them


def preference_choices(keys: Iterable[str], events: Iterable[str]) -> dict[tuple[str, str, str], tuple[bool, bool]]:
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


def template_channels(event: str) -> set[str]:
    """Channels the event can be sent on: those with a shipped default or an active template in the DB."""
    shipped = set(registry.get(event).templates)
    return shipped | set(Template.objects.filter(event=event, is_active=True).values_list("channel", flat=True))


def quiet_hours_by_key(keys: list[str]) -> dict[str, QuietHours]:
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


def preference_channels() -> dict[str, list[str]]:
    """event -> the channels a person may choose for it: its default channels and every channel it has a
    template for (shipped or in the DB), in Channel order. One query."""
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
    choices = preference_choices([recipient_key], [event.key for event in registry.all_events()])
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


def quiet_hours_get(*, recipient_key: str) -> QuietHours | None:
    return QuietHours.objects.filter(recipient_key=recipient_key).first()


def delivery_list_due(*, now: datetime) -> QuerySet[Delivery]:
    """Deliveries a worker should take now: queued and due (quiet hours over, backoff elapsed, or a send task
    that was lost: queued 30 s ago and no task's lease on it). services.deliveries_due leases them."""
    return (
        Delivery.objects.filter(status=DeliveryStatus.QUEUED)
        .filter(Q(scheduled_for__lte=now) | Q(scheduled_for__isnull=True, created_at__lte=now - timedelta(seconds=30)))
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
    )


def delivery_list_visible_to(*, user) -> QuerySet[Delivery]:
    """Active staff (is_staff) with notifications.view_delivery see every delivery; everyone else none (404 on a
    detail)."""
    if (
        user.is_authenticated
        and user.is_active
        and user.audience == Audience.STAFF
        and user.is_staff
        and user.has_perm("notifications.view_delivery")
    ):
        return Delivery.objects.all()
    return Delivery.objects.none()


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


def event_type_list(*, search: str = "", webhooks: bool | None = None) -> list[EventType]:
    """Catalogue entries by key; `search` matches key or description (case-insensitive), `webhooks` the flag."""
    needle = search.strip().casefold()
    return [
        event
        for event in registry.all_events()
        if (webhooks is None or event.webhooks == webhooks)
        and (not needle or needle in event.key.casefold() or needle in event.description.casefold())
    ]


# ---- statistics -------------------------------------------------------------------------------------------------

# Bar colours per status (at least 3:1 against white and the dark console's card).
STATUS_COLORS = {
    DeliveryStatus.QUEUED: "#64748b",
    DeliveryStatus.SENDING: "#0284c7",
    DeliveryStatus.SENT: "#2563eb",
    DeliveryStatus.DELIVERED: "#059669",
    DeliveryStatus.FAILED: "#dc2626",
    DeliveryStatus.SUPPRESSED: "#b45309",
}
STATUS_ORDER = list(STATUS_COLORS)


def status_legend() -> list[dict]:
    return [{"status": status.value, "label": status.label, "color": STATUS_COLORS[status]} for status in STATUS_ORDER]


def _segments(by_status: dict[str, int], biggest: int) -> list[dict]:
    offset = 0.0
    segments = []
    for status in STATUS_ORDER:
        n = by_status.get(status, 0)
        if n:
            width = 100 * n / biggest
            segments.append(
                {
                    "status": status.value,
                    "label": status.label,
                    "count": n,
                    "x": round(offset, 3),
                    "width": round(width, 3),
                    "color": STATUS_COLORS[status],
                }
            )
            offset += width
    return segments


def delivery_statistics(queryset: QuerySet[Delivery]) -> list[dict]:
    """Per event: the count of deliveries in each status and the total, busiest event first. One query
    (GROUP BY event, status). Each row also carries bar segments (share of the busiest event's total, in %)."""
    counts: dict[str, dict[str, int]] = {}
    rows = queryset.order_by().values_list("event", "status").annotate(n=Count("pk"))
    for event, status, n in rows:
        counts.setdefault(event, {})[status] = n
    biggest = max((sum(by_status.values()) for by_status in counts.values()), default=0)
    result = [
        {
            "event": event,
            "counts": {status.value: by_status.get(status, 0) for status in STATUS_ORDER},
            "cells": [by_status.get(status, 0) for status in STATUS_ORDER],
            "total": sum(by_status.values()),
            "segments": _segments(by_status, biggest),
        }
        for event, by_status in counts.items()
    ]
    result.sort(key=lambda row: (-row["total"], row["event"]))
    return result


def webhook_message_counts(*, endpoint_id, since: datetime) -> dict[str, int]:
    """Messages per status for one endpoint, created since `since` (the console's summary reads a bounded
    range: the messages of a busy endpoint grow without bound)."""
    rows = (
        WebhookMessage.objects.filter(endpoint_id=endpoint_id, created_at__gte=since)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
    )
    counts = dict.fromkeys(WebhookMessageStatus.values, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


# ---- a person's own records: the in-app inbox and Web Push subscriptions ---------------------------------------


def notification_list_of(*, user, unread: bool = False) -> QuerySet[Notification]:
    """A user's in-app notifications (the bell, the inbox page, the API); `unread` keeps the unread ones."""
    if not user.is_authenticated:  # the schema generator's fake request, a signed-out page
        return Notification.objects.none()
    rows = Notification.objects.filter(user=user)
    return rows.filter(read_at__isnull=True) if unread else rows


def notification_unread_count(*, user) -> int:
    return notification_list_of(user=user, unread=True).count()


def push_subscription_list_of(*, user) -> QuerySet[PushSubscription]:
    if not user.is_authenticated:
        return PushSubscription.objects.none()
    return PushSubscription.objects.filter(user=user)
