"""The delivery log over the API (/api/v1/notifications/deliveries/) and what the staff console shares with it:
the FilterSet and the per-event statistics (one GROUP BY)."""

from __future__ import annotations

import datetime

import django_filters
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from omni.api.filters import IsoDateTimeFilter
from omni.api.routers import Router
from omni.api.schema import error_responses
from omni.api.views import ApiViewSet

from .. import registry, services
from ..choices import Channel, DeliveryStatus
from ..models import Delivery
from ..selectors import delivery_list_visible_to

LIST_COLUMNS_DEFERRED = ("payload", "body_text", "body_html")  # the list never shows them


# ---- filters ---------------------------------------------------------------------------------------------------


def _day_start(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of `day` in the current time zone, so `created_at >= …` uses its index."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


class DeliveryFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q", label=_("Recipient"), help_text=_("Name, address (email, phone) or recipient key.")
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

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(recipient_key=value)
            | Q(address__iexact=value)
            | Q(address__icontains=value)
            | Q(recipient_name__icontains=value)
        )

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


# ---- statistics -------------------------------------------------------------------------------------------------

# Bar colours per status (at least 3:1 against white and the dark console's card).
STATUS_COLORS = {
    DeliveryStatus.QUEUED: "#64748b",
    DeliveryStatus.SENDING: "#0284c7",
    DeliveryStatus.SENT: "#2563eb",
    DeliveryStatus.DELIVERED: "#059669",
    DeliveryStatus.FAILED: "#dc2626",
    DeliveryStatus.SUPPRESSED: "#b45309",
}
STATUS_ORDER = list(STATUS_COLORS)


def status_legend() -> list[dict]:
    return [{"status": status.value, "label": status.label, "color": STATUS_COLORS[status]} for status in STATUS_ORDER]


def delivery_statistics(queryset: QuerySet[Delivery]) -> list[dict]:
    """Per event: the count of deliveries in each status and the total, busiest event first. One query
    (GROUP BY event, status). Each row also carries bar segments (share of the busiest event's total, in %)."""
    counts: dict[str, dict[str, int]] = {}
    rows = queryset.order_by().values_list("event", "status").annotate(n=Count("pk"))
    for event, status, n in rows:
        counts.setdefault(event, {})[status] = n
    biggest = max((sum(by_status.values()) for by_status in counts.values()), default=0)
    result = []
    for event, by_status in counts.items():
        total = sum(by_status.values())
        offset = 0.0
        segments = []
        for status in STATUS_ORDER:
            n = by_status.get(status, 0)
            if n:
                width = 100 * n / biggest
                segments.append(
                    {
                        "status": status.value,
                        "label": status.label,
                        "count": n,
                        "x": round(offset, 3),
                        "width": round(width, 3),
                        "color": STATUS_COLORS[status],
                    }
                )
                offset += width
        result.append(
            {
                "event": event,
                "counts": {status.value: by_status.get(status, 0) for status in STATUS_ORDER},
                "cells": [by_status.get(status, 0) for status in STATUS_ORDER],
                "total": total,
                "segments": segments,
            }
        )
    result.sort(key=lambda row: (-row["total"], row["event"]))
    return result


# ---- API ---------------------------------------------------------------------------------------------------------


class DeliveryOut(serializers.ModelSerializer):
    class Meta:
        model = Delivery
        fields = [
            "id", "event", "channel", "status", "reason", "recipient_key", "recipient_name", "address", "language",
            "subject", "attempts", "max_attempts", "scheduled_for", "sent_at", "delivered_at", "provider_message_id",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class DeliveryDetailOut(DeliveryOut):
    provider_response = serializers.CharField(source="attempt_log_text", read_only=True)

    class Meta(DeliveryOut.Meta):
        fields = [*DeliveryOut.Meta.fields, "body_text", "body_html", "provider_response"]
        read_only_fields = fields


class DeliveryStatisticsOut(serializers.Serializer):
    event = serializers.CharField()
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="Status -> deliveries.")
    total = serializers.IntegerField()


@extend_schema_view(
    list=extend_schema(summary="List deliveries (the delivery log)", responses={200: DeliveryOut(many=True)}),
    retrieve=extend_schema(summary="Get a delivery with its content and attempts", responses={200: DeliveryDetailOut}),
)
class DeliveryViewSet(ApiViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Every message sent to a person (email, SMS, push, in-app): status, attempts and the provider's answers.
    Staff with the notifications.view_delivery permission (retrying needs change_delivery)."""

    filterset_class = DeliveryFilterSet
    ordering_fields = ["created_at", "sent_at", "event", "status", "attempts"]
    ordering = ["-created_at"]
    action_permission = {"retry": "change"}

    def get_queryset(self):
        queryset = delivery_list_visible_to(user=self.request.user)
        if self.action == "list":
            return queryset.defer(*LIST_COLUMNS_DEFERRED)
        return queryset.prefetch_related("attempt_log")

    def get_serializer_class(self):
        return DeliveryOut if self.action == "list" else DeliveryDetailOut

    # Not paginated and not ordered (one row per event, busiest first): only the list's filters apply.
    @extend_schema(summary="Deliveries per event and status", responses={200: DeliveryStatisticsOut(many=True)})
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[DjangoFilterBackend])
    def stats(self, request):
        filters = DeliveryFilterSet(request.GET, queryset=self.get_queryset(), request=request)
        if not filters.is_valid():
            raise serializers.ValidationError(filters.errors)
        rows = delivery_statistics(filters.qs)
        return Response(DeliveryStatisticsOut(rows, many=True).data)

    @extend_schema(
        summary="Send a failed delivery again",
        description="409 unless the delivery failed.",
        request=None,
        responses={200: DeliveryDetailOut, **error_responses(409)},
    )
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        delivery = self.get_object()
        services.delivery_retry(delivery_id=delivery.pk, by=request.user)
        return Response(DeliveryDetailOut(self.get_queryset().get(pk=delivery.pk)).data)


router = Router()
router.register("deliveries", DeliveryViewSet, basename="delivery")
urlpatterns = router.urls
