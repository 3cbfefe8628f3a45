"""Admin for leads and pipeline stages. Every write goes through crm.services (omni.admin.RecordServiceAdmin), so an
admin edit records the same history and events, and meets the same checks (a lost stage needs a reason, a
converted lead stays put), as the console and the API."""

from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from omni.admin import RecordServiceAdmin, ServiceAdmin

from .. import services
from ..models import Lead, LeadStage


class ConvertedListFilter(admin.SimpleListFilter):
    title = _("converted")
    parameter_name = "converted"

    def lookups(self, request, model_admin):
        return [("yes", _("Converted")), ("no", _("Not converted"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(converted_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(converted_at__isnull=True)
        return queryset


@admin.register(LeadStage)
class LeadStageAdmin(ServiceAdmin):
    list_display = ["name", "position", "probability", "is_won", "is_lost", "is_active"]
    list_editable = ["position", "probability", "is_won", "is_lost", "is_active"]
    list_filter = ["is_won", "is_lost", "is_active"]
    search_fields = ["name"]
    ordering = ["position", "name"]

    def save_model(self, request, obj, form, change):
        fields = self.service_fields(form)
        if change:
            services.leadstage_update(stage_id=obj.pk, **{k: v for k, v in fields.items() if k in form.changed_data})
            obj.refresh_from_db()
        else:
            self.adopt(obj, services.leadstage_create(**fields))

    def delete_model(self, request, obj):
        services.leadstage_delete(stage_id=obj.pk)


@admin.register(Lead)
class LeadAdmin(RecordServiceAdmin, SimpleHistoryAdmin, GISModelAdmin):
    list_display = [
        "number", "full_name", "company", "email", "phone", "stage", "source", "owner", "reseller",
        "expected_monthly_value", "currency", "next_follow_up", "converted_at", "created_at",
    ]  # fmt: skip
    list_filter = [
        "stage",
        "source",
        ("owner", admin.RelatedOnlyFieldListFilter),
        ("reseller", admin.RelatedOnlyFieldListFilter),
        ConvertedListFilter,
        "next_follow_up",
        "created_at",
    ]
    search_fields = ["number", "first_name", "last_name", "email", "phone", "company"]
    list_select_related = ["stage", "owner", "reseller"]
    autocomplete_fields = ["owner", "reseller"]
    readonly_fields = [
        "number", "stage_changed_at", "follow_up_reminded_on", "account", "contact", "converted_at", "converted_by",
        "created_by", "created_at", "updated_at",
    ]  # fmt: skip
    show_full_result_count = False
    actions = ["convert"]
    fieldsets = [
        (None, {"fields": ["number", "first_name", "last_name", "company", "email", "phone"]}),
        (_("Pipeline"), {"fields": ["stage", "lost_reason", "source", "owner", "reseller", "stage_changed_at"]}),
        (_("Value and follow-up"), {"fields": ["currency", "expected_monthly_value", "next_follow_up", "notes"]}),
        (_("Service address"), {"fields": ["service_address", "location"]}),
        (
            _("Conversion"),
            {"fields": ["account", "contact", "converted_at", "converted_by", "follow_up_reminded_on"]},
        ),
        (_("Record"), {"fields": ["created_by", "created_at", "updated_at"]}),
    ]

    @admin.display(description=_("name"), ordering="last_name")
    def full_name(self, obj):
        return obj.full_name

    def record_create(self, *, by, **fields):
        return services.lead_create(by=by, **fields)

    def record_update(self, obj, *, by, **fields) -> None:
        services.lead_update(lead_id=obj.pk, by=by, **fields)

    def delete_model(self, request, obj):
        services.lead_delete(lead_id=obj.pk, by=request.user)

    @admin.action(description=_("Convert selected leads into new accounts"), permissions=["change"])
    def convert(self, request, queryset):
        def call(lead):
            services.lead_convert(lead_id=lead.pk, by=request.user)

        self.each_record(request, queryset, call, _("%(n)d lead(s) converted."))
