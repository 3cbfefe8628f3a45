"""Admin for the optical graph: endpoints (read-only), connections (made and parted through the service) and
splice plans (changed by actions that call the service)."""

from django.contrib import admin

from omni.admin import ServiceAdmin

from .. import services
from ..choices import SplicePlanStatus
from ..models import Connection, ConnectionEnd, Endpoint, SplicePlan, SplicePlanEntry
from .base import ReadOnlyAdmin, ReadOnlyInline


@admin.register(Endpoint)
class EndpointAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "strand", "side", "splitter", "pon_port", "ont", "port", "enclosure"]
    list_filter = ["kind", "side"]
    search_fields = ["=id", "strand__cable__number", "enclosure__number", "ont__serial"]
    list_select_related = ["strand", "splitter", "pon_port__olt", "ont", "enclosure"]


@admin.register(ConnectionEnd)
class ConnectionEndAdmin(ReadOnlyAdmin):
    list_display = ["endpoint", "connection", "side"]
    list_filter = ["side"]
    search_fields = ["=endpoint__id", "=connection__id"]
    list_select_related = ["endpoint", "connection"]


@admin.register(Connection)
class ConnectionAdmin(ServiceAdmin):
    """Made by services.connection_create (one connection per endpoint, in the enclosure); only the measured loss
    and the notes change afterwards."""

    list_display = ["__str__", "kind", "status", "enclosure", "tray", "position", "loss_db", "calculated_loss_db"]
    list_filter = ["kind", "status"]
    search_fields = ["enclosure__number", "enclosure__name", "=a__id", "=b__id"]
    list_select_related = ["enclosure", "tray"]
    autocomplete_fields = ["enclosure", "tray", "a", "b", "splice_plan"]
    readonly_fields = ["calculated_loss_db", "created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        return [*self.readonly_fields, "kind", "status", "enclosure", "tray", "position", "a", "b", "splice_plan"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            services.connection_update(
                connection_id=obj.pk, loss_db=data.get("loss_db"), notes=data.get("notes", ""), by=request.user
            )
            obj.refresh_from_db()
            return
        saved = services.connection_create(
            enclosure_id=data["enclosure"].pk, a_id=data["a"].pk, b_id=data["b"].pk, kind=data["kind"],
            status=data["status"], tray_id=data["tray"].pk if data.get("tray") else None,
            position=data.get("position"), loss_db=data.get("loss_db"), notes=data.get("notes", ""), by=request.user,
        )  # fmt: skip
        self.adopt(obj, saved)

    def delete_model(self, request, obj):
        services.connection_delete(connection_id=obj.pk, by=request.user)


class SplicePlanEntryInline(ReadOnlyInline):
    model = SplicePlanEntry
    fields = readonly_fields = ["action", "kind", "a", "b", "tray", "position"]
    show_change_link = False


@admin.register(SplicePlan)
class SplicePlanAdmin(ServiceAdmin):
    """Entries come from the API (or a console page); the admin approves, applies and archives by action."""

    list_display = ["number", "name", "enclosure", "status", "approved_at", "applied_at", "created_at"]
    list_filter = ["status"]
    search_fields = ["number", "name", "enclosure__number"]
    list_select_related = ["enclosure"]
    autocomplete_fields = ["enclosure"]
    readonly_fields = ["number", "status", "approved_at", "applied_at", "created_at", "updated_at"]
    inlines = [SplicePlanEntryInline]
    actions = ["approve", "apply", "archive"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            services.splice_plan_update(plan_id=obj.pk, by=request.user, name=data["name"], notes=data["notes"])
            obj.refresh_from_db()
        else:
            saved = services.splice_plan_create(
                enclosure=data["enclosure"], name=data["name"], notes=data.get("notes", ""), by=request.user
            )
            self.adopt(obj, saved)

    def delete_model(self, request, obj):
        services.splice_plan_delete(plan_id=obj.pk, by=request.user)

    @admin.action(description="Approve selected plans", permissions=["change"])
    def approve(self, request, queryset):
        self.each_record(
            request, queryset,
            lambda p: services.splice_plan_transition(plan_id=p.pk, to=SplicePlanStatus.APPROVED, by=request.user),
            "%(n)d %(name)s(s) approved.",
        )  # fmt: skip

    @admin.action(description="Apply selected plans", permissions=["change"])
    def apply(self, request, queryset):
        self.each_record(
            request, queryset, lambda p: services.splice_plan_apply(plan_id=p.pk, by=request.user),
            "%(n)d %(name)s(s) applied.",
        )  # fmt: skip

    @admin.action(description="Archive selected plans", permissions=["change"])
    def archive(self, request, queryset):
        self.each_record(
            request, queryset,
            lambda p: services.splice_plan_transition(plan_id=p.pk, to=SplicePlanStatus.ARCHIVED, by=request.user),
            "%(n)d %(name)s(s) archived.",
        )  # fmt: skip


@admin.register(SplicePlanEntry)
class SplicePlanEntryAdmin(ReadOnlyAdmin):
    list_display = ["plan", "action", "kind", "a", "b", "tray", "position"]
    list_filter = ["action", "kind"]
    search_fields = ["plan__number", "plan__name"]
    list_select_related = ["plan", "tray"]
