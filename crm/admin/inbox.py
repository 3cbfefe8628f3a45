"""Admin of the omni-channel inbox: channels (credentials set through write-only fields and shown masked; a generated
secret appears once, in the message after create or rotation), inbox teams, agents, labels, canned replies, and
conversations, messages and attachments read-only (they change through the console and the API, whose services
keep the thread, the events and the live updates right). Writes go through crm.services."""

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from omni.admin import RecordServiceAdmin, ServiceAdmin
from omni.exceptions import DomainError

from .. import selectors, services
from ..choices import ChannelKind, ConversationStatus
from ..models import (
    CannedReply,
    Channel,
    Conversation,
    InboxAgent,
    InboxTeam,
    Label,
    Message,
    MessageAttachment,
)
from ..services.inbox_config import CHANNEL_INPUT_CREDENTIALS

CREDENTIALS = sorted({name for names in CHANNEL_INPUT_CREDENTIALS.values() for name in names})
KINDS_OF = {name: [k for k, names in CHANNEL_INPUT_CREDENTIALS.items() if name in names] for name in CREDENTIALS}


def _credential_field(name: str) -> forms.CharField:
    kinds = ", ".join(str(ChannelKind(k).label) for k in KINDS_OF[name])
    return forms.CharField(
        label=name.replace("_", " "),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("%(kinds)s. Write-only: leave blank to keep the stored value.") % {"kinds": kinds},
    )


