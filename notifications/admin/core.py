"""Admin for templates (live preview, test send), preferences, quiet hours, the delivery log (with per-event
statistics) and in-app notifications."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from omni.admin import ReadOnlyAdminMixin, ServiceAdmin

from .. import registry, rendering, services
from ..api.filters import DeliveryFilterSet
from ..choices import Channel, DeliveryStatus
from ..models import Delivery, DeliveryAttempt, Notification, Preference, QuietHours, Template
from ..selectors import delivery_statistics, status_legend

PREVIEW_TEMPLATE = "staff/notifications/admin/_preview.html"
TEST_RESULT_TEMPLATE = "staff/notifications/admin/_test_result.html"


def _event_choices():
    return registry.choices()


def time_zone_choices():
    return [("", _("The person's or the instance's")), *((tz, tz) for tz in sorted(zoneinfo.available_timezones()))]


class EventListFilter(admin.SimpleListFilter):
    """Events from the catalogue (no query)."""

    title, parameter_name = _("event"), "event"

    def lookups(self, request, model_admin):
        return registry.choices()

    def queryset(self, request, queryset):
        return queryset.filter(event=self.value()) if self.value() else queryset


# ---- templates ------------------------------------------------------------------------------------------------


class TemplateForm(forms.ModelForm):
    """Refuses a template that does not render (line and reason), checked against the event's sample payload."""

    event = forms.ChoiceField(label=_("Event"), choices=_event_choices)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)

    class Meta:
        model = Template
        fields = ["event", "channel", "language", "subject", "body_text", "body_html", "is_active"]
        widgets = {
            "subject": forms.TextInput(attrs={"class": "vTextField", "autocomplete": "off", "style": "width: 40em"}),
            "body_text": forms.Textarea(attrs={"rows": 10, "class": "vLargeTextField", "spellcheck": "false"}),
            "body_html": forms.Textarea(attrs={"rows": 12, "class": "vLargeTextField", "spellcheck": "false"}),
        }

    def clean(self):
        cleaned = super().clean()
        event, channel = cleaned.get("event"), cleaned.get("channel")
        if not event or not channel:
            return cleaned
        for name, message in template_shape_errors(
            channel=channel,
            subject=cleaned.get("subject", ""),
            text=cleaned.get("body_text", ""),
            html=cleaned.get("body_html", ""),
        ).items():
            self.add_error(name, message)
        try:
            rendering.validate(
                event=event,
                subject=cleaned.get("subject", ""),
                text=cleaned.get("body_text", ""),
                html=cleaned.get("body_html", ""),
            )
        except ValidationError as exc:
            for name, reasons in exc.message_dict.items():
                for reason in reasons:
                    self.add_error(name if name in self.fields else None, reason)
        return cleaned


