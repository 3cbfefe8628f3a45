"""Reads the API and the consoles share, until notifications/selectors.py takes them: who sees which deliveries,
the per-event delivery statistics (one GROUP BY) and the event catalogue's search."""

from __future__ import annotations

import datetime

from django.db.models import Count, QuerySet

from omni.choices import Audience

from . import registry
from .choices import DeliveryStatus, WebhookMessageStatus
from .models import Delivery, WebhookMessage
from .registry import EventType

LIST_COLUMNS_DEFERRED = ("payload", "body_text", "body_html", "provider_response")  # the list never shows them


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


def webhook_message_counts_since(*, endpoint_id, since: datetime.datetime) -> dict[str, int]:
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
