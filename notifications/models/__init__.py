from .core import Delivery, DeliveryAttempt, Notification, Preference, QuietHours, Template
from .outbox import OutboxEvent
from .push import PushSubscription
from .webhooks import WebhookAttempt, WebhookEndpoint, WebhookMessage

__all__ = [
    "Delivery",
    "DeliveryAttempt",
    "Notification",
    "OutboxEvent",
    "Preference",
    "PushSubscription",
    "QuietHours",
    "Template",
    "WebhookAttempt",
    "WebhookEndpoint",
    "WebhookMessage",
]
