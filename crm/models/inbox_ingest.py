"""The transactional inbox of the SMS and WhatsApp webhooks: each provider call is stored here, raw, in ONE
INSERT ... ON CONFLICT DO NOTHING before the provider gets its 200; a worker (crm.services.inbox_ingest) turns the
rows into messages and delivery updates afterwards. So a 200 means the webhook is committed in PostgreSQL (on
disk within PostgreSQL's WAL writer delay: crm.services.inbox_ingest._insert), and a provider's retry (the same
message id) adds nothing."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .inbox import Channel


class InboundWebhookKind(models.TextChoices):
    SMS_MESSAGE = "sms_message", _("SMS message")
    SMS_STATUS = "sms_status", _("SMS delivery report")
    WHATSAPP_MESSAGE = "whatsapp_message", _("WhatsApp message")
    WHATSAPP_STATUS = "whatsapp_status", _("WhatsApp delivery report")


class InboundWebhook(models.Model):
    """One received provider event, waiting to be (or already) processed. `external_id` is the provider's message
    id (Twilio MessageSid, WhatsApp wamid; for a delivery report the id and the status, `SM…:delivered`): unique
    per channel and kind, so a retried webhook is a no-op. `payload` is what the parser needs (Twilio's form
    fields; one entry of a WhatsApp webhook's messages[] with the sender's profile name, or a parsed status).

    Processing (services.inbound_webhooks_process) locks due rows one at a time (FOR UPDATE SKIP LOCKED) and sets
    `processed_at` in the transaction that stores the message. A failure records `last_error`, counts an
    attempt and moves `due_at` later (backoff); input the rules refuse (ValidationError) is not retried:
    processed with its `last_error`, as is a row that failed MAX_ATTEMPTS times."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    channel = models.ForeignKey(Channel, models.CASCADE, related_name="+", verbose_name=_("channel"))
    kind = models.CharField(_("kind"), max_length=24, choices=InboundWebhookKind)
    external_id = models.CharField(_("provider id"), max_length=600)
    payload = models.JSONField(_("payload"), default=dict)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    due_at = models.DateTimeField(_("due at"), default=timezone.now, help_text=_("When to (re)try processing."))
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("failed attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("inbound webhook")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "kind", "external_id"], name="crm_inbound_webhook_unique"),
        ]
        indexes = [
            # The processors' queue: only rows still to do, oldest due first.
            models.Index(
                fields=["due_at", "received_at"], condition=Q(processed_at__isnull=True), name="crm_inbwh_due"
            ),
            models.Index(fields=["-received_at"], name="crm_inbwh_received"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.external_id}"
