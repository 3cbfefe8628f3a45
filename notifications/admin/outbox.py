"""Admin for the outbox: domain events waiting to be sent, sent, or failing (with their last error). Read-only:
events are written by the apps' services; "Dispatch now" sends the selected ones at once."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import outbox
from ..models import OutboxEvent
from .core import EventListFilter


class DispatchedFilter(admin.SimpleListFilter):
    title, parameter_name = _("state"), "state"

    def lookups(self, request, model_admin):
        return [("pending", _("Waiting")), ("failing", _("Failing")), ("dispatched", _("Dispatched"))]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(dispatched_at__isnull=True)
        if self.value() == "failing":
            return queryset.filter(dispatched_at__isnull=True).exclude(last_error="")
        if self.value() == "dispatched":
            return queryset.filter(dispatched_at__isnull=False)
        return queryset


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ["event", "created_at", "dispatched_at", "attempts", "next_attempt_at", "actor", "short_error"]
    list_filter = [DispatchedFilter, EventListFilter]
    search_fields = ["=id", "event", "last_error"]
    list_select_related = ["actor"]
    date_hierarchy = "created_at"
    show_full_result_count = False  # one row per domain write: never count the whole table
    readonly_fields = [
        "id", "event", "data", "url", "permission", "actor", "created_at", "dispatched_at", "attempts",
        "next_attempt_at", "last_error",
    ]  # fmt: skip
    actions = ["dispatch_now"]

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        return obj.last_error[:80]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # the record of what happened; dispatching is the action below

    def has_dispatch_permission(self, request):
        return request.user.has_perm("notifications.change_outboxevent")

    @admin.action(description=_("Dispatch the selected events now"), permissions=["dispatch"])
    def dispatch_now(self, request, queryset):
        sent = sum(outbox.outbox_dispatch(pk) for pk in queryset.filter(dispatched_at__isnull=True).values_list(
            "pk", flat=True
        ))  # fmt: skip
        self.message_user(
            request,
            ngettext("%(n)d event dispatched.", "%(n)d events dispatched.", sent) % {"n": sent},
            messages.SUCCESS,
        )
