"""Admin for the staff console's saved ticket views and macros. Macros are desk configuration, edited here; saved
views are made on the ticket list (services.saved_view_create) and only looked after here."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import Macro, SavedView


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "shared", "query", "updated_at"]
    list_filter = ["shared"]
    search_fields = ["name", "owner__email", "query"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    list_display = ["name", "public", "status", "priority", "assignment", "team", "active", "updated_at"]
    list_filter = ["active", "public", "status", "priority", ("team", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "body"]
    list_select_related = ["assignee", "team"]
    autocomplete_fields = ["assignee", "team"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "active"]}),
        (
            _("Reply"),
            {
                "fields": ["body", "public"],
                "description": _(
                    "Placeholders: {{ ticket.number }}, {{ ticket.subject }}, {{ contact.name }}, "
                    "{{ account.name }}, {{ agent.name }}."
                ),
            },
        ),
        (_("Then set"), {"fields": ["status", "priority", "assign_to_self", "assignee", "team", "tags"]}),
        (None, {"fields": ["created_at", "updated_at"]}),
    ]

    @admin.display(description=_("assign to"))
    def assignment(self, macro):
        if macro.assign_to_self:
            return _("whoever runs it")
        return macro.assignee or "—"
