"""The data of tickets and the invariants that need no other rows (STYLE.md section 2).

Business calendars come first: the time zone, the working hours of each weekday (several ranges a day) and the
holidays on which no business time passes. tickets.business_time does the arithmetic over them."""

import datetime
import zoneinfo

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from crm.choices import AccountKind
from omni.choices import Audience
from omni.models import TimeStampedModel

from ..choices import (
    ConditionField,
    EscalationAction,
    EscalationKind,
    HolidaySource,
    SLAMetric,
    TicketPriority,
    TicketSource,
    Weekday,
)

CALENDAR_NAME_UNIQUE = "tickets_businesscalendar_name_unique"
HOLIDAY_UNIQUE = "tickets_holiday_one_per_date"
MIDNIGHT = datetime.time(0)


class BusinessCalendar(TimeStampedModel):
    """Where and when business time passes: a time zone, BusinessHours per weekday and Holidays."""

    name = models.CharField(_("name"), max_length=100)
    time_zone = models.CharField(_("time zone"), max_length=64, help_text=_("An IANA zone, e.g. Africa/Lagos."))
    country = models.CharField(
        _("country"), max_length=2, blank=True, help_text=_("ISO 3166 code whose public holidays are seeded.")
    )
    ical_url = models.URLField(_("iCal feed"), max_length=1000, blank=True, help_text=_("Holidays to import."))
    ical_synced_at = models.DateTimeField(_("iCal feed imported at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("business calendar")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name"], name=CALENDAR_NAME_UNIQUE)]

    def __str__(self):
        return self.name

    def clean(self):
        if self.time_zone and self.time_zone not in zoneinfo.available_timezones():
            raise ValidationError({"time_zone": [_("Unknown time zone: use an IANA name such as Africa/Lagos.")]})
        self.country = self.country.upper()


