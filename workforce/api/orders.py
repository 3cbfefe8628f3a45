"""The API of work types, work orders and appointments.

Staff read with workforce.view_<model> (Dispatcher, Technician, Admin) and write with add/change (Dispatcher,
Admin). A work order's `status` changes through work_order_transition (a PATCH of `status`; 409 naming both statuses
for a move the transitions forbid). An appointment is booked with appointment_book (an overlap with the
technician's live appointments is a 409, outside a shift or in approved time off a 400 on `start`), moved with a
PATCH (appointment_reschedule) and cancelled with POST cancel/. A vendor user reads the work orders and appointments
of its vendor's technicians, a customer its account's; both read only. Reseller users get 403."""

from datetime import UTC, datetime, time, timedelta

import django_filters
from django.db import transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action

from crm.models import Account
from omni.api import parse
from omni.api.fields import GeoJSONPointField
from omni.api.filters import IsoDateTimeFilter, SearchFilter
from omni.choices import Audience
from tickets.models import Ticket

from .. import selectors, services
from ..choices import AppointmentStatus, WorkOrderPriority, WorkOrderStatus
from ..models import Appointment, ServiceTerritory, Skill, Technician, WorkOrder, WorkType
from .base import CONFLICT, CreateMixin, UpdateMixin, WorkforceReadViewSet, WorkforceViewSet, crud_schema

MAX_MINUTES = 7 * 24 * 60


class RequiredSkillOut(serializers.Serializer):
    skill = serializers.UUIDField(source="skill_id", read_only=True)
    code = serializers.CharField(source="skill.code", read_only=True)
    min_level = serializers.IntegerField(read_only=True)


class RequiredSkillIn(serializers.Serializer):
    skill = serializers.PrimaryKeyRelatedField(queryset=Skill.objects.all())
    min_level = serializers.IntegerField(min_value=1, max_value=5, default=1)


# ---- work types -----------------------------------------------------------------------------------------------


class WorkTypeOut(serializers.ModelSerializer):
    required_skills = RequiredSkillOut(many=True, read_only=True)
    checklist_template = serializers.JSONField(read_only=True)

    class Meta:
        model = WorkType
        fields = read_only_fields = [
            "id", "name", "default_duration_minutes", "crew_size", "default_priority", "checklist_template",
            "required_skills", "created_at", "updated_at",
        ]  # fmt: skip


