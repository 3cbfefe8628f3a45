"""Admin for quotes and their lines. Every write goes through crm.services.quotes (omni.admin.ServiceAdmin): a draft's
lines are replaced as a whole and its totals recomputed there; a sent, accepted, rejected or expired quote is read-only
here (revise it); statuses change only by the actions."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from omni.admin import ServiceAdmin

from .. import services
from ..choices import QuoteStatus
from ..models import Quote, QuoteLine

QUOTE_FIELDS = ["account", "lead", "contact", "title", "currency", "valid_until", "notes"]
LINE_FIELDS = ["description", "quantity", "unit_price", "discount_percent", "tax_rate", "recurring"]
TOTALS = ["subtotal_one_off", "tax_one_off", "total_one_off", "subtotal_monthly", "tax_monthly", "total_monthly"]
DECISION = ["sent_at", "decided_at", "decided_name", "decided_ip", "decided_by", "rejection_reason"]


def _is_draft(obj) -> bool:
    return obj is None or obj.status == QuoteStatus.DRAFT


class QuoteLineInline(admin.TabularInline):
    model = QuoteLine
    extra = 0
    fields = [*LINE_FIELDS, "net_amount", "tax_amount"]
    readonly_fields = ["net_amount", "tax_amount"]
    ordering = ["position", "created_at"]

    # Editable while the quote is a draft; afterwards the lines are as they were sent.
    def has_add_permission(self, request, obj=None):
        return _is_draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return _is_draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return _is_draft(obj) and super().has_delete_permission(request, obj)


@admin.register(Quote)
class QuoteAdmin(ServiceAdmin, SimpleHistoryAdmin):
    list_display = [
        "__str__",
        "status",
        "account",
        "lead",
        "currency",
        "total_one_off",
        "total_monthly",
        "valid_until",
        "sent_at",
        "created_at",
    ]
    list_filter = ["status", "currency", "valid_until", "created_at"]
    search_fields = ["number", "title", "account__number", "account__name", "lead__number", "lead__company"]
    list_select_related = ["account", "lead"]
    autocomplete_fields = ["account", "contact"]
    raw_id_fields = ["lead"]
    inlines = [QuoteLineInline]
    show_full_result_count = False
    actions = ["send", "revise"]
    date_hierarchy = "created_at"

    def get_fields(self, request, obj=None):
        return ["number", "version", "status", *QUOTE_FIELDS, *TOTALS, *DECISION, "revision_of", "created_by"]

    def get_readonly_fields(self, request, obj=None):
        fixed = ["number", "version", "status", *TOTALS, *DECISION, "revision_of", "created_by"]
        if obj is None:
            return fixed
        if not _is_draft(obj):
            return [*fixed, *QUOTE_FIELDS]
        return [*fixed, "account", "lead"]  # a draft keeps its customer

    def has_delete_permission(self, request, obj=None):
        return False  # a quote is a record of what was offered; a draft is simply never sent

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        fields = {name: data[name] for name in QUOTE_FIELDS if name in data}
        fields = {f"{k}_id" if k in ("account", "lead", "contact") else k: v for k, v in fields.items()}
        fields = {k: (v.pk if hasattr(v, "pk") else v) for k, v in fields.items()}
        if change:
            fields.pop("account_id", None), fields.pop("lead_id", None)
            services.quote_update(quote_id=obj.pk, by=request.user, **fields)
            obj.refresh_from_db()
        else:
            self.adopt(obj, services.quote_create(by=request.user, **fields))

    def save_formset(self, request, form, formset, change):
        if formset.model is not QuoteLine:
            return super().save_formset(request, form, formset, change)
        lines = [
            {name: row.cleaned_data[name] for name in LINE_FIELDS}
            for row in formset.forms
            if row.cleaned_data and not row.cleaned_data.get("DELETE")
        ]
        # One replacement of all the lines: the totals are recomputed by the service under the row lock.
        services.quote_update(quote_id=formset.instance.pk, by=request.user, lines=lines)
        self.formset_saved(formset)

    @admin.action(description=_("Send the selected draft quotes"), permissions=["change"])
    def send(self, request, queryset):
        self.each_record(
            request,
            queryset,
            lambda quote: services.quote_send(quote_id=quote.pk, by=request.user),
            _("%(n)d %(name)s(s) sent."),
        )

    @admin.action(description=_("Revise the selected quotes into new draft versions"), permissions=["add"])
    def revise(self, request, queryset):
        self.each_record(
            request,
            queryset,
            lambda quote: services.quote_revise(quote_id=quote.pk, by=request.user),
            _("%(n)d %(name)s(s) revised."),
        )


@admin.register(QuoteLine)
class QuoteLineAdmin(admin.ModelAdmin):
    """Read-only: lines are edited with their draft quote (QuoteAdmin), which recomputes the totals."""

    list_display = ["description", "quote", "quantity", "unit_price", "discount_percent", "tax_rate", "recurring"]
    list_filter = ["recurring", "quote__status", "quote__currency"]
    search_fields = ["description", "quote__number"]
    list_select_related = ["quote"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
