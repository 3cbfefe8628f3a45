"""Outbound webhook endpoints in the staff console: list, create/edit, detail with the delivery log, secret
rotation (the secret is shown once), test events, enable/disable, redelivery, delete."""

import datetime
import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from notifications import registry, selectors, services
from notifications.api.filters import STATISTICS_DAYS, WebhookEndpointFilterSet, WebhookMessageFilterSet
from notifications.choices import WebhookMessageStatus
from omni.api.pagination import cursor_page
from omni.auth import audience_required
from omni.exceptions import DomainError

from ...htmx import wants_partial
from ..helpers import INVALID, add_service_errors, ordering

PAGE_SIZE = 25
DELIVERY_PAGE_SIZE = 20
SORTS = {"url": ["url"], "created": ["created_at"], "failures": ["consecutive_failures", "url"]}


class WebhookEndpointForm(forms.Form):
    """Create and edit an endpoint. Every event, or a chosen few from the catalogue."""

    url = forms.CharField(
        label=gettext_lazy("URL"),
        max_length=1000,
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/webhooks/omni", "autocomplete": "off"}),
        help_text=gettext_lazy("An http(s) address on the public internet. Redirects are not followed."),
    )
    description = forms.CharField(label=gettext_lazy("Description"), max_length=200, required=False)
    all_events = forms.BooleanField(label=gettext_lazy("Every event, including ones added later"), required=False)
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events"), required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.catalogue = registry.webhook_events()  # people-only events never reach a webhook
        self.fields["events"].choices = [(event.key, event.key) for event in self.catalogue]

    def event_rows(self) -> list[tuple[str, str, bool]]:
        """(key, description, checked) for each event of the catalogue, as the form shows them."""
        checked = set(self["events"].value() or [])
        return [(event.key, event.description, event.key in checked) for event in self.catalogue]

    @classmethod
    def initial_for(cls, endpoint) -> dict:
        every = endpoint.events == ["*"]
        return {
            "url": endpoint.url,
            "description": endpoint.description,
            "all_events": every,
            "events": [] if every else endpoint.events,
            "is_active": endpoint.is_active,
        }

    def clean_url(self):
        # Checked here too (the service checks again), so a bad URL shows beside the other errors at once.
        try:
            return services.url_clean(self.cleaned_data["url"])
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["url"]) from None

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("all_events") and not cleaned.get("events") and "events" not in self.errors:
            self.add_error("events", _("Choose at least one event, or every event."))
        return cleaned

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "url": data["url"],
            "description": data["description"],
            "events": ["*"] if data["all_events"] else data["events"],
            "is_active": data["is_active"],
        }


def _visible(request):
    return selectors.webhook_endpoint_list_visible_to(user=request.user)


@require_GET
@vary_on_headers("HX-Request")
@audience_required
@permission_required("notifications.view_webhookendpoint", raise_exception=True)
def webhook_list(request):
    filters = WebhookEndpointFilterSet(request.GET, queryset=_visible(request))
    sort, order_by, sort_error = ordering(request, SORTS, "-created")
    valid = filters.is_valid() and not sort_error
    queryset = filters.qs.order_by(*order_by) if valid else filters.queryset.none()
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    partial = wants_partial(request)
    context = {"filters": filters, "page": page, "sort": sort, "sort_error": sort_error, "nav_webhooks": True}
    template = "staff/webhooks/list.html" + ("#webhook-table" if partial else "")
    return render(request, template, context, status=200 if valid else (INVALID if partial else 400))


def _deliveries_context(request, endpoint) -> dict:
    filters = WebhookMessageFilterSet(request.GET, queryset=selectors.webhook_message_list(endpoint_id=endpoint.pk))
    valid = filters.is_valid()
    page = cursor_page(filters.qs if valid else filters.queryset.none(), request, page_size=DELIVERY_PAGE_SIZE)
    for message in page["rows"]:
        message.body_json = json.dumps(message.payload, indent=2, ensure_ascii=False)
    return {"endpoint": endpoint, "delivery_filters": filters, "deliveries": page, "statuses": WebhookMessageStatus}


