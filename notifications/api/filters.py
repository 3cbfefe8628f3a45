"""FilterSets of the notifications API, shared with the staff console: the delivery log, the in-app inbox,
webhook endpoints and their messages."""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omni.api.filters import IsoDateTimeFilter, SearchFilter

from .. import registry
from ..choices import Channel, DeliveryStatus, WebhookMessageStatus
from ..models import Delivery, Notification, WebhookEndpoint, WebhookMessage

STATISTICS_DAYS = 30  # statistics read this many days (today included) unless dates are given


def _day_start(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of `day` in the current time zone, so `created_at >= …` uses its index."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


def _recipient_search(value: str) -> Q:
    return (
        Q(recipient_key=value)
        | Q(address__iexact=value)
        | Q(address__icontains=value)
        | Q(recipient_name__icontains=value)
    )


class DeliveryFilterSet(django_filters.FilterSet):
    q = SearchFilter(
        condition=_recipient_search,
        label=_("Recipient"),
        help_text=_("Name, address (email, phone) or recipient key."),
    )
    event = django_filters.ChoiceFilter(choices=registry.choices, distinct=False, label=_("Event"))
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices, distinct=False, label=_("Channel"))
    status = django_filters.MultipleChoiceFilter(choices=DeliveryStatus.choices, distinct=False, label=_("Status"))
    date_from = django_filters.DateFilter(
        method="filter_date_from", label=_("From"), help_text=_("Created on or after.")
    )
    date_to = django_filters.DateFilter(method="filter_date_to", label=_("Until"), help_text=_("Created on or before."))
    created_since = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    recipient_key = django_filters.CharFilter(field_name="recipient_key", distinct=False)

    class Meta:
        model = Delivery
        fields = ["q", "event", "channel", "status", "date_from", "date_to", "recipient_key"]

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(created_at__gte=_day_start(value))

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(created_at__lt=_day_start(value + datetime.timedelta(days=1)))

    def is_valid(self):
        valid = super().is_valid()
        data = getattr(self.form, "cleaned_data", {})
        if valid and data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.form.add_error("date_to", _("The end date is before the start date."))
            return False
        return valid


class DeliveryStatisticsFilterSet(DeliveryFilterSet):
    """The delivery log's filters, for statistics: unless a date is given (date_from, date_to, created_since,
    created_before), the last STATISTICS_DAYS days including today (date_from set), so a count never reads the
    whole log. `default_from` says which day the default starts on (None when dates were given)."""

    DATE_PARAMS = ("date_from", "date_to", "created_since", "created_before")

    def __init__(self, data=None, *args, **kwargs):
        data = data.copy() if data is not None else QueryDict(mutable=True)
        self.default_from = None
        if not any(data.get(name) for name in self.DATE_PARAMS):
            self.default_from = timezone.localdate() - datetime.timedelta(days=STATISTICS_DAYS - 1)
            data["date_from"] = self.default_from.isoformat()
        super().__init__(data, *args, **kwargs)


class StrictBooleanField(forms.NullBooleanField):
    """true/false (1/0); anything else is a 400 naming the parameter, not a filter silently ignored."""

    widget = forms.TextInput

    def to_python(self, value):
        text = str(value).strip().lower() if value is not None else ""
        if text in ("", "true", "1", "false", "0"):
            return {"": None, "true": True, "1": True, "false": False, "0": False}[text]
        raise ValidationError(_("Use true or false."), code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class NotificationFilterSet(django_filters.FilterSet):
    unread = StrictBooleanFilter(
        field_name="read_at", lookup_expr="isnull", label=_("Unread"), help_text=_("true: unread only; false: read.")
    )
    created_since = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = Notification
        fields = ["unread", "created_since"]


class WebhookEndpointFilterSet(django_filters.FilterSet):
    search = SearchFilter(
        condition=lambda value: Q(url__icontains=value) | Q(description__icontains=value),
        label=_("Search"),
        help_text=_("URL or description."),
    )
    active = django_filters.BooleanFilter(field_name="is_active", label=_("Active"))
    event = django_filters.CharFilter(
        method="filter_event", label=_("Event"), help_text=_("Endpoints that receive this event (directly or via *).")
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["search", "active", "event"]

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
