from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    """Per-person channels. Outbound webhooks are not a channel: they go to endpoints, not people."""

    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    PUSH = "push", _("Web push")
    INAPP = "inapp", _("In-app")


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")  # waiting for a worker (or for its scheduled_for: quiet hours, backoff)
    SENDING = "sending", _("Sending")  # claimed by a worker until locked_until
    SENT = "sent", _("Sent")  # the provider accepted it
    DELIVERED = "delivered", _("Delivered")  # the provider confirmed delivery (SMS status callback)
    FAILED = "failed", _("Failed")  # permanent error or retries exhausted
    SUPPRESSED = "suppressed", _("Suppressed")  # opted out, no address: recorded, never sent


# Statuses a delivery can still leave; the others are final (DELIVERED may still follow SENT).
DELIVERY_OPEN = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING)


class WebhookMessageStatus(models.TextChoices):
    PENDING = "pending", _("Pending")  # due at next_attempt_at
    SENDING = "sending", _("Sending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")  # the retry schedule is exhausted
