"""Admin for the field work on work orders (the technician view writes them through workforce.services.field):
listed, searched and filtered here; the status history and the sync's idempotency keys are read-only records."""

from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin

from ..models import (
    ChecklistItem,
    CustomerSignature,
    MaterialUsed,
    SyncOperation,
    TimeEntry,
    WorkOrderNote,
    WorkOrderPhoto,
    WorkOrderStatusChange,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by the technician view's services: viewable, not added or edited here (that would skip the
    services' checks: the closed work order, the file checks, the overlap)."""

    show_full_result_count = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ChecklistItem)
class ChecklistItemAdmin(ReadOnlyAdmin):
    list_display = ["work_order", "position", "label", "done", "done_at", "done_by"]
    list_filter = ["done"]
    search_fields = ["work_order__number", "label"]
    list_select_related = ["work_order", "done_by"]


@admin.register(WorkOrderNote)
class WorkOrderNoteAdmin(ReadOnlyAdmin):
    list_display = ["work_order", "author", "body", "created_at"]
    list_filter = [("author", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["work_order__number", "body", "author__email"]
    list_select_related = ["work_order", "author"]


@admin.register(WorkOrderPhoto)
class WorkOrderPhotoAdmin(ReadOnlyAdmin, GISModelAdmin):
    list_display = ["work_order", "name", "content_type", "size", "taken_at", "uploaded_by"]
    list_filter = ["content_type", "taken_at"]
    search_fields = ["work_order__number", "name", "uploaded_by__email"]
    list_select_related = ["work_order", "uploaded_by"]


@admin.register(CustomerSignature)
class CustomerSignatureAdmin(ReadOnlyAdmin):
    list_display = ["work_order", "signer_name", "signed_at", "captured_by"]
    list_filter = ["signed_at"]
    search_fields = ["work_order__number", "signer_name"]
    list_select_related = ["work_order", "captured_by"]


@admin.register(TimeEntry)
class TimeEntryAdmin(ReadOnlyAdmin):
    list_display = ["technician", "kind", "during", "work_order", "note"]
    list_filter = ["kind", ("technician", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["technician__user__email", "work_order__number", "note"]
    list_select_related = ["technician__user", "work_order"]


@admin.register(MaterialUsed)
class MaterialUsedAdmin(ReadOnlyAdmin):
    list_display = ["work_order", "item", "quantity", "unit", "recorded_by", "created_at"]
    list_filter = ["unit"]
    search_fields = ["work_order__number", "item"]
    list_select_related = ["work_order", "recorded_by"]


@admin.register(WorkOrderStatusChange)
class WorkOrderStatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["work_order", "old", "new", "by", "at", "note"]
    list_filter = ["new", "old"]
    search_fields = ["work_order__number", "by__email", "note"]
    list_select_related = ["work_order", "by"]

    def has_delete_permission(self, request, obj=None):
        return False  # history


@admin.register(SyncOperation)
class SyncOperationAdmin(ReadOnlyAdmin):
    list_display = ["key", "op", "outcome", "technician", "work_order", "created_at"]
    list_filter = ["outcome", "op"]
    search_fields = ["key", "technician__user__email", "work_order__number"]
    list_select_related = ["technician__user", "work_order"]