def template_shape_errors(*, channel: str, subject: str, text: str, html: str) -> dict[str, str]:
    """What each channel needs: an email a subject and a body; other channels a text (or, in-app, a title)."""
    errors = {}
    if channel == Channel.EMAIL:
        if not subject.strip():
            errors["subject"] = _("An email needs a subject.")
        if not text.strip() and not html.strip():
            errors["body_text"] = _("An email needs a text or an HTML body.")
    else:
        if html.strip():
            errors["body_html"] = _("Only emails have an HTML body.")
        if channel == Channel.INAPP and not (subject.strip() or text.strip()):
            errors["subject"] = _("An in-app notification needs a title (subject) or a text.")
        elif channel in (Channel.SMS, Channel.PUSH) and not text.strip():
            errors["body_text"] = _("This channel sends the text body: it cannot be empty.")
    return errors


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    form = TemplateForm
    list_display = ["event", "channel", "language", "subject", "is_active", "updated_at"]
    list_filter = ["channel", "language", "is_active", EventListFilter]
    search_fields = ["event", "subject"]
    actions = ["test_send"]
    change_form_template = "staff/notifications/admin/template_change_form.html"
    fieldsets = [
        (None, {"fields": ["event", "channel", "language", "is_active"]}),
        (
            _("Content"),
            {
                "fields": ["subject", "body_text", "body_html"],
                "description": _(
                    "Jinja2 over the event's payload: {{ number }}, {% if … %}…{% endif %}, "
                    "{{ recipient.name }}, {{ url }}, {{ unsubscribe_url }}. The preview below renders as you type."
                ),
            },
        ),
    ]

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("preview/", view(self.preview_view), name="notifications_template_preview"),
            path("test-send/", view(self.test_send_view), name="notifications_template_test_send"),
            *super().get_urls(),
        ]

    def get_changeform_initial_data(self, request):
        """`?event=…&channel=…` starts from the app's shipped default, to edit rather than retype it."""
        initial = super().get_changeform_initial_data(request)
        try:
            default = registry.get(initial.get("event", "")).default_template(initial.get("channel", ""))
        except LookupError:
            default = None
        if default is not None:
            initial.update(subject=default.subject, body_text=default.text, body_html=default.html)
        return initial

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **self._urls()})

    def add_view(self, request, form_url="", extra_context=None):
        return super().add_view(request, form_url, {**(extra_context or {}), **self._urls()})

    def _urls(self):
        return {
            "preview_url": reverse("admin:notifications_template_preview"),
            "test_send_url": reverse("admin:notifications_template_test_send"),
        }

    def _may_edit(self, request) -> bool:
        return self.has_change_permission(request) or self.has_add_permission(request)

    def preview_view(self, request):
        """POST the form as typed: the parts rendered over the event's sample payload, or each error."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self._may_edit(request):
            raise PermissionDenied
        data = request.POST
        event, channel = data.get("event", ""), data.get("channel", "")
        try:
            registry.get(event)
        except LookupError:
            return TemplateResponse(request, PREVIEW_TEMPLATE, {"errors": {"event": [_("Choose an event.")]}})
        if channel not in Channel.values:
            return TemplateResponse(request, PREVIEW_TEMPLATE, {"errors": {"channel": [_("Choose a channel.")]}})
        result = rendering.preview(
            event=event,
            channel=channel,
            subject=data.get("subject", ""),
            text=data.get("body_text", ""),
            html=data.get("body_html", ""),
            language=data.get("language", ""),
        )
        return TemplateResponse(request, PREVIEW_TEMPLATE, {**result, "channel": channel})

    def test_send_view(self, request):
        """POST the form as typed: send it to yourself now (email or in-app) and say what happened."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self._may_edit(request):
            raise PermissionDenied
        data = request.POST
        try:
            delivery = services.template_test_send(
                user=request.user,
                event=data.get("event", ""),
                channel=data.get("channel", ""),
                subject=data.get("subject", ""),
                text=data.get("body_text", ""),
                html=data.get("body_html", ""),
            )
        except ValidationError as exc:
            return TemplateResponse(request, TEST_RESULT_TEMPLATE, {"errors": exc.message_dict}, status=200)
        return TemplateResponse(request, TEST_RESULT_TEMPLATE, {"delivery": delivery})

    @admin.action(description=_("Send a test of the selected templates to me"), permissions=["change"])
    def test_send(self, request, queryset):
        for template in queryset:
            try:
                delivery = services.template_test_send(
                    user=request.user,
                    event=template.event,
                    channel=template.channel,
                    subject=template.subject,
                    text=template.body_text,
                    html=template.body_html,
                )
            except ValidationError as exc:
                self.message_user(request, f"{template}: {'; '.join(exc.messages)}", messages.ERROR)
                continue
            level = messages.SUCCESS if delivery.status == DeliveryStatus.SENT else messages.WARNING
            self.message_user(request, f"{template}: {delivery.get_status_display()} {delivery.reason}".strip(), level)


# ---- preferences and quiet hours --------------------------------------------------------------------------------


class PreferenceForm(forms.ModelForm):
    event = forms.ChoiceField(label=_("Event"), choices=lambda: [("*", _("* (every event)")), *registry.choices()])

    class Meta:
        model = Preference
        fields = ["recipient_key", "event", "channel", "enabled"]
        help_texts = {"recipient_key": _("omni.user:<uuid> for staff, crm.contact:<uuid> for a contact.")}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("event") and cleaned.get("channel"):
            try:
                services.preference_validate(
                    event=cleaned["event"], channel=cleaned["channel"], enabled=cleaned.get("enabled", False)
                )
            except ValidationError as exc:
                for name, reasons in exc.message_dict.items():
                    for reason in reasons:
                        self.add_error(name if name in self.fields else None, reason)
        return cleaned


@admin.register(Preference)
class PreferenceAdmin(ServiceAdmin):
    """Saved through services.preference_set (a mandatory event cannot be switched off). Whose, which event and
    which channel a row is about are fixed once saved: add another row instead."""

    form = PreferenceForm
    list_display = ["recipient_key", "event", "channel", "enabled", "updated_at"]
    list_filter = ["channel", "enabled", EventListFilter]
    search_fields = ["=recipient_key", "event"]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return ["recipient_key", "event", "channel"] if obj else []

    def save_model(self, request, obj, form, change):
        self.adopt(
            obj,
            services.preference_set(
                recipient_key=obj.recipient_key, event=obj.event, channel=obj.channel, enabled=obj.enabled
            ),
        )


class QuietHoursForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices, required=False)

    class Meta:
        model = QuietHours
        fields = ["recipient_key", "start", "end", "time_zone"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") is not None and cleaned.get("start") == cleaned.get("end"):
            self.add_error("end", _("The quiet hours must end at another time than they start."))
        return cleaned


@admin.register(QuietHours)
class QuietHoursAdmin(ServiceAdmin):
    """Saved through services.quiet_hours_set and cleared through quiet_hours_clear, like the person's own page."""

    form = QuietHoursForm
    list_display = ["recipient_key", "start", "end", "time_zone", "updated_at"]
    search_fields = ["=recipient_key"]
    list_filter = ["time_zone"]

    def get_readonly_fields(self, request, obj=None):
        return ["recipient_key"] if obj else []

    def save_model(self, request, obj, form, change):
        self.adopt(
            obj,
            services.quiet_hours_set(
                recipient_key=obj.recipient_key, start=obj.start, end=obj.end, time_zone=obj.time_zone
            ),
        )

    def delete_model(self, request, obj):
        services.quiet_hours_clear(recipient_key=obj.recipient_key)


# ---- deliveries ---------------------------------------------------------------------------------------------------


class DeliveryAttemptInline(admin.TabularInline):
    """The delivery log, read-only: one row per attempt and per provider report, seen by who sees the delivery."""

    model = DeliveryAttempt
    fields = readonly_fields = ["number", "created_at", "outcome", "answer"]
    extra, can_delete = 0, False

    def has_add_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("notifications.view_delivery")


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The delivery log: read-only; failed deliveries can be sent again."""

    list_display = ["created_at", "event", "channel", "recipient", "status", "attempts", "sent_at", "reason"]
    list_filter = ["status", "channel", EventListFilter, "created_at"]
    search_fields = ["=recipient_key", "address", "recipient_name", "=idempotency_key", "=provider_message_id"]
    show_full_result_count = False
    actions = ["retry"]
    change_list_template = "staff/notifications/admin/delivery_change_list.html"
    readonly_fields = [
        "event", "channel", "status", "reason", "recipient_key", "recipient_name", "address", "language",
        "attempts", "max_attempts", "scheduled_for", "locked_until", "sent_at", "delivered_at", "idempotency_key",
        "provider_message_id", "subject", "body_text", "body_html", "payload", "created_at",
        "updated_at",
    ]  # fmt: skip
    fieldsets = [
        (None, {"fields": ["event", "channel", "status", "reason", "created_at", "updated_at"]}),
        (_("Recipient"), {"fields": ["recipient_key", "recipient_name", "address", "language"]}),
        (
            _("Attempts"),
            {
                "fields": [
                    "attempts",
                    "max_attempts",
                    "scheduled_for",
                    "locked_until",
                    "sent_at",
                    "delivered_at",
                    "provider_message_id",
                    "idempotency_key",
                ]  # fmt: skip
            },
        ),
        (_("Content"), {"fields": ["subject", "body_text", "body_html", "payload"]}),
    ]
    inlines = [DeliveryAttemptInline]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            queryset = queryset.defer("payload", "body_text", "body_html")
        return queryset

    @admin.display(description=_("recipient"), ordering="address")
    def recipient(self, delivery):
        return f"{delivery.recipient_name} <{delivery.address}>" if delivery.recipient_name else delivery.address

    # Read-only (ReadOnlyAdminMixin): a log, statuses change only through the retry action, which calls the service.

    def has_retry_permission(self, request):
        return request.user.has_perm("notifications.change_delivery")

    @admin.action(description=_("Send the selected failed deliveries again"), permissions=["retry"])
    def retry(self, request, queryset):
        count = services.deliveries_retry(queryset.filter(status=DeliveryStatus.FAILED).values_list("pk", flat=True))
        self.message_user(request, _("%(n)d failed delivery(ies) queued again.") % {"n": count})

    def get_urls(self):
        return [
            path(
                "statistics/",
                self.admin_site.admin_view(self.statistics_view),
                name="notifications_delivery_statistics",
            ),
            *super().get_urls(),
        ]

    def statistics_view(self, request):
        """Deliveries per event and status (one GROUP BY), with bars; filtered like the log."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        filters = DeliveryFilterSet(request.GET, queryset=Delivery.objects.all(), request=request)
        rows = delivery_statistics(filters.qs if filters.is_valid() else Delivery.objects.none())
        context = {
            **self.admin_site.each_context(request),
            "title": _("Deliveries per event"),
            "opts": self.model._meta,
            "filters": filters,
            "rows": rows,
            "legend": status_legend(),
        }
        return TemplateResponse(request, "staff/notifications/admin/statistics.html", context)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "event", "title", "read_at"]
    list_filter = [EventListFilter, ("read_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["user__email", "title", "=event"]
    list_select_related = ["user"]
    raw_id_fields = ["user", "delivery"]
    readonly_fields = ["created_at", "updated_at"]
    show_full_result_count = False
