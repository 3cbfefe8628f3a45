"""In-app notifications: a row the bell in every portal's layout shows."""

from ..models import Notification
from .base import SendResult


def send(delivery, rendered) -> SendResult:
    first_line = rendered.text.strip().splitlines()[0] if rendered.text.strip() else ""
    notification, _created = Notification.objects.get_or_create(
        delivery=delivery,
        defaults={
            "user_id": delivery.address,
            "event": delivery.event,
            "title": (rendered.subject or first_line or delivery.event)[:300],
            "body": rendered.text,
            "url": delivery.payload.get("url", ""),
        },
    )
    return SendResult(provider_message_id=str(notification.pk))