@require_GET
@vary_on_headers("HX-Request")
@audience_required
@permission_required("notifications.view_webhookendpoint", raise_exception=True)
def webhook_detail(request, pk):
    endpoint = get_object_or_404(_visible(request), pk=pk)
    context = _deliveries_context(request, endpoint)
    valid = context["delivery_filters"].is_valid()
    if wants_partial(request):
        template = "staff/webhooks/detail.html#webhook-deliveries"
        return render(request, template, context, status=200 if valid else INVALID)
    since = timezone.now() - datetime.timedelta(days=STATISTICS_DAYS)
    counts = selectors.webhook_message_counts(endpoint_id=endpoint.pk, since=since)
    context.update(
        summary=[(label, counts[value]) for value, label in WebhookMessageStatus.choices],
        summary_days=STATISTICS_DAYS,
        overlap=endpoint.previous_secret_expires_at if endpoint.previous_secret else None,
        test_event=services.TEST_EVENT,
        nav_webhooks=True,
    )
    return render(request, "staff/webhooks/detail.html", context, status=200 if valid else 400)


def _secret_page(request, endpoint, *, created: bool):
    response = render(
        request, "staff/webhooks/secret.html", {"endpoint": endpoint, "created": created, "nav_webhooks": True}
    )
    response["Cache-Control"] = "no-store"  # the secret must not stay in a cache or the back/forward history
    return response


def _form_page(request, form, endpoint=None):
    context = {"form": form, "endpoint": endpoint, "nav_webhooks": True}
    return render(request, "staff/webhooks/form.html", context, status=INVALID if form.errors else 200)


@never_cache
@require_http_methods(["GET", "POST"])
@audience_required
@permission_required("notifications.add_webhookendpoint", raise_exception=True)
def webhook_create(request):
    form = WebhookEndpointForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            endpoint = services.webhook_endpoint_create(owner=request.user, **form.service_fields())
        except (ValidationError, DomainError) as exc:
            add_service_errors(form, exc)
        else:
            return _secret_page(request, endpoint, created=True)
    return _form_page(request, form)


@require_http_methods(["GET", "POST"])
@audience_required
@permission_required("notifications.change_webhookendpoint", raise_exception=True)
def webhook_edit(request, pk):
    endpoint = get_object_or_404(_visible(request), pk=pk)
    data = request.POST if request.method == "POST" else None
    form = WebhookEndpointForm(data, initial=WebhookEndpointForm.initial_for(endpoint))
    if form.is_valid():
        try:
            services.webhook_endpoint_update(endpoint_id=endpoint.pk, by=request.user, **form.service_fields())
        except (ValidationError, DomainError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Webhook endpoint saved."))
            return redirect("staff:webhook_detail", pk=endpoint.pk)
    return _form_page(request, form, endpoint)


@never_cache
@require_POST
@audience_required
@permission_required("notifications.change_webhookendpoint", raise_exception=True)
def webhook_rotate(request, pk):
    endpoint = get_object_or_404(_visible(request), pk=pk)
    endpoint = services.webhook_endpoint_secret_rotate(endpoint_id=endpoint.pk)
    return _secret_page(request, endpoint, created=False)


@require_POST
@audience_required
@permission_required("notifications.change_webhookendpoint", raise_exception=True)
def webhook_test(request, pk):
    endpoint = get_object_or_404(_visible(request), pk=pk)
    try:
        message = services.webhook_test_send(endpoint_id=endpoint.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Test event %(id)s queued: it appears in the log below.") % {"id": message.message_id}
        )
    return redirect("staff:webhook_detail", pk=endpoint.pk)


@require_POST
@audience_required
@permission_required("notifications.change_webhookendpoint", raise_exception=True)
def webhook_set_active(request, pk):
    endpoint = get_object_or_404(_visible(request), pk=pk)
    active = request.POST.get("active") == "true"
    services.webhook_endpoint_set_active(endpoint_id=endpoint.pk, active=active, by=request.user)
    messages.success(request, _("Endpoint enabled.") if active else _("Endpoint disabled: nothing is sent to it."))
    return redirect("staff:webhook_detail", pk=endpoint.pk)


@require_POST
@audience_required
@permission_required("notifications.change_webhookendpoint", raise_exception=True)
def webhook_redeliver(request, pk, message_pk):
    endpoint = get_object_or_404(_visible(request), pk=pk)
    message = get_object_or_404(selectors.webhook_message_list(endpoint_id=endpoint.pk), pk=message_pk)
    try:
        services.webhook_message_redeliver(message_id=message.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Message %(id)s queued for redelivery.") % {"id": message.message_id})
    return redirect("staff:webhook_detail", pk=endpoint.pk)


@require_POST
@audience_required
@permission_required("notifications.delete_webhookendpoint", raise_exception=True)
def webhook_delete(request, pk):
    endpoint = get_object_or_404(_visible(request), pk=pk)
    services.webhook_endpoint_delete(endpoint_id=endpoint.pk)
    messages.success(request, _("Webhook endpoint %(url)s deleted.") % {"url": endpoint.url})
    return redirect("staff:webhook_list")
