"""The API of shift patterns, shifts and time off (the skills, technicians and territories are api/people.py).

Shifts are read and created by hand (patterns generate the rest); time off is requested and then approved or
rejected (change_timeoff)."""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action

from omni.api.filters import IsoDateTimeFilter

from .. import services
from ..choices import ShiftKind, TimeOffStatus
from ..models import (
    Shift,
    ShiftPattern,
    Technician,
    TimeOff,
)
from .base import CreateMixin, WorkforceReadViewSet, WorkforceViewSet, crud_schema
from .fields import WallTimeField
from .people import TIMES, TimeZoneField


class ShiftPatternOut(serializers.ModelSerializer):
    technician = serializers.UUIDField(source="technician_id", read_only=True)
    start = WallTimeField(read_only=True)
    end = WallTimeField(read_only=True)

    class Meta:
        model = ShiftPattern
        fields = read_only_fields = [
            "id", "technician", "name", "weekdays", "start", "end", "rrule", "kind", "time_zone", "active", *TIMES[1:],
        ]  # fmt: skip


class ShiftPatternIn(serializers.Serializer):
    technician = serializers.PrimaryKeyRelatedField(queryset=Technician.objects.all())
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    weekdays = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default="0,1,2,3,4", help_text="0 = Monday, e.g. 0,1,2,3,4."
    )
    start = WallTimeField(help_text="Local time.")
    end = WallTimeField(help_text="Local time, after start.")
    rrule = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=1000, help_text="Instead of weekdays."
    )
    kind = serializers.ChoiceField(choices=ShiftKind.choices, default=ShiftKind.REGULAR)
    time_zone = TimeZoneField(default="UTC")
    active = serializers.BooleanField(default=True)


class ShiftPatternFilterSet(django_filters.FilterSet):
    technician = django_filters.UUIDFilter(field_name="technician_id", distinct=False)
    kind = django_filters.ChoiceFilter(choices=ShiftKind.choices, distinct=False)
    active = django_filters.BooleanFilter(distinct=False)

    class Meta:
        model = ShiftPattern
        fields = ["technician", "kind", "active"]


@crud_schema("shift pattern", ShiftPatternIn, ShiftPatternOut, delete="Generated shifts stay.")
class ShiftPatternViewSet(WorkforceViewSet):
    """Weekly working hours (weekdays or an RRULE) that shifts are generated from, weeks ahead."""

    model, in_class, serializer_class = ShiftPattern, ShiftPatternIn, ShiftPatternOut
    filterset_class = ShiftPatternFilterSet
    ordering_fields = ["name", "start", "created_at", "updated_at"]

    def create_record(self, data):
        return services.shift_pattern_create(**data)

    def update_record(self, record, data):
        return services.shift_pattern_update(shift_pattern_id=record.pk, **data)


class ShiftOut(serializers.ModelSerializer):
    technician = serializers.UUIDField(source="technician_id", read_only=True)
    pattern = serializers.UUIDField(source="pattern_id", read_only=True, allow_null=True)
    start = serializers.DateTimeField(source="during.lower", read_only=True)
    end = serializers.DateTimeField(source="during.upper", read_only=True)

    class Meta:
        model = Shift
        fields = read_only_fields = ["id", "technician", "pattern", "start", "end", "kind", *TIMES[1:]]


class SpanIn(serializers.Serializer):
    technician = serializers.PrimaryKeyRelatedField(queryset=Technician.objects.all())
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()

    def validate(self, attrs):
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": ["The end is after the start."]})
        return attrs


class ShiftIn(SpanIn):
    kind = serializers.ChoiceField(choices=ShiftKind.choices, default=ShiftKind.REGULAR)


class SpanFilterSet(django_filters.FilterSet):
    technician = django_filters.UUIDFilter(field_name="technician_id", distinct=False)
    starts_after = IsoDateTimeFilter(field_name="during", lookup_expr="startswith__gte")
    starts_before = IsoDateTimeFilter(field_name="during", lookup_expr="startswith__lt")


class ShiftFilterSet(SpanFilterSet):
    kind = django_filters.ChoiceFilter(choices=ShiftKind.choices, distinct=False)

    class Meta:
        model = Shift
        fields = ["technician", "kind"]


@extend_schema_view(
    list=extend_schema(summary="List shifts", responses={200: ShiftOut(many=True)}),
    retrieve=extend_schema(summary="Get a shift", responses={200: ShiftOut}),
    create=extend_schema(
        summary="Add a shift by hand",
        description="Patterns generate the rest. Overlapping another shift of the technician is a 400.",
        request=ShiftIn,
        responses={201: ShiftOut},
    ),
)
class ShiftViewSet(CreateMixin, WorkforceReadViewSet):
    """Technicians' shifts [start, end): generated from patterns, or added by hand."""

    model, in_class, serializer_class = Shift, ShiftIn, ShiftOut
    filterset_class = ShiftFilterSet
    ordering_fields = ["during", "kind", "created_at"]
    ordering = ["during"]

    def create_record(self, data):
        return services.shift_create(**data)


class TimeOffOut(serializers.ModelSerializer):
    technician = serializers.UUIDField(source="technician_id", read_only=True)
    start = serializers.DateTimeField(source="during.lower", read_only=True)
    end = serializers.DateTimeField(source="during.upper", read_only=True)
    decided_by = serializers.UUIDField(source="decided_by_id", read_only=True, allow_null=True)

    class Meta:
        model = TimeOff
        fields = read_only_fields = ["id", "technician", "start", "end", "reason", "status", "decided_by", *TIMES[1:]]


class TimeOffIn(SpanIn):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class TimeOffFilterSet(SpanFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=TimeOffStatus.choices, distinct=False)

    class Meta:
        model = TimeOff
        fields = ["technician", "status"]


@extend_schema_view(
    list=extend_schema(summary="List time off", responses={200: TimeOffOut(many=True)}),
    retrieve=extend_schema(summary="Get a time off request", responses={200: TimeOffOut}),
    create=extend_schema(summary="Request time off", request=TimeOffIn, responses={201: TimeOffOut}),
)
class TimeOffViewSet(CreateMixin, WorkforceReadViewSet):
    """Time off: requested, then approved or rejected by a dispatcher (change_timeoff). Approved time off keeps
    bookings out."""

    model, in_class, serializer_class = TimeOff, TimeOffIn, TimeOffOut
    filterset_class = TimeOffFilterSet
    ordering_fields = ["during", "status", "created_at"]
    ordering = ["during"]
    action_permission = {"approve": "change", "reject": "change"}

    def create_record(self, data):
        return services.time_off_request(**data)

    def _decide(self, approve: bool):
        services.time_off_decide(time_off_id=self.get_object().pk, approve=approve, by=self.request.user)
        return self._out(self.kwargs["pk"])

    @extend_schema(summary="Approve time off", request=None, responses={200: TimeOffOut})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(True)

    @extend_schema(summary="Reject time off", request=None, responses={200: TimeOffOut})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(False)