class WorkTypeIn(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    default_duration_minutes = serializers.IntegerField(min_value=1, max_value=MAX_MINUTES, default=60)
    crew_size = serializers.IntegerField(min_value=1, max_value=50, default=1)
    default_priority = serializers.ChoiceField(choices=WorkOrderPriority.choices, default=WorkOrderPriority.NORMAL)
    checklist_template = serializers.ListField(
        child=serializers.CharField(max_length=200), max_length=100, default=list, help_text="The checklist's items."
    )
    required_skills = RequiredSkillIn(many=True, required=False, help_text="Skills and minimum levels (1-5).")


class WorkTypeFilterSet(django_filters.FilterSet):
    search = SearchFilter(condition=lambda v: Q(name__icontains=v), help_text=_("Name contains."))
    default_priority = django_filters.ChoiceFilter(choices=WorkOrderPriority.choices, distinct=False)

    class Meta:
        model = WorkType
        fields = ["search", "default_priority"]


@crud_schema("work type", WorkTypeIn, WorkTypeOut, delete="Refused (409) while work orders use it.")
class WorkTypeViewSet(WorkforceViewSet):
    """Kinds of work: default duration and priority, crew size, checklist, required skills with a minimum level
    (copied onto each new work order)."""

    model, in_class, serializer_class = WorkType, WorkTypeIn, WorkTypeOut
    filterset_class = WorkTypeFilterSet
    ordering_fields = ["name", "default_duration_minutes", "created_at", "updated_at"]
    ordering = ["name"]

    def get_queryset(self):
        return selectors.work_type_list_visible_to(user=self.request.user)

    def create_record(self, data):
        return services.work_type_create(**data)

    def update_record(self, record, data):
        return services.work_type_update(work_type_id=record.pk, **data)


# ---- work orders ----------------------------------------------------------------------------------------------

WORK_ORDER_PORTAL_FIELDS = [
    "id", "number", "account", "location", "address", "work_type", "priority", "status", "description",
    "earliest_start", "due_by", "window_start", "window_end", "duration_minutes", "required_skills", "ticket",
    "created_at", "updated_at",
]  # fmt: skip


class WorkOrderPortalOut(serializers.ModelSerializer):
    """A work order as its customer or its vendor sees it: no preferred or excluded technicians, no pin."""

    number = serializers.CharField(read_only=True, help_text="WO-000045; assigned by the server.")
    account = serializers.UUIDField(source="account_id", read_only=True)
    location = GeoJSONPointField(read_only=True)
    work_type = serializers.UUIDField(source="work_type_id", read_only=True)
    required_skills = RequiredSkillOut(many=True, read_only=True)
    ticket = serializers.UUIDField(source="ticket_id", read_only=True, allow_null=True)

    class Meta:
        model = WorkOrder
        fields = read_only_fields = WORK_ORDER_PORTAL_FIELDS


class WorkOrderOut(WorkOrderPortalOut):
    preferred_technicians = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    excluded_technicians = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta(WorkOrderPortalOut.Meta):
        fields = read_only_fields = [
            *WORK_ORDER_PORTAL_FIELDS[:-3], "preferred_technicians", "excluded_technicians", "pinned",
            *WORK_ORDER_PORTAL_FIELDS[-3:],
        ]  # fmt: skip


class WorkOrderIn(serializers.Serializer):
    account = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.live(), required=False, help_text="Default: the ticket's account."
    )
    location = GeoJSONPointField(required=False, help_text="Default: the account's location.")
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    work_type = serializers.PrimaryKeyRelatedField(queryset=WorkType.objects.all())
    priority = serializers.ChoiceField(
        choices=WorkOrderPriority.choices, required=False, help_text="Default: the type's."
    )
    status = serializers.ChoiceField(
        choices=WorkOrderStatus.choices,
        required=False,
        help_text="Only in a change: follows the transitions (409 otherwise). A new work order is `new`.",
    )
    description = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    earliest_start = serializers.DateTimeField(required=False, allow_null=True)
    due_by = serializers.DateTimeField(required=False, allow_null=True, help_text="Default: the ticket's SLA due.")
    window_start = serializers.DateTimeField(required=False, allow_null=True, help_text="Customer arrival window.")
    window_end = serializers.DateTimeField(required=False, allow_null=True)
    duration_minutes = serializers.IntegerField(
        min_value=1, max_value=MAX_MINUTES, required=False, help_text="Default: the type's."
    )
    required_skills = RequiredSkillIn(many=True, required=False, help_text="Default: the type's (copied).")
    preferred_technicians = serializers.PrimaryKeyRelatedField(
        queryset=Technician.objects.all(), many=True, required=False
    )
    excluded_technicians = serializers.PrimaryKeyRelatedField(
        queryset=Technician.objects.all(), many=True, required=False
    )
    pinned = serializers.BooleanField(required=False, help_text="Optimisation leaves a pinned booking where it is.")
    ticket = serializers.PrimaryKeyRelatedField(queryset=Ticket.objects.all(), required=False, allow_null=True)

    def validate(self, attrs):
        request = self.context.get("request")
        if request is None or request.method != "POST":  # a change: its status follows the transitions
            return attrs
        if attrs.get("status", WorkOrderStatus.NEW) != WorkOrderStatus.NEW:
            raise serializers.ValidationError({"status": ["A new work order is new; change its status afterwards."]})
        attrs.pop("status", None)
        if attrs.get("account") is None and attrs.get("ticket") is None:
            raise serializers.ValidationError({"account": ["Give the account (or the ticket it comes from)."]})
        return attrs


def _technician_filter(queryset, name, value):
    live = Appointment.objects.filter(work_order=OuterRef("pk"), technician_id=value).exclude(
        status=AppointmentStatus.CANCELLED
    )
    return queryset.filter(Exists(live))


def _covered_by(territory_id, location: str = "location"):
    return Exists(ServiceTerritory.objects.filter(pk=territory_id, geom__covers=OuterRef(location)))


