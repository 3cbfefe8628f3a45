from .core import Delivery, Notification, Preference, QuietHours, Template
from .push import PushSubscription
from .webhooks import WebhookAttempt, WebhookEndpoint, WebhookMessage

__all__ = [
    "Delivery",
    "Notification",
    "Preference",
    "PushSubscription",
    "QuietHours",
    "Template",
    "WebhookAttempt",
    "WebhookEndpoint",
    "WebhookMessage",
]
