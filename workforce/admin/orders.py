"""Admin for work types, work orders and appointments. Work orders are created and edited through
workforce.services; statuses change only by actions calling work_order_transition; appointments are booked by the
API and the services (listed and cancelled here)."""

from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin
from django.utils.translation import gettext_lazy as _

from omni.admin import RecordServiceAdmin, ServiceAdmin

from .. import services
from ..choices import WorkOrderStatus
from ..models import Appointment, WorkOrder, WorkOrderSkill, WorkType, WorkTypeSkill


class WorkTypeSkillInline(admin.TabularInline):
    model = WorkTypeSkill
    fields = ["skill", "min_level"]
    autocomplete_fields = ["skill"]
    extra = 0


@admin.register(WorkType)
class WorkTypeAdmin(RecordServiceAdmin):
    list_display = ["name", "default_duration_minutes", "crew_size", "default_priority", "updated_at"]
    list_filter = ["default_priority", "crew_size"]
    search_fields = ["name"]
    inlines = [WorkTypeSkillInline]

    def record_create(self, *, by, **fields):
        return services.work_type_create(**fields)

    def record_update(self, obj, *, by, **fields) -> None:
        services.work_type_update(work_type_id=obj.pk, **fields)


class WorkOrderSkillInline(admin.TabularInline):
    model = WorkOrderSkill
    fields = ["skill", "min_level"]
    autocomplete_fields = ["skill"]
    extra = 0


class AppointmentInline(admin.TabularInline):
    model = Appointment
    fields = ["technician", "scheduled", "status", "eta", "actual_start", "actual_end"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WorkOrder)
class WorkOrderAdmin(RecordServiceAdmin, GISModelAdmin):
    list_display = ["number", "account", "work_type", "priority", "status", "window_start", "due_by", "pinned"]
    list_filter = ["status", "priority", "pinned", ("work_type", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["number", "account__name", "address", "ticket__number"]
    list_select_related = ["account", "work_type"]
    autocomplete_fields = ["account", "work_type", "ticket", "preferred_technicians", "excluded_technicians"]
    readonly_fields = ["number", "status", "created_at", "updated_at"]
    inlines = [WorkOrderSkillInline, AppointmentInline]
    actions = ["cancel"]
    show_full_result_count = False

    def record_create(self, *, by, **fields):
        return services.work_order_create(by=by, required_skills=[], **fields)

    def record_update(self, obj, *, by, **fields) -> None:
        services.work_order_update(work_order_id=obj.pk, by=by, **fields)

    @admin.action(description=_("Cancel selected work orders"), permissions=["change"])
    def cancel(self, request, queryset):
        self.each_record(
            request,
            queryset,
            lambda row: services.work_order_transition(
                work_order_id=row.pk, to=WorkOrderStatus.CANCELLED, by=request.user
            ),
            _("%(n)d %(name)s cancelled."),
        )


@admin.register(Appointment)
class AppointmentAdmin(ServiceAdmin):
    list_display = ["work_order", "technician", "scheduled", "status", "eta", "at_risk_at", "seq"]
    list_filter = ["status", ("at_risk_at", admin.EmptyFieldListFilter)]
    search_fields = ["work_order__number", "technician__user__email"]
    list_select_related = ["work_order", "technician__user"]
    readonly_fields = [
        "work_order", "technician", "scheduled", "travel_before_minutes", "seq", "status", "eta", "actual_start",
        "actual_end", "at_risk_at", "cancel_reason", "reminder_sent_at", "reminder_for", "created_at", "updated_at",
    ]  # fmt: skip
    actions = ["cancel"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False  # booked through the API and services.appointment_book (shift, time-off and overlap checks)

    @admin.action(description=_("Cancel selected appointments"), permissions=["change"])
    def cancel(self, request, queryset):
        self.each_record(
            request,
            queryset,
            lambda row: services.appointment_cancel(appointment_id=row.pk, by=request.user),
            _("%(n)d %(name)s cancelled."),
        )
