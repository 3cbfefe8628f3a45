"""Outbound webhooks (Standard Webhooks): endpoints, the messages they are owed, and every attempt."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from omni.models import TimeStampedModel

from ..choices import WebhookMessageStatus


class WebhookEndpoint(TimeStampedModel):
    url = models.URLField(_("URL"), max_length=1000)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = ArrayField(
        models.CharField(max_length=100), default=list, verbose_name=_("events"), help_text=_('Event keys, or ["*"].')
    )
    is_active = models.BooleanField(_("active"), default=True)
    secret = models.CharField(max_length=100, editable=False, help_text="whsec_<base64>; shown once.")
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="webhook_endpoints"
    )
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.CharField(max_length=300, blank=True, editable=False)

    class Meta:
        verbose_name = _("webhook endpoint")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["is_active"], name="notifications_endpoint_active")]

    def __str__(self):
        return self.url

    def wants(self, event_key: str) -> bool:
        return "*" in self.events or event_key in self.events


class WebhookMessage(TimeStampedModel):
    """One event owed to one endpoint. `message_id` is the webhook-id header: the same on every attempt."""

    endpoint = models.ForeignKey(WebhookEndpoint, models.CASCADE, related_name="messages")
    message_id = models.CharField(max_length=40, unique=True)
    event = models.CharField(_("event"), max_length=100)
    payload = models.JSONField(help_text='{"type", "timestamp", "data"}')
    status = models.CharField(
        _("status"), max_length=12, choices=WebhookMessageStatus, default=WebhookMessageStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("webhook message")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=WebhookMessageStatus.values), name="notifications_webhookmessage_status_valid"
            ),
        ]
        indexes = [
            # The due scan (tasks.webhook_scan) reads only rows still owed.
            models.Index(
                fields=["next_attempt_at"],
                name="notifications_webhook_due",
                condition=Q(status__in=[WebhookMessageStatus.PENDING, WebhookMessageStatus.SENDING]),
            ),
        ]

    def __str__(self):
        return f"{self.message_id} {self.event} → {self.endpoint_id}"


class WebhookAttempt(TimeStampedModel):
    """The delivery log: one row per HTTP attempt."""

    message = models.ForeignKey(WebhookMessage, models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("webhook attempt")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["message", "number"], name="notifications_webhookattempt_unique"),
        ]

    def __str__(self):
        return f"{self.message_id} #{self.number}: {self.status_code or self.error}"
