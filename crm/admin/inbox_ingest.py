"""Admin for the SMS and WhatsApp webhooks' transactional inbox (crm.InboundWebhook): what providers sent, whether
it is processed, and why not. Rows are written by the webhooks only; the admin reads them and may send failed ones
back to the queue ("Retry now"), which the next processing run takes (services.inbox_ingest)."""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..models import InboundWebhook


class StateListFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("waiting", _("Waiting")),
            ("retrying", _("Failed, will retry")),
            ("refused", _("Done with an error")),
            ("done", _("Processed")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "waiting":
            return queryset.filter(processed_at=None, attempts=0)
        if value == "retrying":
            return queryset.filter(processed_at=None, attempts__gt=0)
        if value == "refused":
            return queryset.exclude(processed_at=None).exclude(last_error="")
        if value == "done":
            return queryset.exclude(processed_at=None).filter(last_error="")
        return queryset


@admin.register(InboundWebhook)
class InboundWebhookAdmin(admin.ModelAdmin):
    list_display = ["received_at", "channel", "kind", "external_id", "processed_at", "attempts", "short_error"]
    list_filter = [StateListFilter, "kind", "channel"]
    search_fields = ["external_id", "last_error"]
    date_hierarchy = "received_at"
    list_select_related = ["channel"]
    readonly_fields = [
        "channel",
        "kind",
        "external_id",
        "payload",
        "received_at",
        "due_at",
        "processed_at",
        "attempts",
        "last_error",
    ]
    actions = ["retry_now"]

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        return obj.last_error[:120]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Retry now"), permissions=["change"])
    def retry_now(self, request, queryset):
        count = queryset.exclude(last_error="").update(processed_at=None, due_at=timezone.now())
        self.message_user(
            request, ngettext("%d webhook queued again.", "%d webhooks queued again.", count) % count, messages.SUCCESS
        )
