"""The base of every network admin: writes through network.services, geometry on a map widget."""

from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin

from omni.admin import RecordServiceAdmin

from .. import services


class PlantAdmin(RecordServiceAdmin, GISModelAdmin):
    """Create, change and delete through services.record_* (a subclass names its own create service)."""

    create_service = None  # e.g. services.cable_create; None: services.record_create(model, ...)
    show_full_result_count = False  # strands and endpoints reach hundreds of thousands of rows

    def record_create(self, *, by, **fields):
        if self.create_service is not None:
            return type(self).create_service(by=by, **fields)
        return services.record_create(self.model, by=by, **fields)

    def record_update(self, obj, *, by, **fields) -> None:
        services.record_update(self.model, pk=obj.pk, by=by, **fields)

    def delete_model(self, request, obj):
        services.record_delete(self.model, pk=obj.pk, by=request.user)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows made by services only (strands, tubes, endpoints): listed and searched, never edited here."""

    show_full_result_count = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
