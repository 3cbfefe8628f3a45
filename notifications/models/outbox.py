"""The transactional outbox: domain events recorded in the same transaction as the change they report."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omni.models import TimeStampedModel


class OutboxEvent(TimeStampedModel):
    """A domain event (`crm.account.created`, ...) waiting to be turned into webhook messages and follower
    notifications. Written by the app's service in the transaction of the change, so it exists exactly when the
    change committed; a worker dispatches it after commit (`notifications.outbox`), and the beat sweep takes any
    whose task was lost (broker down, worker killed). Dispatching writes the messages and stamps `dispatched_at`
    in one transaction: each event is dispatched exactly once."""

    event = models.CharField(_("event"), max_length=100)
    data = models.JSONField(_("payload"), default=dict, help_text=_("The resource as the API serializes it."))
    url = models.CharField(_("link"), max_length=500, blank=True)
    permission = models.CharField(
        _("followers' permission"), max_length=100, blank=True, help_text=_("Staff must hold it to be told.")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("caused by"),
        help_text=_("Never told of their own change."),
    )
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(
        _("next attempt"), default=timezone.now, help_text=_("The sweep leaves the event alone until then.")
    )
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("outbox event")
        ordering = ["-created_at"]
        indexes = [
            # The sweep (outbox.outbox_dispatch_due): undispatched events whose time has come, oldest first.
            models.Index(
                fields=["next_attempt_at"],
                name="notifications_outbox_due",
                condition=Q(dispatched_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.event} ({'dispatched' if self.dispatched_at else 'pending'})"
