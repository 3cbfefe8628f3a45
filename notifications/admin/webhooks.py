"""Admin for outbound webhooks: endpoints (the secret is never shown), messages with their attempts, and the
attempt log; actions call notifications.services (enable, disable, test event, redeliver)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.postgres.forms import SimpleArrayField
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from omni.admin import ServiceAdmin
from omni.exceptions import DomainError

from .. import registry, services
from ..models import WebhookAttempt, WebhookEndpoint, WebhookMessage


class WebhookEndpointForm(forms.ModelForm):
    """Checks the URL (public addresses, unless allowed) and the events like the console and the API do."""

    url = forms.CharField(label=_("URL"), max_length=1000, widget=forms.URLInput(attrs={"class": "vURLField"}))
    events = SimpleArrayField(
        forms.CharField(max_length=100),
        label=_("events"),
        help_text=_("Event keys separated by commas, or * for every event."),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events", "is_active", "owner"]

    def clean_url(self):
        return _field_errors(services.url_clean, self.cleaned_data["url"], "url")

    def clean_events(self):
        return _field_errors(services.events_clean, self.cleaned_data["events"], "events")


def _field_errors(check, value, name):
    # The service's errors are keyed by field; a form's clean_<field> raises that field's messages only.
    try:
        return check(value)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict[name]) from None


class EventFilter(admin.SimpleListFilter):
    """Webhook events from the catalogue, plus the console's test event (no query)."""

    title, parameter_name = _("event"), "event"

    def lookups(self, request, model_admin):
        return [*((e.key, e.key) for e in registry.webhook_events()), (services.TEST_EVENT, services.TEST_EVENT)]

    def queryset(self, request, queryset):
        field = "message__event" if queryset.model is WebhookAttempt else "event"
        return queryset.filter(**{field: self.value()}) if self.value() else queryset


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ServiceAdmin):
    """Endpoints are created in the staff console or the API, where the new secret is shown once; here they are
    changed, enabled and disabled. The secret never appears."""

    form = WebhookEndpointForm
    list_display = ["url", "description", "is_active", "consecutive_failures", "owner", "disabled_at", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "description", "owner__email"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner"]
    readonly_fields = [
        "consecutive_failures", "disabled_at", "disabled_reason", "previous_secret_expires_at", "created_at",
        "updated_at",
    ]  # fmt: skip
    actions = ["enable", "disable", "send_test_event"]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        # Through the service: enabling resets the failure count, disabling records who and when.
        fields = {name: form.cleaned_data[name] for name in ("url", "description", "events", "is_active", "owner")}
        services.webhook_endpoint_update(endpoint_id=obj.pk, by=request.user, **fields)

    def delete_model(self, request, obj):
        services.webhook_endpoint_delete(endpoint_id=obj.pk)

    def _set_active(self, request, queryset, active: bool):
        for endpoint in queryset:
            services.webhook_endpoint_set_active(endpoint_id=endpoint.pk, active=active, by=request.user)
        self.message_user(request, _("%(n)d endpoint(s) updated.") % {"n": len(queryset)}, messages.SUCCESS)

    @admin.action(description=_("Enable selected endpoints"), permissions=["change"])
    def enable(self, request, queryset):
        self._set_active(request, queryset, True)

    @admin.action(description=_("Disable selected endpoints"), permissions=["change"])
    def disable(self, request, queryset):
        self._set_active(request, queryset, False)

    @admin.action(description=_("Send a test event"), permissions=["change"])
    def send_test_event(self, request, queryset):
        for endpoint in queryset:
            try:
                message = services.webhook_test_send(endpoint_id=endpoint.pk)
            except DomainError as exc:
                self.message_user(request, f"{endpoint}: {exc.message}", messages.ERROR)
            else:
                self.message_user(
                    request, _("%(url)s: test event %(id)s queued.") % {"url": endpoint.url, "id": message.message_id}
                )


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["number", "created_at", "succeeded", "status_code", "latency_ms", "error", "response_excerpt"]
    readonly_fields = fields
    ordering = ["number"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookMessage)
class WebhookMessageAdmin(admin.ModelAdmin):
    list_display = ["message_id", "event", "endpoint", "status", "attempts", "next_attempt_at", "created_at"]
    list_filter = ["status", EventFilter, ("endpoint", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["message_id", "event", "endpoint__url"]
    list_select_related = ["endpoint"]
    readonly_fields = [
        "endpoint", "message_id", "event", "payload", "status", "attempts", "next_attempt_at", "locked_until",
        "succeeded_at", "created_at", "updated_at",
    ]  # fmt: skip
    fields = readonly_fields
    inlines = [WebhookAttemptInline]
    actions = ["redeliver"]
    show_full_result_count = False  # the table grows with every event: never count it all
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Redeliver selected messages (same webhook-id)"), permissions=["change"])
    def redeliver(self, request, queryset):
        done = 0
        for message in queryset:
            try:
                services.webhook_message_redeliver(message_id=message.pk)
            except (DomainError, ValidationError) as exc:
                self.message_user(request, f"{message.message_id}: {exc.message}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, _("%(n)d message(s) queued for redelivery.") % {"n": done}, messages.SUCCESS)


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(admin.ModelAdmin):
    list_display = ["message", "number", "succeeded", "status_code", "latency_ms", "error", "created_at"]
    list_filter = ["succeeded", EventFilter, "created_at"]
    search_fields = ["message__message_id", "message__endpoint__url", "error"]
    list_select_related = ["message"]
    readonly_fields = [
        "message", "number", "succeeded", "status_code", "latency_ms", "response_excerpt", "error", "created_at",
    ]  # fmt: skip
    fields = readonly_fields
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
