"""Technicians, their skills, territories, shifts and time off (DOMAIN.md C.3)."""

from django.conf import settings
from django.contrib.gis.db import models as gis
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, DateTimeRangeField, RangeOperators
from django.contrib.postgres.indexes import GistIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Cast, Coalesce
from django.utils.translation import gettext_lazy as _

from omni.models import TimeStampedModel, validate_time_zone

from ..choices import MembershipKind, ShiftKind, TechnicianKind, TimeOffStatus


class Skill(TimeStampedModel):
    code = models.SlugField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=100)
    category = models.CharField(_("category"), max_length=50, blank=True)
    requires_certification = models.BooleanField(_("requires certification"), default=False)

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["code"], name="workforce_skill_code_unique")]

    def __str__(self):
        return self.code


class Technician(TimeStampedModel):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.PROTECT, related_name="technician")
    kind = models.CharField(_("kind"), max_length=16, choices=TechnicianKind, default=TechnicianKind.EMPLOYEE)
    vendor = models.ForeignKey(
        "workforce.Vendor", models.PROTECT, null=True, blank=True, related_name="crew", verbose_name=_("vendor")
    )
    home_base = gis.PointField(_("home base"), srid=4326, null=True, blank=True)
    last_location = gis.PointField(_("last location"), srid=4326, null=True, blank=True)
    last_location_at = models.DateTimeField(_("last location at"), null=True, blank=True)
    cost_per_hour = models.DecimalField(_("cost per hour"), max_digits=10, decimal_places=2, default=0)
    max_jobs_per_day = models.PositiveSmallIntegerField(_("max jobs per day"), default=8)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC", validators=[validate_time_zone])
    active = models.BooleanField(_("active"), default=True)
    skills = models.ManyToManyField(Skill, through="workforce.TechnicianSkill", related_name="technicians")

    class Meta:
        ordering = ["user__email"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=TechnicianKind.values), name="workforce_technician_kind_valid"),
            # a vendor crew member belongs to a vendor; employees and contractors to none
            models.CheckConstraint(
                condition=Q(kind=TechnicianKind.VENDOR, vendor__isnull=False)
                | (~Q(kind=TechnicianKind.VENDOR) & Q(vendor__isnull=True)),
                name="workforce_technician_vendor_crew",
                violation_error_message=_("A vendor crew member needs a vendor; other technicians have none."),
            ),
            models.CheckConstraint(condition=Q(cost_per_hour__gte=0), name="workforce_technician_cost_positive"),
        ]
        indexes = [GistIndex(fields=["home_base"], name="workforce_tech_home_gist")]

    def __str__(self):
        return str(self.user)


class TechnicianSkill(TimeStampedModel):
    technician = models.ForeignKey(Technician, models.CASCADE, related_name="technician_skills")
    skill = models.ForeignKey(Skill, models.PROTECT, related_name="technician_skills")
    level = models.PositiveSmallIntegerField(
        _("level"), default=1, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    certified_until = models.DateField(_("certified until"), null=True, blank=True)

    class Meta:
        ordering = ["skill__code"]
        constraints = [
            # including level and certificate: the candidate query's division probes it index-only
            models.UniqueConstraint(
                fields=["technician", "skill"], include=["level", "certified_until"], name="workforce_techskill_unique"
            ),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=5), name="workforce_techskill_level_1_5"),
        ]
        indexes = [models.Index(fields=["skill", "level"], name="workforce_techskill_skill_lvl")]

    def __str__(self):
        return f"{self.skill_id} L{self.level}"


