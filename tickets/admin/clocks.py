"""Admin for SLA clocks and the events they fired: rows to look at (the SLA services and the beat scan write
them), filterable by state and metric, searchable by ticket number."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from omni.admin import ReadOnlyAdminMixin

from ..models import SLAClock, SLAEvent
from .scope import TicketScopeMixin

CLOCK_FIELDS = [
    "metric", "cycle", "state", "policy", "target_minutes", "business_hours", "started_at", "due_at", "warn_at",
    "paused_at", "remaining_seconds", "elapsed_seconds", "met_at", "breached_at",
]  # fmt: skip


class SLAClockInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The ticket's clocks, every cycle, on its admin page."""

    model = SLAClock
    fields = ["metric", "cycle", "state", "started_at", "due_at", "remaining_seconds", "met_at", "breached_at"]
    readonly_fields = fields
    extra = 0
    verbose_name_plural = _("SLA clocks")


class SLAEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = SLAEvent
    fields = ["at", "kind", "level", "rule"]
    readonly_fields = fields
    extra = 0


@admin.register(SLAClock)
class SLAClockAdmin(TicketScopeMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["ticket", "metric", "cycle", "state", "policy", "started_at", "due_at", "met_at", "breached_at"]
    list_filter = ["state", "metric", "business_hours", ("policy", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["ticket__number"]
    list_select_related = ["ticket", "policy"]
    fields = ["ticket", *CLOCK_FIELDS, "updated_at"]
    readonly_fields = fields
    inlines = [SLAEventInline]
    show_full_result_count = False


@admin.register(SLAEvent)
class SLAEventAdmin(TicketScopeMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    ticket_path = "clock__ticket"
    list_display = ["at", "ticket_number", "metric", "kind", "level", "rule"]
    list_filter = ["kind", "level", "clock__metric"]
    search_fields = ["clock__ticket__number"]
    list_select_related = ["clock__ticket", "rule"]
    fields = ["clock", "kind", "level", "rule", "at"]
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description=_("ticket"), ordering="clock__ticket__number")
    def ticket_number(self, event):
        return event.clock.ticket.number

    @admin.display(description=_("metric"), ordering="clock__metric")
    def metric(self, event):
        return event.clock.get_metric_display()
