"""Work types, work orders and appointments (DOMAIN.md C.3)."""

from django.contrib.gis.db import models as gis
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
from django.contrib.postgres.indexes import GistIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Q
from django.utils.translation import gettext_lazy as _

from omni.db import NextNumber
from omni.models import TimeStampedModel

from ..choices import LIVE, AppointmentStatus, WorkOrderPriority, WorkOrderStatus

LEVEL = [MinValueValidator(1), MaxValueValidator(5)]


class WorkType(TimeStampedModel):
    name = models.CharField(_("name"), max_length=100)
    default_duration_minutes = models.PositiveIntegerField(_("default duration (minutes)"), default=60)
    crew_size = models.PositiveSmallIntegerField(_("crew size"), default=1)
    default_priority = models.CharField(
        _("default priority"), max_length=16, choices=WorkOrderPriority, default=WorkOrderPriority.NORMAL
    )
    checklist_template = models.JSONField(_("checklist template"), default=list, blank=True)
    skills = models.ManyToManyField("workforce.Skill", through="workforce.WorkTypeSkill", related_name="+")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="workforce_worktype_name_unique"),
            models.CheckConstraint(
                condition=Q(default_priority__in=WorkOrderPriority.values),
                name="workforce_worktype_default_priority_valid",
            ),
            models.CheckConstraint(
                condition=Q(default_duration_minutes__gt=0), name="workforce_worktype_duration_positive"
            ),
            models.CheckConstraint(condition=Q(crew_size__gte=1), name="workforce_worktype_crew_size_positive"),
        ]

    def __str__(self):
        return self.name


class WorkTypeSkill(TimeStampedModel):
    work_type = models.ForeignKey(WorkType, models.CASCADE, related_name="required_skills")
    skill = models.ForeignKey("workforce.Skill", models.PROTECT, related_name="+")
    min_level = models.PositiveSmallIntegerField(_("minimum level"), default=1, validators=LEVEL)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["work_type", "skill"], name="workforce_worktypeskill_unique"),
            models.CheckConstraint(
                condition=Q(min_level__gte=1, min_level__lte=5), name="workforce_worktypeskill_level_1_5"
            ),
        ]

    def __str__(self):
        return f"{self.skill_id} >= {self.min_level}"


class WorkOrder(TimeStampedModel):
    """A job at a place. Its status changes only through services.work_order_transition."""

    number = models.CharField(
        _("number"), max_length=20, unique=True, editable=False, db_default=NextNumber("WO-", "workforce_wo_number_seq")
    )
    account = models.ForeignKey("crm.Account", models.PROTECT, related_name="work_orders", verbose_name=_("account"))
    location = gis.PointField(_("location"), srid=4326)
    address = models.CharField(_("address"), max_length=300, blank=True)
    work_type = models.ForeignKey(WorkType, models.PROTECT, related_name="work_orders", verbose_name=_("work type"))
    priority = models.CharField(
        _("priority"), max_length=16, choices=WorkOrderPriority, default=WorkOrderPriority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=20, choices=WorkOrderStatus, default=WorkOrderStatus.NEW, editable=False
    )
    description = models.TextField(_("description"), blank=True)
    earliest_start = models.DateTimeField(_("earliest start"), null=True, blank=True)
    due_by = models.DateTimeField(_("due by"), null=True, blank=True)
    window_start = models.DateTimeField(_("arrival window start"), null=True, blank=True)
    window_end = models.DateTimeField(_("arrival window end"), null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"))
    preferred_technicians = models.ManyToManyField(
        "workforce.Technician", blank=True, related_name="preferred_work_orders"
    )
    excluded_technicians = models.ManyToManyField(
        "workforce.Technician", blank=True, related_name="excluded_work_orders"
    )
    pinned = models.BooleanField(_("pinned"), default=False)
    completion_notes = models.TextField(_("completion notes"), blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", models.SET_NULL, null=True, blank=True, related_name="work_orders", verbose_name=_("ticket")
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=WorkOrderStatus.values), name="workforce_workorder_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(priority__in=WorkOrderPriority.values), name="workforce_workorder_priority_valid"
            ),
            models.CheckConstraint(condition=Q(duration_minutes__gt=0), name="workforce_workorder_duration_positive"),
            models.CheckConstraint(
                condition=Q(window_start__isnull=True)
                | Q(window_end__isnull=True)
                | Q(window_end__gt=F("window_start")),
                name="workforce_workorder_window_order",
                violation_error_code="window_end",
                violation_error_message=_("The arrival window ends after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(earliest_start__isnull=True) | Q(due_by__isnull=True) | Q(due_by__gt=F("earliest_start")),
                name="workforce_workorder_due_after_start",
                violation_error_code="due_by",
                violation_error_message=_("Due by is after the earliest start."),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_by"], name="workforce_wo_status_due"),
            models.Index(fields=["updated_at"], name="workforce_wo_updated"),
            GistIndex(fields=["location"], name="workforce_wo_location_gist"),
        ]

    def __str__(self):
        return self.number or "WO"


class WorkOrderSkill(TimeStampedModel):
    """A skill a work order needs (copied from its work type at creation, editable)."""

    work_order = models.ForeignKey(WorkOrder, models.CASCADE, related_name="required_skills")
    skill = models.ForeignKey("workforce.Skill", models.PROTECT, related_name="+")
    min_level = models.PositiveSmallIntegerField(_("minimum level"), default=1, validators=LEVEL)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["work_order", "skill"], name="workforce_workorderskill_unique"),
            models.CheckConstraint(
                condition=Q(min_level__gte=1, min_level__lte=5), name="workforce_workorderskill_level_1_5"
            ),
        ]

    def __str__(self):
        return f"{self.skill_id} >= {self.min_level}"


