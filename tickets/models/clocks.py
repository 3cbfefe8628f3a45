"""SLA clocks and the events they fire (DOMAIN.md C.5): one clock per ticket, metric and cycle; one event per clock,
kind and level. The SLA services start, pause, resume, re-target and stop clocks in the ticket's transaction; the
beat scan (set-based SQL) marks warnings and breaches and fires escalation levels."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..choices import ClockState, EscalationKind, SLAMetric
from .desk import Ticket
from .sla import EscalationRule, SLAPolicy

CLOCK_UNIQUE = "tickets_slaclock_one_per_cycle"
EVENT_UNIQUE = "tickets_slaevent_once_per_level"


class SLAClock(models.Model):
    """How long one metric of a ticket may still take, in one cycle (reopening starts cycle 2, and so on).

    Targets are snapshots (`target_minutes`, `business_hours`, the policy's calendar): changing a policy later
    does not move clocks already running. A running clock has `due_at` (and `warn_at` when the policy warns); a
    paused one has `due_at` NULL and `remaining_seconds`, the business time that was left. `elapsed_seconds` is
    the business time spent up to the last pause or stop; `breached_at` is the due time, not the moment the scan
    noticed, so reports do not depend on scan lag."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ticket = models.ForeignKey(Ticket, models.CASCADE, related_name="sla_clocks", verbose_name=_("ticket"))
    metric = models.CharField(_("metric"), max_length=16, choices=SLAMetric)
    cycle = models.PositiveSmallIntegerField(_("cycle"), default=1)
    policy = models.ForeignKey(
        SLAPolicy, models.SET_NULL, null=True, blank=True, related_name="clocks", verbose_name=_("policy")
    )
    target_minutes = models.PositiveIntegerField(_("target (minutes)"))
    business_hours = models.BooleanField(_("in business hours"), default=True)
    state = models.CharField(_("state"), max_length=16, choices=ClockState, default=ClockState.RUNNING)
    started_at = models.DateTimeField(_("started"))
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    warn_at = models.DateTimeField(_("warn at"), null=True, blank=True)
    paused_at = models.DateTimeField(_("paused"), null=True, blank=True)
    remaining_seconds = models.IntegerField(_("remaining (s)"), null=True, blank=True)
    elapsed_seconds = models.PositiveIntegerField(_("elapsed (s)"), default=0)
    met_at = models.DateTimeField(_("met"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("SLA clock")
        ordering = ["ticket", "metric", "cycle"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "metric", "cycle"], name=CLOCK_UNIQUE),
            models.CheckConstraint(condition=Q(metric__in=SLAMetric.values), name="tickets_slaclock_metric_valid"),
            models.CheckConstraint(condition=Q(state__in=ClockState.values), name="tickets_slaclock_state_valid"),
            models.CheckConstraint(
                condition=~Q(state=ClockState.RUNNING) | Q(due_at__isnull=False), name="tickets_slaclock_running_due"
            ),
            models.CheckConstraint(
                condition=~Q(state=ClockState.PAUSED) | Q(remaining_seconds__isnull=False, paused_at__isnull=False),
                name="tickets_slaclock_paused_remaining",
            ),
        ]
        indexes = [
            # The scan's two index range scans: due and warning times of running clocks only.
            models.Index(fields=["due_at"], name="tickets_slaclock_due", condition=Q(state=ClockState.RUNNING)),
            models.Index(fields=["warn_at"], name="tickets_slaclock_warn", condition=Q(state=ClockState.RUNNING)),
            # After-breach levels: breached clocks not yet met.
            models.Index(
                fields=["breached_at"],
                name="tickets_slaclock_breached",
                condition=Q(state=ClockState.BREACHED, met_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.metric} #{self.cycle}: {self.state}"


class SLAEvent(models.Model):
    """A warning, a breach or an escalation level that fired for a clock. The unique key (clock, kind, level)
    makes every level fire once per clock and cycle, however many scans run: the scan inserts with ON CONFLICT
    DO NOTHING and acts only on the rows it got back."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clock = models.ForeignKey(SLAClock, models.CASCADE, related_name="events", verbose_name=_("clock"))
    kind = models.CharField(_("kind"), max_length=16, choices=EscalationKind)
    level = models.PositiveSmallIntegerField(_("level"), default=1)
    rule = models.ForeignKey(
        EscalationRule, models.SET_NULL, null=True, blank=True, related_name="events", verbose_name=_("rule")
    )
    at = models.DateTimeField(_("fired at"), db_index=True)
    acted_at = models.DateTimeField(
        _("acted on"),
        null=True,
        blank=True,
        help_text=_("When its escalation action was carried out; empty until then (the scan queues it again)."),
    )

    class Meta:
        verbose_name = _("SLA event")
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["clock", "kind", "level"], name=EVENT_UNIQUE),
            models.CheckConstraint(condition=Q(kind__in=EscalationKind.values), name="tickets_slaevent_kind_valid"),
        ]
        indexes = [
            # Events whose action has not run (its task was lost with the broker, say): the scan queues them again.
            models.Index(fields=["at"], name="tickets_slaevent_unacted", condition=Q(acted_at__isnull=True)),
        ]

    def __str__(self):
        return f"{self.clock_id} {self.kind} L{self.level}"