class WorkOrderFilterSet(django_filters.FilterSet):
    search = SearchFilter(
        condition=lambda v: Q(number__iexact=v) | Q(address__icontains=v) | Q(description__icontains=v),
        help_text=_("Number, address or description."),
    )
    status = django_filters.MultipleChoiceFilter(choices=WorkOrderStatus.choices, distinct=False)
    priority = django_filters.MultipleChoiceFilter(choices=WorkOrderPriority.choices, distinct=False)
    account = django_filters.UUIDFilter(field_name="account_id", distinct=False)
    work_type = django_filters.UUIDFilter(field_name="work_type_id", distinct=False)
    ticket = django_filters.UUIDFilter(field_name="ticket_id", distinct=False)
    technician = django_filters.UUIDFilter(method=_technician_filter, help_text=_("Has a live appointment with."))
    territory = django_filters.UUIDFilter(method="filter_territory", help_text=_("The location is in this territory."))
    pinned = django_filters.BooleanFilter(distinct=False)
    due_after = IsoDateTimeFilter(field_name="due_by", lookup_expr="gte")
    due_before = IsoDateTimeFilter(field_name="due_by", lookup_expr="lt")
    window_after = IsoDateTimeFilter(
        field_name="window_start", lookup_expr="gte", help_text=_("Window starts at or after.")
    )
    window_before = IsoDateTimeFilter(field_name="window_end", lookup_expr="lte", help_text=_("Window ends by."))
    created_since = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    updated_since = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = WorkOrder
        fields = ["search", "status", "priority", "account", "work_type", "ticket", "technician", "territory", "pinned"]

    def filter_territory(self, queryset, name, value):
        return queryset.filter(_covered_by(value))


class WorkOrderViewSet(CreateMixin, UpdateMixin, WorkforceReadViewSet):
    """Work orders (WO-000045). Staff with workforce.view_workorder see all; a vendor user those booked with its
    technicians; a customer its account's."""

    model, in_class, serializer_class = WorkOrder, WorkOrderIn, WorkOrderOut
    portal_serializer_class = WorkOrderPortalOut
    portal_audiences = (Audience.CUSTOMER, Audience.VENDOR)
    filterset_class = WorkOrderFilterSet
    ordering_fields = ["number", "priority", "status", "due_by", "window_start", "created_at", "updated_at"]

    def get_queryset(self):
        return selectors.work_order_list_visible_to(user=self.request.user)

    def create_record(self, data):
        return services.work_order_create(by=self.request.user, **data)

    def update_record(self, record, data):
        status = data.pop("status", None)
        with transaction.atomic():  # the edits, then the status (a closing change edits nothing after it)
            if data:
                services.work_order_update(work_order_id=record.pk, by=self.request.user, **data)
            if status is not None:
                services.work_order_update(work_order_id=record.pk, by=self.request.user, status=status)


WorkOrderViewSet = extend_schema_view(
    list=extend_schema(summary="List work orders", responses={200: WorkOrderOut(many=True)}),
    retrieve=extend_schema(summary="Get a work order", responses={200: WorkOrderOut}),
    create=extend_schema(
        summary="Create a work order",
        description="Duration, priority and required skills default to the work type's; from a ticket, the account "
        "is the ticket's and due by its resolution due.",
        request=WorkOrderIn,
        responses={201: WorkOrderOut},
    ),
    update=extend_schema(
        summary="Replace a work order", request=WorkOrderIn, responses={200: WorkOrderOut, **CONFLICT}
    ),
    partial_update=extend_schema(
        summary="Change a work order",
        description="A `status` follows the transitions: 409 (`invalid_transition`) naming both statuses otherwise. "
        "A completed or cancelled work order cannot be edited (409).",
        request=WorkOrderIn,
        responses={200: WorkOrderOut, **CONFLICT},
    ),
)(WorkOrderViewSet)


# ---- appointments ---------------------------------------------------------------------------------------------


class AppointmentPortalOut(serializers.ModelSerializer):
    work_order = serializers.UUIDField(source="work_order_id", read_only=True)
    technician = serializers.UUIDField(source="technician_id", read_only=True)
    start = serializers.DateTimeField(source="scheduled.lower", read_only=True)
    end = serializers.DateTimeField(source="scheduled.upper", read_only=True)

    class Meta:
        model = Appointment
        fields = read_only_fields = [
            "id", "work_order", "technician", "start", "end", "status", "eta", "actual_start", "actual_end",
            "created_at", "updated_at",
        ]  # fmt: skip


class AppointmentOut(AppointmentPortalOut):
    class Meta(AppointmentPortalOut.Meta):
        fields = read_only_fields = [*AppointmentPortalOut.Meta.fields[:5], "travel_before_minutes", "seq",
                                     *AppointmentPortalOut.Meta.fields[5:]]  # fmt: skip


class AppointmentIn(serializers.Serializer):
    work_order = serializers.PrimaryKeyRelatedField(queryset=WorkOrder.objects.all())
    technician = serializers.PrimaryKeyRelatedField(queryset=Technician.objects.all())
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="Default: start + duration."
    )
    travel_before_minutes = serializers.IntegerField(min_value=0, max_value=24 * 60, default=0)