APPOINTMENT_NO_DOUBLE_BOOKING = "workforce_appointment_no_double_booking"


class Appointment(TimeStampedModel):
    work_order = models.ForeignKey(WorkOrder, models.CASCADE, related_name="appointments")
    technician = models.ForeignKey("workforce.Technician", models.PROTECT, related_name="appointments")
    scheduled = DateTimeRangeField(_("scheduled"))  # [start, end): 09-10 and 10-11 do not overlap
    travel_before_minutes = models.PositiveIntegerField(_("travel before (minutes)"), default=0)
    seq = models.PositiveSmallIntegerField(_("sequence"), default=0)
    status = models.CharField(
        _("dispatch status"), max_length=16, choices=AppointmentStatus, default=AppointmentStatus.BOOKED
    )
    eta = models.DateTimeField(_("ETA"), null=True, blank=True)
    actual_start = models.DateTimeField(_("actual start"), null=True, blank=True)
    actual_end = models.DateTimeField(_("actual end"), null=True, blank=True)
    # the customer portal's cancel asks why (services.visits.visit_cancel)
    cancel_reason = models.TextField(_("cancellation reason"), blank=True)
    # the day-before reminder (services.visits.visit_reminders_send): when it went, and for which start, so a
    # visit moved to another day is reminded again and a second run reminds nobody twice
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True, editable=False)
    reminder_for = models.DateTimeField(_("reminder for start"), null=True, blank=True, editable=False)
    # Set once by the jeopardy scan (services.jeopardy) when the projected arrival passes the window end; the
    # workforce.appointment.at_risk event is sent with it, so a second scan never tells anyone again.
    at_risk_at = models.DateTimeField(_("at risk since"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["scheduled"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=AppointmentStatus.values), name="workforce_appointment_status_valid"
            ),
            models.UniqueConstraint(
                fields=["work_order", "technician"], condition=LIVE, name="workforce_appointment_one_live"
            ),
            ExclusionConstraint(  # needs BtreeGistExtension() (migration 0002)
                name=APPOINTMENT_NO_DOUBLE_BOOKING,
                condition=LIVE,
                expressions=[("technician", RangeOperators.EQUAL), ("scheduled", RangeOperators.OVERLAPS)],
                violation_error_message=_("The technician is already booked at this time."),
            ),
        ]
        indexes = [
            # the reminder scan: upcoming visits by start (services.visits.visit_reminders_send)
            models.Index(
                Func(F("scheduled"), function="lower", output_field=models.DateTimeField()),
                condition=Q(status__in=[AppointmentStatus.BOOKED, AppointmentStatus.DISPATCHED]),
                name="workforce_appt_upcoming_start",
            ),
            # the jeopardy scan reads only live, unflagged, not yet started appointments
            models.Index(
                fields=["status"],
                name="workforce_appt_jeopardy_scan",
                condition=Q(at_risk_at__isnull=True, actual_start__isnull=True)
                & Q(status__in=["booked", "dispatched", "en_route"]),
            ),
        ]

    def __str__(self):
        return f"{self.work_order_id} {self.scheduled}"