class ServiceTerritory(TimeStampedModel):
    code = models.SlugField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=100)
    geom = gis.MultiPolygonField(_("area"), srid=4326)  # GiST by default (spatial_index)
    parent = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="children")
    calendar = models.ForeignKey(
        "tickets.BusinessCalendar", models.PROTECT, null=True, blank=True, related_name="territories"
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC", validators=[validate_time_zone])
    # the travel model (services/travel.py): straight-line metres x circuity / speed, until a road graph exists
    travel_speed_kmh = models.FloatField(
        _("travel speed (km/h)"), default=45, validators=[MinValueValidator(1), MaxValueValidator(200)]
    )
    circuity = models.FloatField(
        _("circuity"), default=1.3, validators=[MinValueValidator(1), MaxValueValidator(3)],
        help_text=_("Road distance over straight-line distance: about 1.3 urban, 1.2 rural."),
    )  # fmt: skip

    class Meta:
        ordering = ["code"]
        verbose_name_plural = _("service territories")
        constraints = [
            models.UniqueConstraint(fields=["code"], name="workforce_territory_code_unique"),
            models.CheckConstraint(
                condition=Q(travel_speed_kmh__gt=0, circuity__gte=1), name="workforce_territory_travel_valid"
            ),
        ]

    def __str__(self):
        return self.code


class TerritoryMembership(TimeStampedModel):
    technician = models.ForeignKey(Technician, models.CASCADE, related_name="memberships")
    territory = models.ForeignKey(ServiceTerritory, models.CASCADE, related_name="memberships")
    kind = models.CharField(_("kind"), max_length=16, choices=MembershipKind, default=MembershipKind.PRIMARY)
    valid = DateRangeField(_("valid"))  # [from, to); an open upper bound = until further notice

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=MembershipKind.values), name="workforce_membership_kind_valid"),
            ExclusionConstraint(
                name="workforce_membership_one_primary",
                expressions=[("technician", RangeOperators.EQUAL), ("valid", RangeOperators.OVERLAPS)],
                condition=Q(kind=MembershipKind.PRIMARY),
                violation_error_message=_("The technician already has a primary territory in these dates."),
            ),
        ]
        indexes = [
            GistIndex(fields=["territory", "valid"], name="workforce_membership_gist"),
            # the candidate query reads a territory's members index-only (technician, dates and kind)
            models.Index(
                fields=["territory", "technician"], include=["valid", "kind"], name="workforce_membership_members"
            ),
        ]

    def __str__(self):
        return f"{self.technician_id} in {self.territory_id} ({self.kind})"


class ShiftPattern(TimeStampedModel):
    """A technician's weekly working hours: `weekdays` (0 = Monday) from `start` to `end` local time, or an RRULE
    (its DTSTART's time is the start) lasting `end - start`."""

    technician = models.ForeignKey(Technician, models.CASCADE, related_name="shift_patterns")
    name = models.CharField(_("name"), max_length=100, blank=True)
    weekdays = models.CharField(_("weekdays"), max_length=20, default="0,1,2,3,4", blank=True)
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))
    rrule = models.TextField(_("RRULE"), blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=ShiftKind, default=ShiftKind.REGULAR)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC", validators=[validate_time_zone])
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ShiftKind.values), name="workforce_shiftpattern_kind_valid"),
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")),
                name="workforce_shiftpattern_end_after_start",
                violation_error_message=_("A shift ends after it starts."),
            ),
        ]

    def __str__(self):
        return self.name or f"{self.weekdays} {self.start}-{self.end}"


class Shift(TimeStampedModel):
    technician = models.ForeignKey(Technician, models.CASCADE, related_name="shifts")
    pattern = models.ForeignKey(ShiftPattern, models.SET_NULL, null=True, blank=True, related_name="shifts")
    during = DateTimeRangeField(_("during"))
    kind = models.CharField(_("kind"), max_length=16, choices=ShiftKind, default=ShiftKind.REGULAR)

    class Meta:
        ordering = ["during"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ShiftKind.values), name="workforce_shift_kind_valid"),
            # generation is idempotent: a pattern makes one shift per start
            ExclusionConstraint(
                name="workforce_shift_no_overlap",
                expressions=[("technician", RangeOperators.EQUAL), ("during", RangeOperators.OVERLAPS)],
                violation_error_message=_("The technician already has a shift at this time."),
            ),
        ]
        indexes = [
            # the candidate query's probe for a shift covering a slot: the technician's latest shift starting by then
            # (shifts never overlap, so no other can cover it; no start: -infinity), read index-only
            models.Index(
                F("technician"),
                Coalesce(
                    Func(F("during"), function="lower", output_field=models.DateTimeField()),
                    Cast(Value("-infinity"), models.DateTimeField()),
                ),
                F("during"),
                name="workforce_shift_tech_start",
            )
        ]

    def __str__(self):
        return f"{self.technician_id} {self.during}"


class TimeOff(TimeStampedModel):
    technician = models.ForeignKey(Technician, models.CASCADE, related_name="time_off")
    during = DateTimeRangeField(_("during"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=TimeOffStatus, default=TimeOffStatus.REQUESTED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        ordering = ["during"]
        verbose_name_plural = _("time off")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=TimeOffStatus.values), name="workforce_timeoff_status_valid")
        ]
        indexes = [
            GistIndex(fields=["technician", "during"], name="workforce_timeoff_gist", condition=Q(status="approved"))
        ]

    def __str__(self):
        return f"{self.technician_id} off {self.during}"