class AppointmentChangeIn(serializers.Serializer):
    technician = serializers.PrimaryKeyRelatedField(queryset=Technician.objects.all(), required=False)
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False, help_text="Default: the new start + the current length.")


class AppointmentFilterSet(django_filters.FilterSet):
    technician = django_filters.UUIDFilter(field_name="technician_id", distinct=False)
    work_order = django_filters.UUIDFilter(field_name="work_order_id", distinct=False)
    account = django_filters.UUIDFilter(field_name="work_order__account_id", distinct=False)
    status = django_filters.MultipleChoiceFilter(choices=AppointmentStatus.choices, distinct=False)
    territory = django_filters.UUIDFilter(method="filter_territory", help_text=_("The work is in this territory."))
    starts_after = IsoDateTimeFilter(field_name="scheduled", lookup_expr="startswith__gte")
    starts_before = IsoDateTimeFilter(field_name="scheduled", lookup_expr="startswith__lt")
    date = django_filters.DateFilter(method="filter_date", help_text=_("Overlaps this day (UTC)."))
    updated_since = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Appointment
        fields = ["technician", "work_order", "account", "status", "territory"]

    def filter_territory(self, queryset, name, value):
        return queryset.filter(_covered_by(value, "work_order__location"))

    def filter_date(self, queryset, name, value):
        start = datetime.combine(value, time.min, tzinfo=UTC)
        return queryset.filter(scheduled__overlap=DateTimeTZRange(start, start + timedelta(days=1), "[)"))


class AppointmentViewSet(CreateMixin, WorkforceReadViewSet):
    """Appointments of technicians with work orders [start, end). Staff with workforce.view_appointment see all; a
    vendor user its technicians'; a customer its account's."""

    model, in_class, serializer_class = Appointment, AppointmentIn, AppointmentOut
    portal_serializer_class = AppointmentPortalOut
    portal_audiences = (Audience.CUSTOMER, Audience.VENDOR)
    filterset_class = AppointmentFilterSet
    ordering_fields = ["scheduled", "status", "created_at", "updated_at"]
    ordering = ["scheduled"]
    action_permission = {"cancel": "change"}

    def get_queryset(self):
        return selectors.appointment_list_visible_to(user=self.request.user)

    def create_record(self, data):
        work_order = data.pop("work_order")
        return services.appointment_book(work_order_id=work_order.pk, by=self.request.user, **data)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        appointment = self.get_object()
        data = parse(AppointmentChangeIn, request, partial=partial)
        old_start, old_end = appointment.scheduled.lower, appointment.scheduled.upper
        start = data.get("start", old_start)
        end = data.get("end") or (old_end if "start" not in data else start + (old_end - old_start))
        services.appointment_reschedule(
            appointment_id=appointment.pk, start=start, end=end, technician=data.get("technician"), by=request.user
        )
        return self._out(appointment.pk)

    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    @extend_schema(
        summary="Cancel an appointment",
        description="A no-op when it already is; 409 once on site or done. A scheduled work order left without a "
        "live appointment goes back to new.",
        request=None,
        responses={200: AppointmentOut, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        services.appointment_cancel(appointment_id=self.get_object().pk, by=request.user)
        return self._out(pk)


AppointmentViewSet = extend_schema_view(
    list=extend_schema(summary="List appointments", responses={200: AppointmentOut(many=True)}),
    retrieve=extend_schema(summary="Get an appointment", responses={200: AppointmentOut}),
    create=extend_schema(
        summary="Book an appointment",
        description="In one transaction: outside a shift or in approved time off is a 400 on `start`; an overlap "
        "with the technician's live appointments (a racing booking too) is a 409. A new work order becomes "
        "scheduled.",
        request=AppointmentIn,
        responses={201: AppointmentOut, **CONFLICT},
    ),
    update=extend_schema(
        summary="Move an appointment",
        description="Start, end and technician (a reschedule), with the booking's checks (400, 409).",
        request=AppointmentChangeIn,
        responses={200: AppointmentOut, **CONFLICT},
    ),
    partial_update=extend_schema(
        summary="Move an appointment",
        description="Start, end and technician (a reschedule), with the booking's checks (400, 409).",
        request=AppointmentChangeIn,
        responses={200: AppointmentOut, **CONFLICT},
    ),
)(AppointmentViewSet)
