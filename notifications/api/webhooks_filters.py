"""FilterSets of webhook endpoints and their messages, shared by the API and the staff console."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from omni.api.filters import IsoDateTimeFilter

from ..choices import WebhookMessageStatus
from ..models import WebhookEndpoint, WebhookMessage


class WebhookEndpointFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", label=_("Search"), help_text=_("URL or description."))
    active = django_filters.BooleanFilter(field_name="is_active", label=_("Active"))
    event = django_filters.CharFilter(
        method="filter_event", label=_("Event"), help_text=_("Endpoints that receive this event (directly or via *).")
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["search", "active", "event"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(url__icontains=value) | Q(description__icontains=value)) if value else queryset

    def filter_event(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(events__contains=[value]) | Q(events__contains=["*"]))


class WebhookMessageFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=WebhookMessageStatus.choices, distinct=False, label=_("Status")
    )
    event = django_filters.CharFilter(field_name="event", label=_("Event"))
    webhook_id = django_filters.CharFilter(field_name="message_id", label=_("Webhook id"))
    created_since = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte", label=_("Created since"))

    class Meta:
        model = WebhookMessage
        fields = ["status", "event", "webhook_id", "created_since"]