class ChannelFormBase(forms.ModelForm):
    """The channel's fields, and one write-only field per credential (ChannelForm): blank keeps the stored value;
    nothing stored is ever put back in the page."""

    class Meta:
        model = Channel
        fields = ["kind", "name", "address", "active", "team", "config"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:
            self.fields["kind"].disabled = True

    def credentials(self) -> dict:
        kind = self.cleaned_data.get("kind") or self.instance.kind
        allowed = CHANNEL_INPUT_CREDENTIALS.get(kind, ())
        return {name: self.cleaned_data[name] for name in allowed if self.cleaned_data.get(name)}


ChannelForm = type("ChannelForm", (ChannelFormBase,), {name: _credential_field(name) for name in CREDENTIALS})


@admin.register(Channel)
class ChannelAdmin(ServiceAdmin):
    form = ChannelForm
    list_display = ["name", "kind", "address", "active", "team", "created_at"]
    list_filter = ["kind", "active", ("team", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "address"]
    list_select_related = ["team"]
    readonly_fields = ["credentials_set", "created_at", "updated_at"]
    actions = ["rotate_secret"]

    def get_fieldsets(self, request, obj=None):
        return [
            (None, {"fields": ["kind", "name", "address", "active", "team", "config"]}),
            (_("Credentials"), {"fields": ["credentials_set", *CREDENTIALS]}),
            (_("Record"), {"fields": ["created_at", "updated_at"]}),
        ]

    @admin.display(description=_("stored credentials"))
    def credentials_set(self, obj):
        masked = obj.credentials_masked() if obj is not None else {}
        if not masked:
            return "-"
        return format_html_join(", ", "{}: {}", sorted(masked.items()))

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in ["name", "address", "active", "team", "config"]}
        if change:
            services.channel_update(channel_id=obj.pk, credentials=form.credentials(), by=request.user, **fields)
            obj.refresh_from_db()
            return
        channel, secret = services.channel_create(
            kind=form.cleaned_data["kind"], credentials=form.credentials(), by=request.user, **fields
        )
        self.adopt(obj, channel)
        if secret:
            self._show_secret(request, channel, secret)

    def _show_secret(self, request, channel, secret):
        self.message_user(
            request,
            _("The secret of %(c)s is %(s)s. It is shown this once: store it now.") % {"c": channel, "s": secret},
            messages.WARNING,
        )

    def delete_model(self, request, obj):
        services.channel_delete(channel_id=obj.pk, by=request.user)

    @admin.action(description=_("Generate a new secret (email, web chat)"), permissions=["change"])
    def rotate_secret(self, request, queryset):
        for channel in queryset:
            try:
                channel, secret = services.channel_secret_rotate(channel_id=channel.pk, by=request.user)
            except DomainError as exc:
                self.message_user(request, f"{channel}: {exc.message}", messages.ERROR)
            else:
                self._show_secret(request, channel, secret)


class StaffMembersField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.email


@admin.register(InboxTeam)
class InboxTeamAdmin(ServiceAdmin):
    list_display = ["name", "auto_assign", "active", "created_at"]
    list_filter = ["auto_assign", "active"]
    search_fields = ["name", "description"]
    filter_horizontal = ["members"]
    readonly_fields = ["created_at", "updated_at"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "members":
            kwargs["queryset"] = selectors.staff_user_choices()
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        fields = self.service_fields(form)
        members = form.cleaned_data.get("members")
        if change:
            services.inboxteam_update(team_id=obj.pk, members=members, by=request.user, **fields)
            obj.refresh_from_db()
        else:
            self.adopt(obj, services.inboxteam_create(members=members, by=request.user, **fields))

    def save_related(self, request, form, formsets, change):
        # The members were set by the service (save_model); form.save_m2m would set them again, unchecked.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        services.inboxteam_delete(team_id=obj.pk, by=request.user)


@admin.register(InboxAgent)
class InboxAgentAdmin(admin.ModelAdmin):
    list_display = ["user", "available", "max_open", "last_assigned_at"]
    list_filter = ["available"]
    search_fields = ["user__email", "user__full_name"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    readonly_fields = ["last_assigned_at", "created_at", "updated_at"]


@admin.register(Label)
class LabelAdmin(RecordServiceAdmin):
    list_display = ["name", "colour", "description", "created_at"]
    search_fields = ["name", "description"]
    list_filter = ["created_at"]
    readonly_fields = ["created_at", "updated_at"]

    def record_create(self, *, by, **fields):
        return services.label_create(by=by, **fields)

    def record_update(self, obj, *, by, **fields):
        services.label_update(label_id=obj.pk, by=by, **fields)

    def delete_model(self, request, obj):
        services.label_delete(label_id=obj.pk, by=request.user)


@admin.register(CannedReply)
class CannedReplyAdmin(RecordServiceAdmin):
    list_display = ["shortcode", "title", "updated_at"]
    search_fields = ["shortcode", "title", "body"]
    list_filter = ["updated_at"]
    readonly_fields = ["created_at", "updated_at"]

    def record_create(self, *, by, **fields):
        return services.cannedreply_create(by=by, **fields)

    def record_update(self, obj, *, by, **fields):
        services.cannedreply_update(reply_id=obj.pk, by=by, **fields)

    def delete_model(self, request, obj):
        services.cannedreply_delete(reply_id=obj.pk, by=request.user)


class ReadOnlyMixin:
    """Shown, never changed here: the console and the API change these through the services."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MessageInline(ReadOnlyMixin, admin.TabularInline):
    model = Message
    fk_name = "conversation"
    extra = 0
    fields = ["created_at", "kind", "direction", "author", "sender", "body", "status"]
    readonly_fields = fields
    ordering = ["created_at"]
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author", "sender")


@admin.register(Conversation)
class ConversationAdmin(ServiceAdmin):
    list_display = [
        "number", "subject", "channel", "contact", "account", "status", "priority", "assignee", "team",
        "last_message_at",
    ]  # fmt: skip
    list_filter = [
        "status",
        "priority",
        "channel__kind",
        ("channel", admin.RelatedOnlyFieldListFilter),
        ("team", admin.RelatedOnlyFieldListFilter),
        ("assignee", admin.RelatedOnlyFieldListFilter),
        "last_message_at",
    ]
    search_fields = ["number", "subject", "contact__first_name", "contact__last_name", "contact__email", "thread_key"]
    list_select_related = ["channel", "contact", "account", "assignee", "team"]
    show_full_result_count = False
    inlines = [MessageInline]
    actions = ["resolve", "reopen"]
    fields = readonly_fields = [
        "number", "channel", "thread_key", "contact", "account", "subject", "status", "priority", "snoozed_until",
        "assignee", "team", "labels", "last_message_at", "last_inbound_at", "first_reply_at", "resolved_at",
        "merged_into", "created_by", "created_at", "updated_at",
    ]  # fmt: skip

    def has_add_permission(self, request):
        return False  # started in the console or the API (services.conversation_start)

    def save_model(self, request, obj, form, change):
        return None  # every field is read-only here; the actions change the status through the service

    def has_delete_permission(self, request, obj=None):
        return False  # the thread is the record; merge or resolve instead

    def _status(self, request, queryset, status, done):
        self.each_record(
            request,
            queryset,
            lambda c: services.conversation_status_set(conversation_id=c.pk, status=status, by=request.user),
            done,
        )

    @admin.action(description=_("Resolve selected conversations"), permissions=["change"])
    def resolve(self, request, queryset):
        self._status(request, queryset, ConversationStatus.RESOLVED, _("%(n)d %(name)s(s) resolved."))

    @admin.action(description=_("Reopen selected conversations"), permissions=["change"])
    def reopen(self, request, queryset):
        self._status(request, queryset, ConversationStatus.OPEN, _("%(n)d %(name)s(s) reopened."))


class AttachmentInline(ReadOnlyMixin, admin.TabularInline):
    model = MessageAttachment
    extra = 0
    fields = readonly_fields = ["filename", "content_type", "size", "file", "created_at"]


@admin.register(Message)
class MessageAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["created_at", "conversation", "kind", "direction", "preview", "channel", "author", "status"]
    list_filter = ["kind", "direction", "status", "channel__kind", ("channel", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["body", "external_id", "conversation__number"]
    list_select_related = ["conversation", "channel", "author"]
    show_full_result_count = False
    inlines = [AttachmentInline]
    readonly_fields = [
        "conversation", "channel", "kind", "direction", "author", "sender", "body", "original", "external_id",
        "status", "error", "metadata", "created_at", "sent_at", "delivered_at", "read_at",
    ]  # fmt: skip
    fields = readonly_fields

    @admin.display(description=_("text"))
    def preview(self, obj):
        return obj.body[:80]


@admin.register(MessageAttachment)
class MessageAttachmentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["filename", "content_type", "size", "message", "created_at"]
    list_filter = ["content_type", "created_at"]
    search_fields = ["filename", "message__conversation__number"]
    list_select_related = ["message"]
    show_full_result_count = False
    readonly_fields = ["message", "file", "filename", "content_type", "size", "created_at"]
