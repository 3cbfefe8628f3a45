"""Scheduling policies and dispatch runs (DOMAIN.md C.3, C.4.4)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from omni.models import TimeStampedModel

from ..choices import AssignmentChange, DispatchRunKind, DispatchRunStatus, Solver, TerritoryRule

WEIGHT = [MinValueValidator(0), MaxValueValidator(100)]


class SchedulingPolicy(TimeStampedModel):
    """Work rules (hard, pass/fail) and weighted service objectives (soft, 0-100 each) for slot grading and
    optimisation. One default per territory, and one default with no territory (the fallback)."""

    name = models.CharField(_("name"), max_length=100)
    territory = models.ForeignKey(
        "workforce.ServiceTerritory", models.CASCADE, null=True, blank=True, related_name="policies"
    )
    is_default = models.BooleanField(_("default"), default=False)
    # hard rules
    match_skills = models.BooleanField(_("match skills"), default=True)
    territory_rule = models.CharField(_("territory"), max_length=8, choices=TerritoryRule, default=TerritoryRule.HARD)
    respect_shifts = models.BooleanField(_("respect shifts"), default=True)
    respect_window = models.BooleanField(_("respect the arrival window"), default=True)
    max_travel_minutes = models.PositiveIntegerField(_("max travel (minutes)"), null=True, blank=True)
    max_jobs_per_day = models.PositiveSmallIntegerField(_("max jobs a day"), null=True, blank=True)
    # objectives
    weight_asap = models.PositiveSmallIntegerField(_("ASAP"), default=30, validators=WEIGHT)
    weight_travel = models.PositiveSmallIntegerField(_("minimise travel"), default=40, validators=WEIGHT)
    weight_preferred = models.PositiveSmallIntegerField(_("preferred technician"), default=10, validators=WEIGHT)
    weight_skill_level = models.PositiveSmallIntegerField(_("skill level"), default=5, validators=WEIGHT)
    weight_balance = models.PositiveSmallIntegerField(_("balance the load"), default=10, validators=WEIGHT)
    weight_overtime = models.PositiveSmallIntegerField(_("minimise overtime"), default=5, validators=WEIGHT)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = _("scheduling policies")
        constraints = [
            models.UniqueConstraint(fields=["name"], name="workforce_policy_name_unique"),
            models.CheckConstraint(
                condition=Q(territory_rule__in=TerritoryRule.values), name="workforce_policy_territory_rule_valid"
            ),
            models.UniqueConstraint(
                fields=["territory"],
                condition=Q(is_default=True, territory__isnull=False),
                name="workforce_policy_one_default_per_territory",
                violation_error_message=_("The territory already has a default policy."),
            ),
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True, territory__isnull=True),
                name="workforce_policy_one_global_default",
                violation_error_message=_("There already is a default policy for every territory."),
            ),
            models.CheckConstraint(
                condition=Q(
                    weight_asap__lte=100,
                    weight_travel__lte=100,
                    weight_preferred__lte=100,
                    weight_skill_level__lte=100,
                    weight_balance__lte=100,
                    weight_overtime__lte=100,
                ),
                name="workforce_policy_weights_0_100",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def weights(self) -> dict[str, int]:
        return {
            "asap": self.weight_asap,
            "travel": self.weight_travel,
            "preferred": self.weight_preferred,
            "skill_level": self.weight_skill_level,
            "balance": self.weight_balance,
            "overtime": self.weight_overtime,
        }


class DispatchRun(TimeStampedModel):
    """One optimisation: a proposal (assignments, unassigned work with the rule that excluded it) a dispatcher
    reviews and applies atomically. Runs in a Celery task (workforce.tasks.dispatch_run_execute)."""

    policy = models.ForeignKey(SchedulingPolicy, models.PROTECT, related_name="runs", verbose_name=_("policy"))
    territory = models.ForeignKey(
        "workforce.ServiceTerritory", models.PROTECT, null=True, blank=True, related_name="dispatch_runs"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=DispatchRunKind, default=DispatchRunKind.GLOBAL)
    date = models.DateField(_("date"))
    horizon_days = models.PositiveSmallIntegerField(
        _("horizon (days)"), default=1, validators=[MinValueValidator(1), MaxValueValidator(14)]
    )
    not_before = models.DateTimeField(_("not before"), null=True, blank=True)  # in-day: plan from this moment
    solver = models.CharField(_("solver"), max_length=16, choices=Solver, default=Solver.VROOM)
    time_limit_s = models.PositiveIntegerField(
        _("time limit (s)"), default=10, validators=[MinValueValidator(1), MaxValueValidator(240)]
    )
    status = models.CharField(
        _("status"), max_length=16, choices=DispatchRunStatus, default=DispatchRunStatus.QUEUED, editable=False
    )
    progress = models.PositiveSmallIntegerField(_("progress"), default=0, editable=False)
    total_travel_minutes = models.PositiveIntegerField(_("total travel (minutes)"), null=True, blank=True)
    objective = models.FloatField(_("objective"), null=True, blank=True, editable=False)
    solve_seconds = models.FloatField(_("solve time (s)"), null=True, blank=True, editable=False)
    unassigned = models.JSONField(_("unassigned"), default=list, blank=True, editable=False)
    error = models.TextField(_("error"), blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True, editable=False)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True, editable=False)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=DispatchRunStatus.values), name="workforce_run_status_valid"),
            models.CheckConstraint(condition=Q(solver__in=Solver.values), name="workforce_run_solver_valid"),
            models.CheckConstraint(condition=Q(kind__in=DispatchRunKind.values), name="workforce_run_kind_valid"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="workforce_run_progress_0_100"),
            models.CheckConstraint(
                condition=Q(time_limit_s__gte=1, time_limit_s__lte=240), name="workforce_run_time_limit_valid"
            ),
            models.CheckConstraint(
                condition=Q(horizon_days__gte=1, horizon_days__lte=14), name="workforce_run_horizon_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="workforce_run_status_created")]

    def __str__(self):
        return f"{self.date} {self.solver} ({self.status})"


class DispatchAssignment(TimeStampedModel):
    """One row of a run's proposal: a work order with a technician at a time, and what applying it changes."""

    run = models.ForeignKey(DispatchRun, models.CASCADE, related_name="assignments")
    work_order = models.ForeignKey("workforce.WorkOrder", models.CASCADE, related_name="dispatch_assignments")
    technician = models.ForeignKey("workforce.Technician", models.CASCADE, related_name="dispatch_assignments")
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    travel_minutes = models.PositiveIntegerField(_("travel before (minutes)"), default=0)
    seq = models.PositiveSmallIntegerField(_("sequence"), default=0)
    change = models.CharField(_("change"), max_length=8, choices=AssignmentChange, default=AssignmentChange.NEW)

    class Meta:
        ordering = ["technician", "start"]
        constraints = [
            models.UniqueConstraint(fields=["run", "work_order"], name="workforce_assignment_one_per_run"),
            models.CheckConstraint(
                condition=Q(change__in=AssignmentChange.values), name="workforce_assignment_change_valid"
            ),
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="workforce_assignment_end_after"),
        ]

    def __str__(self):
        return f"{self.work_order_id} -> {self.technician_id} {self.start:%Y-%m-%d %H:%M}"
