"""Templates, preferences, quiet hours, deliveries (with their attempts) and in-app notifications."""

from datetime import UTC

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from omni.models import TimeStampedModel

from ..choices import Channel, DeliveryStatus


class Template(TimeStampedModel):
    """A staff-edited template for one event, channel and language, overriding the app's default. Jinja2
    (sandboxed) over the event's payload; refused on save when it does not render."""

    event = models.CharField(_("event"), max_length=100)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel)
    language = models.CharField(_("language"), max_length=8, default="en")
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body_text = models.TextField(_("text body"), blank=True)
    body_html = models.TextField(_("HTML body"), blank=True, help_text=_("Email only. Empty: text only."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("template")
        ordering = ["event", "channel", "language"]
        constraints = [
            models.UniqueConstraint(fields=["event", "channel", "language"], name="notifications_template_unique"),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="notifications_template_channel_valid"
            ),
        ]

    def __str__(self):
        return f"{self.event} · {self.channel} · {self.language}"


class Preference(TimeStampedModel):
    """A person's choice for one event and channel (absent: the event's defaults apply). `enabled=False` is
    an opt-out; mandatory (service-critical) events ignore it."""

    recipient_key = models.CharField(_("recipient"), max_length=100, db_index=True)
    event = models.CharField(_("event"), max_length=100, help_text=_("An event key, or * for every event."))
    channel = models.CharField(_("channel"), max_length=8, choices=Channel)
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("preference")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient_key", "event", "channel"], name="notifications_preference_unique"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="notifications_preference_channel_valid"
            ),
        ]
        indexes = [
            # notify_followers, on every domain event: the staff (recipient_key LIKE 'omni.user:%') who switched a
            # channel on for this event. Pattern ops so the prefix is a range of the index, whatever the collation.
            models.Index(
                fields=["event", "recipient_key"],
                name="notifications_pref_followers",
                condition=Q(enabled=True),
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops"],
            ),
        ]

    def __str__(self):
        return f"{self.recipient_key} {self.event} {self.channel}: {'on' if self.enabled else 'off'}"


class QuietHours(TimeStampedModel):
    """No SMS or push between `start` and `end` in the person's time zone; those wait until `end`.
    A window may pass midnight (22:00-07:00)."""

    recipient_key = models.CharField(_("recipient"), max_length=100, unique=True)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"))
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True, help_text=_("Empty: the instance's."))

    class Meta:
        verbose_name = _("quiet hours")
        verbose_name_plural = _("quiet hours")
        constraints = [models.CheckConstraint(condition=~Q(start=models.F("end")), name="notifications_quiet_nonempty")]

    def __str__(self):
        return f"{self.recipient_key} {self.start:%H:%M}-{self.end:%H:%M}"


class Delivery(TimeStampedModel):
    """One message to one person on one channel: its rendered content, status and attempts.

    `idempotency_key` is unique: a retried notify() or task creates and sends nothing twice."""

    idempotency_key = models.CharField(max_length=200, unique=True)
    event = models.CharField(_("event"), max_length=100)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel)
    recipient_key = models.CharField(_("recipient"), max_length=100)
    recipient_name = models.CharField(max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=500, blank=True, help_text=_("Email, phone or user id."))
    language = models.CharField(max_length=8, blank=True)
    # The person's own time zone when notify() ran (a contact's, a staff user's profile): quiet hours that name no
    # zone of their own are read in it at send time too (empty: the instance's TIME_ZONE).
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=DeliveryStatus, default=DeliveryStatus.QUEUED)
    reason = models.CharField(_("reason"), max_length=300, blank=True, help_text=_("Why suppressed or failed."))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(default=6)
    scheduled_for = models.DateTimeField(_("not before"), null=True, blank=True, help_text=_("Quiet hours, backoff."))
    locked_until = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="notifications_delivery_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="notifications_delivery_status_valid"
            ),
        ]
        indexes = [
            # The due scan (tasks.delivery_scan): open rows whose time has come.
            models.Index(
                fields=["scheduled_for"],
                name="notifications_delivery_due",
                condition=Q(status__in=[DeliveryStatus.QUEUED, DeliveryStatus.SENDING]),
            ),
            models.Index(fields=["event", "status"], name="notifications_delivery_stats"),
            models.Index(fields=["recipient_key", "-created_at"], name="notifications_delivery_person"),
            # The delivery log's search (DeliveryFilterSet.q: address and name, any part, any case):
            # trigram indexes on the UPPER() that icontains compares; they serve iexact (=) as well.
            GinIndex(OpClass(Upper("address"), name="gin_trgm_ops"), name="notifications_dlv_address_trgm"),
            GinIndex(OpClass(Upper("recipient_name"), name="gin_trgm_ops"), name="notifications_dlv_name_trgm"),
        ]

    def __str__(self):
        return f"{self.event} → {self.address or self.recipient_key} ({self.channel}, {self.status})"

    @property
    def attempt_log_text(self) -> str:
        """The delivery log as text, one line per attempt or report, newest last (the API's `provider_response`).
        Prefetch `attempt_log` to read it without a query."""
        return "\n".join(attempt.line for attempt in self.attempt_log.all())


class DeliveryAttempt(TimeStampedModel):
    """The delivery log of a Delivery: one row per send attempt (`number`, the delivery's attempt count then)
    and per delivery report of the provider (no number), with the provider's answer. `created_at` is its time."""

    OUTCOME_MAX, ANSWER_MAX = 500, 2000

    delivery = models.ForeignKey(Delivery, models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField(null=True, blank=True, help_text=_("Empty: a provider's report."))
    outcome = models.CharField(max_length=OUTCOME_MAX)
    answer = models.TextField(blank=True, help_text=_("The provider's answer, on one line."))

    class Meta:
        verbose_name = _("delivery attempt")
        ordering = ["created_at", "number"]  # oldest first; at one time, an attempt before its report

    def __str__(self):
        return self.line

    @property
    def line(self) -> str:
        """`#2 2026-12-02 10:00:00Z sent: 250 accepted`; a report: `2026-12-02 10:00:05Z report delivered: ...`."""
        number = f"#{self.number} " if self.number is not None else ""
        answer = f": {self.answer}" if self.answer else ""
        return f"{number}{self.created_at.astimezone(UTC):%Y-%m-%d %H:%M:%S}Z {self.outcome}{answer}"


class Notification(TimeStampedModel):
    """An in-app notification: the bell in every portal's layout."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="notifications")
    delivery = models.OneToOneField(Delivery, models.SET_NULL, null=True, blank=True, related_name="notification")
    event = models.CharField(_("event"), max_length=100)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("in-app notification")
        ordering = ["-created_at"]
        indexes = [
            # The bell's unread count.
            models.Index(fields=["user"], name="notifications_unread", condition=Q(read_at__isnull=True)),
            models.Index(fields=["user", "-created_at"], name="notifications_user_recent"),
        ]

    def __str__(self):
        return self.title
