"""Admin for inbox automation: rules (written through crm.services, so the conditions and actions are validated
as in the console), and read-only records of what fired, what the system sent and the satisfaction answers."""

from django.contrib import admin

from omni.admin import ServiceAdmin

from .. import services
from ..models import AutomatedMessage, CsatResponse, Rule, RuleRun


@admin.register(Rule)
class RuleAdmin(ServiceAdmin):
    list_display = ["name", "event", "position", "match", "active", "updated_at"]
    list_editable = ["active"]
    list_filter = ["event", "active", "match"]
    search_fields = ["name"]
    ordering = ["event", "position", "name"]
    readonly_fields = ["created_at", "updated_at"]
    fields = ["name", "event", "match", "active", "position", "conditions", "actions", "created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        fields = {key: data[key] for key in ("name", "event", "match", "active", "conditions", "actions")}
        if change:
            saved = services.rule_update(rule_id=obj.pk, **fields)
            if "position" in form.changed_data:
                type(obj).objects.filter(pk=obj.pk).update(position=data["position"])
            obj.refresh_from_db()
        else:
            saved = services.rule_create(**fields)
            self.adopt(obj, saved)

    def delete_model(self, request, obj):
        services.rule_delete(rule_id=obj.pk)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by the automation: looked at, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RuleRun)
class RuleRunAdmin(ReadOnlyAdmin):
    list_display = ["rule", "event", "conversation", "created_at"]
    list_filter = ["event", ("rule", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["rule__name", "conversation__number"]
    list_select_related = ["rule", "conversation"]
    show_full_result_count = False  # one row per rule and message: a big table


@admin.register(AutomatedMessage)
class AutomatedMessageAdmin(ReadOnlyAdmin):
    list_display = ["purpose", "key", "conversation", "created_at"]
    list_filter = ["purpose"]
    search_fields = ["conversation__number", "key"]
    list_select_related = ["conversation"]
    show_full_result_count = False


@admin.register(CsatResponse)
class CsatResponseAdmin(ReadOnlyAdmin):
    list_display = ["conversation", "rating", "agent", "team", "resolved_at", "created_at"]
    list_filter = ["rating", ("team", admin.RelatedOnlyFieldListFilter), ("agent", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["conversation__number", "comment", "agent__email"]
    list_select_related = ["conversation", "agent", "team"]
    date_hierarchy = "created_at"
