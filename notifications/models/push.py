from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from omni.models import TimeStampedModel


class PushSubscription(TimeStampedModel):
    """A browser's Web Push subscription (VAPID), created from the page through the subscription endpoint."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(_("endpoint"), max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    user_agent = models.CharField(max_length=300, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("push subscription")

    def __str__(self):
        return f"{self.user_id} {self.endpoint[:60]}"
