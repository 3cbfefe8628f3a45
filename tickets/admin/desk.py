"""Admin for teams, tickets, comments and status history. Every write goes through tickets.services; statuses
change only by the actions (services.ticket_transition), comments and history are read here."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from omni.admin import DeletedListFilter, ReadOnlyAdminMixin, RecordServiceAdmin, SoftDeleteAdminMixin

from .. import services
from ..choices import TicketStatus
from ..models import Team, TeamUserObjectPermission, Ticket, TicketComment, TicketStatusChange
from .clocks import SLAClockInline
from .scope import TicketScopeMixin


class TeamAccessInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Who else may read or work the team's tickets (granted by services.team_access_set)."""

    model = TeamUserObjectPermission
    fields = ["user", "permission"]
    readonly_fields = fields
    extra = 0
    verbose_name_plural = _("access of other staff")


@admin.register(Team)
class TeamAdmin(RecordServiceAdmin):
    list_display = ["name", "active", "member_count", "updated_at"]
    list_filter = ["active"]
    search_fields = ["name", "description"]
    filter_horizontal = ["members"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [TeamAccessInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("members")

    @admin.display(description=_("members"))
    def member_count(self, team):
        return len(team.members.all())

    def record_create(self, *, by, **fields):
        return services.team_create(by=by, **fields)

    def record_update(self, obj, *, by, **fields) -> None:
        services.team_update(team_id=obj.pk, by=by, **fields)

    def save_related(self, request, form, formsets, change):
        # Members through the service (only active staff), never form.save_m2m().
        services.team_members_set(
            team_id=form.instance.pk, user_ids=[user.pk for user in form.cleaned_data["members"]], by=request.user
        )
        for formset in formsets:  # read-only inlines: nothing to save, only the change message to fill
            self.formset_saved(formset)


class TicketCommentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = TicketComment
    fields = ["created_at", "author", "public", "body"]
    readonly_fields = fields
    extra = 0


class TicketStatusChangeInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = TicketStatusChange
    fields = ["at", "old", "new", "by", "note"]
    readonly_fields = fields
    extra = 0


def _transition_action(to: str, description: str):
    def action(modeladmin, request, queryset):
        modeladmin.each_record(
            request,
            queryset,
            lambda ticket: services.ticket_transition(ticket_id=ticket.pk, to=to, by=request.user),
            _("%(n)d %(name)s moved."),
        )

    action.__name__ = f"make_{to}"
    return admin.action(description=description, permissions=["change"])(action)


@admin.register(Ticket)
class TicketAdmin(TicketScopeMixin, SoftDeleteAdminMixin, RecordServiceAdmin):
    ticket_path = ""
    list_display = [
        "number", "subject", "account", "status", "priority", "sla_state", "team", "assignee", "created_at",
    ]  # fmt: skip
    list_filter = [
        "status",
        "priority",
        "sla_state",
        "source",
        ("team", admin.RelatedOnlyFieldListFilter),
        "category",
        DeletedListFilter,
    ]
    search_fields = ["number", "subject", "account__name", "account__number", "contact__email"]
    list_select_related = ["account", "team", "assignee"]
    autocomplete_fields = [
        "account",
        "contact",
        "assignee",
        "team",
        "parent",
        "follow_up_of",
        "watchers",
        "conversation",
    ]
    readonly_fields = [
        "number", "status", "resolution", "first_response_at", "resolved_at", "closed_at", "sla_state",
        "first_response_due", "resolution_due", "created_at", "updated_at", "deleted_at",
    ]  # fmt: skip
    inlines = [TicketCommentInline, TicketStatusChangeInline, SLAClockInline]
    # Resolving needs a note: the ticket's page in the console (or the API) does it, not a bulk action.
    actions = [
        _transition_action(TicketStatus.OPEN, _("Open selected tickets")),
        _transition_action(TicketStatus.ON_HOLD, _("Put selected tickets on hold")),
        _transition_action(TicketStatus.CLOSED, _("Close selected tickets")),
        "soft_delete",
        "restore",
    ]
    show_full_result_count = False

    def record_create(self, *, by, **fields):
        fields.pop("watchers", None)  # save_related sets them
        return services.ticket_create(account_id=fields.pop("account").pk, by=by, **fields)

    def record_update(self, obj, *, by, **fields) -> None:
        services.ticket_update(ticket_id=obj.pk, by=by, **fields)

    def save_related(self, request, form, formsets, change):
        # Watchers through the service (only active staff), never form.save_m2m(); the inlines are read-only.
        watchers = [user.pk for user in form.cleaned_data.get("watchers", [])]
        services.ticket_update(ticket_id=form.instance.pk, by=request.user, watcher_ids=watchers)
        for formset in formsets:
            self.formset_saved(formset)

    def soft_delete_record(self, record, *, by) -> None:
        services.ticket_delete(ticket_id=record.pk, by=by)

    def restore_record(self, record, *, by) -> None:
        services.ticket_restore(ticket_id=record.pk, by=by)


@admin.register(TicketComment)
class TicketCommentAdmin(TicketScopeMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["ticket", "author", "public", "created_at"]
    list_filter = ["public"]
    search_fields = ["ticket__number", "body", "author__email"]
    list_select_related = ["ticket", "author"]
    show_full_result_count = False


@admin.register(TicketStatusChange)
class TicketStatusChangeAdmin(TicketScopeMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["ticket", "old", "new", "by", "at"]
    list_filter = ["old", "new"]
    search_fields = ["ticket__number", "by__email"]
    list_select_related = ["ticket", "by"]
    show_full_result_count = False


@admin.register(TeamUserObjectPermission)
class TeamAccessAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Granted and revoked by services.team_access_set."""

    list_display = ["content_object", "user", "permission"]
    list_filter = [("content_object", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["content_object__name", "user__email"]
    list_select_related = ["content_object", "user", "permission"]