class BusinessHours(TimeStampedModel):
    """One range of working time on a weekday, [start, end) in the calendar's wall clock. An end of 00:00 means
    midnight at the end of the day (a 24-hour day is 00:00-00:00). Ranges of one weekday never overlap:
    services.hours_set checks that, replacing a weekday's ranges in one transaction."""

    calendar = models.ForeignKey(BusinessCalendar, models.CASCADE, related_name="hours", verbose_name=_("calendar"))
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday)
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"), help_text=_("00:00 is midnight at the end of the day."))

    class Meta:
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")
        ordering = ["calendar", "weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="tickets_businesshours_weekday_valid"),
            models.CheckConstraint(
                condition=Q(end__gt=F("start")) | Q(end=MIDNIGHT), name="tickets_businesshours_end_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"

    def clean(self):
        if self.start is not None and self.end is not None and not (self.end > self.start or self.end == MIDNIGHT):
            raise ValidationError({"end": [_("The end must come after the start (00:00 is the day's end).")]})


class Holiday(TimeStampedModel):
    """A day without business time in one calendar. One per calendar and date: what was entered by hand wins
    over seeding and imports, which never overwrite an existing date."""

    calendar = models.ForeignKey(BusinessCalendar, models.CASCADE, related_name="holidays", verbose_name=_("calendar"))
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=200)
    source = models.CharField(_("source"), max_length=8, choices=HolidaySource, default=HolidaySource.MANUAL)

    class Meta:
        verbose_name = _("holiday")
        ordering = ["calendar", "date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name=HOLIDAY_UNIQUE),
            models.CheckConstraint(condition=Q(source__in=HolidaySource.values), name="tickets_holiday_source_valid"),
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}"


# ---- SLA policies ---------------------------------------------------------------------------------------------


class SLAPolicy(TimeStampedModel):
    """The targets a ticket gets: the first active policy by `position` whose conditions all match it (a policy
    without conditions matches every ticket: put it last as the default). Business time is counted on
    `calendar`, which cannot be deleted while a policy uses it."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveIntegerField(_("position"), unique=True, help_text=_("Lower is tried first."))
    calendar = models.ForeignKey(
        BusinessCalendar, models.PROTECT, related_name="policies", verbose_name=_("business calendar")
    )
    active = models.BooleanField(_("active"), default=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["position"]

    def __str__(self):
        return self.name


# Values a condition may list for the fields with fixed choices; category and tag are free text.
CONDITION_CHOICES = {
    ConditionField.PRIORITY: TicketPriority,
    ConditionField.CHANNEL: TicketSource,
    ConditionField.ACCOUNT_KIND: AccountKind,
}


class SLACondition(TimeStampedModel):
    """The ticket's `field` is one of `values` (tags: the ticket has one of them). A policy matches when every
    condition of it does."""

    policy = models.ForeignKey(SLAPolicy, models.CASCADE, related_name="conditions", verbose_name=_("policy"))
    field = models.CharField(_("field"), max_length=16, choices=ConditionField)
    # Blank items pass the field (clean() drops them), so a trailing comma in a form is no error.
    values = ArrayField(models.CharField(max_length=100, blank=True), verbose_name=_("values"))

    class Meta:
        verbose_name = _("SLA condition")
        ordering = ["policy", "field"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "field"], name="tickets_slacondition_one_per_field"),
            models.CheckConstraint(
                condition=Q(field__in=ConditionField.values), name="tickets_slacondition_field_valid"
            ),
            models.CheckConstraint(condition=Q(values__len__gt=0), name="tickets_slacondition_values_given"),
        ]

    def __str__(self):
        return f"{self.get_field_display()} in {', '.join(self.values)}"

    def clean(self):
        values = [value.strip() for value in self.values or [] if value and value.strip()]
        if self.field in (ConditionField.CATEGORY, ConditionField.TAG):
            values = [value.lower() for value in values]  # tags and categories compare case-insensitively
        self.values = list(dict.fromkeys(values))
        if not self.values:
            raise ValidationError({"values": [_("Give at least one value.")]})
        allowed = CONDITION_CHOICES.get(self.field)
        unknown = [value for value in self.values if allowed and value not in allowed.values]
        if unknown:
            raise ValidationError(
                {"values": [_("Not a %(field)s: %(values)s.") % {"field": self.field, "values": ", ".join(unknown)}]}
            )


class SLATarget(TimeStampedModel):
    """How long a metric may take under a policy, in business time on the policy's calendar or in calendar
    (wall) time."""

    policy = models.ForeignKey(SLAPolicy, models.CASCADE, related_name="targets", verbose_name=_("policy"))
    metric = models.CharField(_("metric"), max_length=16, choices=SLAMetric)
    minutes = models.PositiveIntegerField(_("minutes"))
    business_hours = models.BooleanField(
        _("in business hours"), default=True, help_text=_("Off: counted round the clock, holidays included.")
    )

    class Meta:
        verbose_name = _("SLA target")
        ordering = ["policy", "metric"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "metric"], name="tickets_slatarget_one_per_metric"),
            models.CheckConstraint(condition=Q(metric__in=SLAMetric.values), name="tickets_slatarget_metric_valid"),
            models.CheckConstraint(condition=Q(minutes__gt=0), name="tickets_slatarget_minutes_positive"),
        ]

    def __str__(self):
        hours = _("business") if self.business_hours else _("calendar")
        return f"{self.get_metric_display()}: {self.minutes} min ({hours})"


ESCALATION_TRIGGER = (
    # NULL compares to nothing, and a CHECK passes on NULL: the isnull=False terms make a missing value fail.
    Q(kind=EscalationKind.WARN, percent__isnull=False, percent__gte=1, percent__lte=99, offset_minutes__isnull=True)
    | Q(kind=EscalationKind.BREACH, percent__isnull=True, offset_minutes__isnull=True)
    | Q(kind=EscalationKind.AFTER_BREACH, percent__isnull=True, offset_minutes__isnull=False, offset_minutes__gt=0)
)
USER_ACTIONS = (EscalationAction.NOTIFY_USER, EscalationAction.REASSIGN)
TEAM_ACTIONS = (EscalationAction.NOTIFY_TEAM, EscalationAction.REASSIGN_TEAM)
ESCALATION_TARGET = (
    Q(action__in=USER_ACTIONS, user__isnull=False, team__isnull=True, priority="")
    | Q(action__in=TEAM_ACTIONS, user__isnull=True, team__isnull=False, priority="")
    | Q(
        action=EscalationAction.RAISE_PRIORITY,
        user__isnull=True,
        team__isnull=True,
        priority__in=TicketPriority.values,
    )
)


class EscalationRule(TimeStampedModel):
    """What happens as a metric's clock runs out: a warning at `percent` of the target, the breach at 100%, and
    further levels `offset_minutes` after the breach. Each (metric, kind, level) is one rule per policy, and
    fires once per clock and cycle (the SLA event's unique key, with the clocks)."""

    policy = models.ForeignKey(SLAPolicy, models.CASCADE, related_name="escalations", verbose_name=_("policy"))
    metric = models.CharField(_("metric"), max_length=16, choices=SLAMetric)
    kind = models.CharField(_("kind"), max_length=16, choices=EscalationKind)
    level = models.PositiveSmallIntegerField(_("level"), default=1)
    percent = models.PositiveSmallIntegerField(_("percent of the target"), null=True, blank=True)
    offset_minutes = models.PositiveIntegerField(_("minutes after the breach"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=EscalationAction)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,  # staff are deactivated, not deleted; a rule naming one must be changed first
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
        help_text=_("Whom to notify, or to reassign to."),
    )
    team = models.ForeignKey(
        "tickets.Team",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
        help_text=_("Which team to notify, or to move the ticket to."),
    )
    priority = models.CharField(_("raise to"), max_length=8, choices=TicketPriority, blank=True)

    class Meta:
        verbose_name = _("escalation rule")
        ordering = ["policy", "metric", "level", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "metric", "kind", "level"], name="tickets_escalationrule_one_per_level"
            ),
            models.CheckConstraint(
                condition=Q(metric__in=SLAMetric.values), name="tickets_escalationrule_metric_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=EscalationKind.values), name="tickets_escalationrule_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(action__in=EscalationAction.values), name="tickets_escalationrule_action_valid"
            ),
            models.CheckConstraint(condition=Q(level__gte=1), name="tickets_escalationrule_level_positive"),
            models.CheckConstraint(condition=ESCALATION_TRIGGER, name="tickets_escalationrule_trigger_shape"),
            models.CheckConstraint(condition=ESCALATION_TARGET, name="tickets_escalationrule_action_target"),
        ]

    def __str__(self):
        return f"{self.get_metric_display()} {self.get_kind_display()} L{self.level}: {self.get_action_display()}"

    def clean(self):
        """The constraints' rules, keyed by field, so a form says which field is wrong."""
        errors: dict[str, list] = {}
        if self.kind == EscalationKind.WARN and not (self.percent and 1 <= self.percent <= 99):
            errors["percent"] = [_("A warning needs a percent of the target from 1 to 99.")]
        if self.kind != EscalationKind.WARN and self.percent is not None:
            errors["percent"] = [_("Only a warning has a percent.")]
        if self.kind == EscalationKind.AFTER_BREACH and not self.offset_minutes:
            errors["offset_minutes"] = [_("A level after the breach needs its minutes after the breach.")]
        if self.kind != EscalationKind.AFTER_BREACH and self.offset_minutes is not None:
            errors["offset_minutes"] = [_("Only a level after the breach has an offset.")]
        needs = {
            EscalationAction.RAISE_PRIORITY: "priority",
            **dict.fromkeys(USER_ACTIONS, "user"),
            **dict.fromkeys(TEAM_ACTIONS, "team"),
        }.get(self.action)
        given = {"priority": bool(self.priority), "user": bool(self.user_id), "team": bool(self.team_id)}
        if needs and not given[needs]:
            errors[needs] = [
                {
                    "priority": _("Say which priority to raise to."),
                    "user": _("Say whom to notify or reassign to."),
                    "team": _("Say which team to notify or move the ticket to."),
                }[needs]
            ]
        for other in given:
            if needs and other != needs and given[other]:
                errors[other] = [_("This action takes no %(field)s.") % {"field": other}]
        if given["user"] and needs == "user" and not (self.user.is_active and self.user.audience == Audience.STAFF):
            # The escalation would fail when it fires (nobody to tell or to take the ticket): refuse it now.
            errors["user"] = [_("Choose an active staff user.")]
        if errors:
            raise ValidationError(errors)
