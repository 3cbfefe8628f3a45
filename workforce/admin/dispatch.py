"""Admin for scheduling policies (edited here: work rules and objective weights) and dispatch runs (started
here or through the API; applied or discarded by actions calling the services; proposals are read-only)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from omni.admin import RecordServiceAdmin

from ..models import DispatchAssignment, DispatchRun, SchedulingPolicy
from ..services import dispatch as dispatch_services
from ..services import policies as policy_services


@admin.register(SchedulingPolicy)
class SchedulingPolicyAdmin(RecordServiceAdmin):
    list_display = [
        "name", "territory", "is_default", "territory_rule", "max_travel_minutes", "max_jobs_per_day",
        "weight_asap", "weight_travel", "weight_preferred", "updated_at",
    ]  # fmt: skip
    list_filter = ["is_default", "territory_rule", "match_skills", "respect_shifts", "respect_window"]
    search_fields = ["name", "territory__code", "territory__name"]
    list_select_related = ["territory"]
    autocomplete_fields = ["territory"]
    fieldsets = [
        (None, {"fields": ["name", "territory", "is_default"]}),
        (
            _("Work rules (hard)"),
            {
                "fields": [
                    "match_skills",
                    "territory_rule",
                    "respect_shifts",
                    "respect_window",
                    "max_travel_minutes",
                    "max_jobs_per_day",
                ]
            },
        ),  # fmt: skip
        (
            _("Objectives (weights 0-100)"),
            {
                "fields": [
                    "weight_asap",
                    "weight_travel",
                    "weight_preferred",
                    "weight_skill_level",
                    "weight_balance",
                    "weight_overtime",
                ]
            },
        ),  # fmt: skip
    ]

    def record_create(self, *, by, **fields):
        return policy_services.policy_create(**fields)

    def record_update(self, obj, *, by, **fields) -> None:
        policy_services.policy_update(policy_id=obj.pk, **fields)


class DispatchAssignmentInline(admin.TabularInline):
    model = DispatchAssignment
    fields = ["work_order", "technician", "start", "end", "travel_minutes", "seq", "change"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(DispatchRun)
class DispatchRunAdmin(RecordServiceAdmin):
    list_display = [
        "date", "territory", "kind", "solver", "status", "progress", "total_travel_minutes", "solve_seconds",
        "created_by", "created_at",
    ]  # fmt: skip
    list_filter = ["status", "solver", "kind", ("territory", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["territory__code", "policy__name", "created_by__email"]
    list_select_related = ["territory", "created_by"]
    autocomplete_fields = ["territory", "policy"]
    date_hierarchy = "date"
    readonly_fields = [
        "status", "progress", "total_travel_minutes", "objective", "solve_seconds", "unassigned", "error",
        "created_by", "started_at", "finished_at", "applied_at", "applied_by",
    ]  # fmt: skip
    inlines = [DispatchAssignmentInline]
    actions = ["apply", "discard"]

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    def record_create(self, *, by, **fields):
        return dispatch_services.dispatch_run_create(by=by, **fields)

    def record_update(self, obj, *, by, **fields) -> None:  # runs are not edited
        raise NotImplementedError

    @admin.action(description=_("Apply the selected proposals"), permissions=["change"])
    def apply(self, request, queryset):
        self.each_record(
            request,
            queryset,
            lambda run: dispatch_services.dispatch_run_apply(run_id=run.pk, by=request.user),
            _("%(n)d %(name)s applied."),
        )

    @admin.action(description=_("Discard the selected runs"), permissions=["change"])
    def discard(self, request, queryset):
        self.each_record(
            request,
            queryset,
            lambda run: dispatch_services.dispatch_run_discard(run_id=run.pk, by=request.user),
            _("%(n)d %(name)s discarded."),
        )


@admin.register(DispatchAssignment)
class DispatchAssignmentAdmin(admin.ModelAdmin):
    list_display = ["run", "work_order", "technician", "start", "end", "travel_minutes", "change"]
    list_filter = ["change", "run__status"]
    search_fields = ["work_order__number", "technician__user__email"]
    list_select_related = ["run", "work_order", "technician__user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
