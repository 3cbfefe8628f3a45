"""Outbound webhooks following the Standard Webhooks specification (https://www.standardwebhooks.com/)."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from .choices import WebhookMessageStatus
from .models import WebhookEndpoint, WebhookMessage


def webhook_publish(*, event: str, data: dict, now=None) -> list[WebhookMessage]:
    """One message per active endpoint subscribed to `event`, due now. The body is
    {"type", "timestamp", "data"}; its webhook-id stays the same on every attempt."""
    now = now or timezone.now()
    endpoints = [e for e in WebhookEndpoint.objects.filter(is_active=True) if e.wants(event)]
    body = {"type": event, "timestamp": now.isoformat().replace("+00:00", "Z"), "data": data}
    messages = WebhookMessage.objects.bulk_create(
        [
            WebhookMessage(
                endpoint=endpoint,
                message_id=f"msg_{uuid.uuid4().hex}",
                event=event,
                payload=body,
                status=WebhookMessageStatus.PENDING,
                next_attempt_at=now,
            )
            for endpoint in endpoints
        ]
    )
    if messages:
        from .tasks import webhook_messages_send_task

        ids = [str(m.pk) for m in messages]
        transaction.on_commit(lambda: webhook_messages_send_task.delay(ids))
    return messages
