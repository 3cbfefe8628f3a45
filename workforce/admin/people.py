"""Admin for skills, technicians, territories, shift patterns, shifts and time off: writes go through
workforce.services (omni.admin.RecordServiceAdmin), points and areas on a map widget."""

from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin
from django.utils.translation import gettext_lazy as _

from omni.admin import RecordServiceAdmin, ServiceAdmin

from .. import services
from ..models import (
    ServiceTerritory,
    Shift,
    ShiftPattern,
    Skill,
    Technician,
    TechnicianSkill,
    TerritoryMembership,
    TimeOff,
)


@admin.register(Skill)
class SkillAdmin(RecordServiceAdmin):
    list_display = ["code", "name", "category", "requires_certification", "updated_at"]
    list_filter = ["category", "requires_certification"]
    search_fields = ["code", "name", "category"]

    def record_create(self, *, by, **fields):
        return services.skill_create(**fields)

    def record_update(self, obj, *, by, **fields) -> None:
        services.skill_update(skill_id=obj.pk, **fields)


class TechnicianSkillInline(admin.TabularInline):
    model = TechnicianSkill
    fields = ["skill", "level", "certified_until"]
    autocomplete_fields = ["skill"]
    extra = 0


class MembershipInline(admin.TabularInline):
    model = TerritoryMembership
    fields = ["territory", "kind", "valid"]
    autocomplete_fields = ["territory"]
    extra = 0


@admin.register(Technician)
class TechnicianAdmin(RecordServiceAdmin, GISModelAdmin):
    list_display = ["user", "kind", "vendor", "max_jobs_per_day", "cost_per_hour", "time_zone", "active"]
    list_filter = ["kind", "active", ("vendor", admin.RelatedOnlyFieldListFilter), "memberships__territory"]
    search_fields = ["user__email", "user__full_name", "vendor__name"]
    list_select_related = ["user", "vendor"]
    autocomplete_fields = ["user", "vendor"]
    readonly_fields = ["last_location", "last_location_at", "created_at", "updated_at"]
    inlines = [TechnicianSkillInline, MembershipInline]

    def record_create(self, *, by, **fields):
        return services.technician_create(**fields)

    def record_update(self, obj, *, by, **fields) -> None:
        services.technician_update(technician_id=obj.pk, **fields)


@admin.register(TechnicianSkill)
class TechnicianSkillAdmin(admin.ModelAdmin):
    list_display = ["technician", "skill", "level", "certified_until"]
    list_filter = ["level", "skill"]
    search_fields = ["technician__user__email", "skill__code"]
    list_select_related = ["technician__user", "skill"]
    autocomplete_fields = ["technician", "skill"]


@admin.register(ServiceTerritory)
class ServiceTerritoryAdmin(RecordServiceAdmin, GISModelAdmin):
    list_display = ["code", "name", "parent", "calendar", "time_zone", "updated_at"]
    list_filter = [("parent", admin.RelatedOnlyFieldListFilter), "time_zone"]
    search_fields = ["code", "name"]
    list_select_related = ["parent", "calendar"]
    autocomplete_fields = ["parent", "calendar"]

    def record_create(self, *, by, **fields):
        return services.territory_create(**fields)

    def record_update(self, obj, *, by, **fields) -> None:
        services.territory_update(territory_id=obj.pk, **fields)


@admin.register(TerritoryMembership)
class TerritoryMembershipAdmin(RecordServiceAdmin):
    list_display = ["technician", "territory", "kind", "valid"]
    list_filter = ["kind", ("territory", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["technician__user__email", "territory__code", "territory__name"]
    list_select_related = ["technician__user", "territory"]
    autocomplete_fields = ["technician", "territory"]

    def record_create(self, *, by, **fields):
        return services.membership_create(**fields)

    def record_update(self, obj, *, by, **fields) -> None:
        services.membership_update(membership_id=obj.pk, **fields)


@admin.register(ShiftPattern)
class ShiftPatternAdmin(ServiceAdmin):
    list_display = ["technician", "name", "weekdays", "start", "end", "rrule", "kind", "time_zone", "active"]
    list_filter = ["kind", "active", "time_zone"]
    search_fields = ["technician__user__email", "name", "rrule"]
    list_select_related = ["technician__user"]
    autocomplete_fields = ["technician"]
    actions = ["generate"]

    @admin.action(description=_("Generate shifts for the next 4 weeks"), permissions=["change"])
    def generate(self, request, queryset):
        technicians = list(queryset.values_list("technician_id", flat=True).distinct())
        count = services.shifts_generate(weeks=4, technician_ids=technicians)
        self.message_user(request, _("%(n)d shifts added.") % {"n": count})


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    list_display = ["technician", "during", "kind", "pattern"]
    list_filter = ["kind"]
    search_fields = ["technician__user__email"]
    list_select_related = ["technician__user", "pattern"]
    autocomplete_fields = ["technician"]
    readonly_fields = ["pattern"]
    show_full_result_count = False


@admin.register(TimeOff)
class TimeOffAdmin(ServiceAdmin):
    list_display = ["technician", "during", "reason", "status", "decided_by"]
    list_filter = ["status"]
    search_fields = ["technician__user__email", "reason"]
    list_select_related = ["technician__user", "decided_by"]
    autocomplete_fields = ["technician"]
    readonly_fields = ["status", "decided_by"]
    actions = ["approve", "reject"]

    @admin.action(description=_("Approve selected time off"), permissions=["change"])
    def approve(self, request, queryset):
        self.each_record(
            request,
            queryset,
            lambda row: services.time_off_decide(time_off_id=row.pk, approve=True, by=request.user),
            _("%(n)d %(name)s approved."),
        )

    @admin.action(description=_("Reject selected time off"), permissions=["change"])
    def reject(self, request, queryset):
        self.each_record(
            request,
            queryset,
            lambda row: services.time_off_decide(time_off_id=row.pk, approve=False, by=request.user),
            _("%(n)d %(name)s rejected."),
        )
