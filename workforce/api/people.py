"""The API of skills, technicians, territories and their memberships (shift patterns, shifts, time off: shifts.py).

Staff read with workforce.view_<model> (Dispatcher, Technician, Admin) and write with add/change/delete (Dispatcher,
Admin); shifts are read and created by hand (patterns generate the rest), time off is requested and then approved or
rejected (change_timeoff). A vendor user reads its own crew's technicians; every other portal audience gets 403."""

import django_filters
from django.db.backends.postgresql.psycopg_any import DateRange
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from omni.api.fields import GeoJSONPointField
from omni.api.filters import SearchFilter
from omni.models import User, validate_time_zone
from tickets.models import BusinessCalendar

from .. import selectors, services
from ..choices import MembershipKind, TechnicianKind
from ..models import (
    ServiceTerritory,
    Skill,
    Technician,
    TerritoryMembership,
    Vendor,
)
from .base import WorkforceViewSet, crud_schema
from .fields import GeoJSONMultiPolygonField

TIMES = ["id", "created_at", "updated_at"]


class TimeZoneField(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(max_length=64, validators=[validate_time_zone], **kwargs)


# ---- skills ---------------------------------------------------------------------------------------------------


class SkillOut(serializers.ModelSerializer):
    class Meta:
        model = Skill
        fields = read_only_fields = [
            "id",
            "code",
            "name",
            "category",
            "requires_certification",
            "created_at",
            "updated_at",
        ]


class SkillIn(serializers.Serializer):
    code = serializers.SlugField(max_length=50, help_text="Unique, e.g. fiber-splicing.")
    name = serializers.CharField(max_length=100)
    category = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    requires_certification = serializers.BooleanField(default=False)


class SkillFilterSet(django_filters.FilterSet):
    search = SearchFilter(
        condition=lambda v: Q(code__icontains=v) | Q(name__icontains=v), help_text=_("Code or name contains.")
    )
    category = django_filters.CharFilter(distinct=False)
    requires_certification = django_filters.BooleanFilter(distinct=False)

    class Meta:
        model = Skill
        fields = ["search", "category", "requires_certification"]


@crud_schema("skill", SkillIn, SkillOut, delete="Refused (409) while a technician or a work type holds it.")
class SkillViewSet(WorkforceViewSet):
    """Skills technicians hold at a level (1-5) and work needs."""

    model, in_class, serializer_class = Skill, SkillIn, SkillOut
    filterset_class = SkillFilterSet
    ordering_fields = ["code", "name", "category", "created_at", "updated_at"]
    ordering = ["code"]

    def create_record(self, data):
        return services.skill_create(**data)

    def update_record(self, record, data):
        return services.skill_update(skill_id=record.pk, **data)


# ---- technicians ----------------------------------------------------------------------------------------------


class TechnicianSkillOut(serializers.Serializer):
    skill = serializers.UUIDField(source="skill_id", read_only=True)
    code = serializers.CharField(source="skill.code", read_only=True)
    level = serializers.IntegerField(read_only=True)
    certified_until = serializers.DateField(read_only=True, allow_null=True)


class TechnicianSkillIn(serializers.Serializer):
    skill = serializers.PrimaryKeyRelatedField(queryset=Skill.objects.all())
    level = serializers.IntegerField(min_value=1, max_value=5, default=1)
    certified_until = serializers.DateField(required=False, allow_null=True, default=None)


class TechnicianPortalOut(serializers.ModelSerializer):
    """A technician as their vendor sees them: no cost."""

    user = serializers.UUIDField(source="user_id", read_only=True)
    name = serializers.CharField(source="user.get_full_name", read_only=True)
    email = serializers.CharField(source="user.email", read_only=True)
    vendor = serializers.UUIDField(source="vendor_id", read_only=True, allow_null=True)
    home_base = GeoJSONPointField(read_only=True)
    skills = TechnicianSkillOut(source="technician_skills", many=True, read_only=True)

    class Meta:
        model = Technician
        fields = read_only_fields = [
            "id", "user", "name", "email", "kind", "vendor", "home_base", "max_jobs_per_day", "time_zone", "active",
            "skills", "created_at", "updated_at",
        ]  # fmt: skip


class TechnicianOut(TechnicianPortalOut):
    cost_per_hour = serializers.DecimalField(
        max_digits=10, decimal_places=2, read_only=True, coerce_to_string=True, help_text="A decimal string."
    )

    class Meta(TechnicianPortalOut.Meta):
        fields = read_only_fields = [*TechnicianPortalOut.Meta.fields[:-2], "cost_per_hour", "created_at", "updated_at"]


class TechnicianIn(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), help_text="The person (a staff or vendor user), once."
    )
    kind = serializers.ChoiceField(choices=TechnicianKind.choices, default=TechnicianKind.EMPLOYEE)
    vendor = serializers.PrimaryKeyRelatedField(
        queryset=Vendor.objects.all(), required=False, allow_null=True, default=None,
        help_text="A vendor crew member's vendor (kind `vendor`); others have none.",
    )  # fmt: skip
    home_base = GeoJSONPointField(required=False, allow_null=True, default=None)
    cost_per_hour = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=0, required=False, coerce_to_string=True,
        help_text='A decimal string, e.g. "4500.00".',
    )  # fmt: skip
    max_jobs_per_day = serializers.IntegerField(min_value=0, max_value=100, default=8)
    time_zone = TimeZoneField(default="UTC")
    active = serializers.BooleanField(default=True)
    skills = TechnicianSkillIn(many=True, required=False, help_text="Replaces the technician's skills.")


class TechnicianFilterSet(django_filters.FilterSet):
    search = SearchFilter(
        condition=lambda v: Q(user__email__icontains=v) | Q(user__full_name__icontains=v),
        help_text=_("Name or email contains."),
    )
    kind = django_filters.ChoiceFilter(choices=TechnicianKind.choices, distinct=False)
    vendor = django_filters.UUIDFilter(field_name="vendor_id", distinct=False)
    active = django_filters.BooleanFilter(distinct=False)
    skill = django_filters.UUIDFilter(method="filter_skill", help_text=_("Holds this skill."))
    territory = django_filters.UUIDFilter(method="filter_territory", help_text=_("A member of this territory."))

    class Meta:
        model = Technician
        fields = ["search", "kind", "vendor", "active", "skill", "territory"]

    def filter_skill(self, queryset, name, value):
        from ..models import TechnicianSkill

        return queryset.filter(Exists(TechnicianSkill.objects.filter(technician=OuterRef("pk"), skill_id=value)))

    def filter_territory(self, queryset, name, value):
        memberships = TerritoryMembership.objects.filter(technician=OuterRef("pk"), territory_id=value)
        return queryset.filter(Exists(memberships))


@crud_schema("technician", TechnicianIn, TechnicianOut, delete="Refused (409) while they have appointments.")
class TechnicianViewSet(WorkforceViewSet):
    """Technicians with their skills (level 1-5, certification expiry) and home base. Staff with
    workforce.view_technician see all; a vendor user reads its own crew (no cost)."""

    model, in_class, serializer_class = Technician, TechnicianIn, TechnicianOut
    portal_serializer_class = TechnicianPortalOut
    portal_audiences = ("vendor",)
    filterset_class = TechnicianFilterSet
    ordering_fields = ["user__email", "kind", "max_jobs_per_day", "created_at", "updated_at"]
    ordering = ["user__email"]

    def get_queryset(self):
        return selectors.technician_list_visible_to(user=self.request.user)

    def create_record(self, data):
        return services.technician_create(**data)

    def update_record(self, record, data):
        return services.technician_update(technician_id=record.pk, **data)


# ---- territories and memberships ------------------------------------------------------------------------------


class TerritoryOut(serializers.ModelSerializer):
    geom = GeoJSONMultiPolygonField(read_only=True)
    parent = serializers.UUIDField(source="parent_id", read_only=True, allow_null=True)
    calendar = serializers.UUIDField(source="calendar_id", read_only=True, allow_null=True)

    class Meta:
        model = ServiceTerritory
        fields = read_only_fields = ["id", "code", "name", "geom", "parent", "calendar", "time_zone", *TIMES[1:]]


class TerritoryIn(serializers.Serializer):
    code = serializers.SlugField(max_length=50)
    name = serializers.CharField(max_length=100)
    geom = GeoJSONMultiPolygonField()
    parent = serializers.PrimaryKeyRelatedField(
        queryset=ServiceTerritory.objects.all(), required=False, allow_null=True, default=None
    )
    calendar = serializers.PrimaryKeyRelatedField(
        queryset=BusinessCalendar.objects.all(), required=False, allow_null=True, default=None
    )
    time_zone = TimeZoneField(default="UTC")


class TerritoryFilterSet(django_filters.FilterSet):
    search = SearchFilter(condition=lambda v: Q(code__icontains=v) | Q(name__icontains=v))
    parent = django_filters.UUIDFilter(field_name="parent_id", distinct=False)

    class Meta:
        model = ServiceTerritory
        fields = ["search", "parent"]


@crud_schema("service territory", TerritoryIn, TerritoryOut, delete="Refused (409) while it has sub-territories.")
class TerritoryViewSet(WorkforceViewSet):
    """Service territories: a GeoJSON MultiPolygon area, a parent, a business calendar and a time zone."""

    model, in_class, serializer_class = ServiceTerritory, TerritoryIn, TerritoryOut
    filterset_class = TerritoryFilterSet
    ordering_fields = ["code", "name", "created_at", "updated_at"]
    ordering = ["code"]

    def create_record(self, data):
        return services.territory_create(**data)

    def update_record(self, record, data):
        ancestor, seen = data.get("parent"), 0
        while ancestor is not None and seen < 100:  # a territory cannot sit inside itself, however deep
            if ancestor.pk == record.pk:
                raise serializers.ValidationError({"parent": ["A territory cannot be inside itself."]})
            ancestor, seen = ancestor.parent, seen + 1
        return services.territory_update(territory_id=record.pk, **data)


class MembershipOut(serializers.ModelSerializer):
    technician = serializers.UUIDField(source="technician_id", read_only=True)
    territory = serializers.UUIDField(source="territory_id", read_only=True)
    valid_from = serializers.DateField(source="valid.lower", read_only=True)
    valid_to = serializers.DateField(
        source="valid.upper", read_only=True, allow_null=True, help_text="Exclusive; null: until further notice."
    )

    class Meta:
        model = TerritoryMembership
        fields = read_only_fields = ["id", "technician", "territory", "kind", "valid_from", "valid_to", *TIMES[1:]]


class MembershipIn(serializers.Serializer):
    technician = serializers.PrimaryKeyRelatedField(queryset=Technician.objects.all())
    territory = serializers.PrimaryKeyRelatedField(queryset=ServiceTerritory.objects.all())
    kind = serializers.ChoiceField(choices=MembershipKind.choices, default=MembershipKind.PRIMARY)
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(required=False, allow_null=True, default=None, help_text="Exclusive.")

    def validate(self, attrs):
        start, end = attrs.get("valid_from"), attrs.get("valid_to")
        if start and end and end <= start:
            raise serializers.ValidationError({"valid_to": ["A membership ends after it starts."]})
        return attrs


def _membership_fields(record, data: dict) -> dict:
    fields = {key: value for key, value in data.items() if key not in ("valid_from", "valid_to")}
    if "valid_from" in data or "valid_to" in data:
        lower = data.get("valid_from", record.valid.lower if record else None)
        upper = data.get("valid_to", record.valid.upper if record else None)
        if upper is not None and upper <= lower:
            raise serializers.ValidationError({"valid_to": ["A membership ends after it starts."]})
        fields["valid"] = DateRange(lower, upper, "[)")
    return fields


class MembershipFilterSet(django_filters.FilterSet):
    technician = django_filters.UUIDFilter(field_name="technician_id", distinct=False)
    territory = django_filters.UUIDFilter(field_name="territory_id", distinct=False)
    kind = django_filters.ChoiceFilter(choices=MembershipKind.choices, distinct=False)
    valid_on = django_filters.DateFilter(method="filter_valid_on", help_text=_("Valid on this day."))

    class Meta:
        model = TerritoryMembership
        fields = ["technician", "territory", "kind"]

    def filter_valid_on(self, queryset, name, value):
        return queryset.filter(valid__contains=value)


@crud_schema(
    "territory membership",
    MembershipIn,
    MembershipOut,
    delete="Removes the membership.",
)
class MembershipViewSet(WorkforceViewSet):
    """A technician's memberships of territories (primary, secondary, relocation) over [valid_from, valid_to); a
    second primary over the same dates is a 400."""

    model, in_class, serializer_class = TerritoryMembership, MembershipIn, MembershipOut
    filterset_class = MembershipFilterSet
    ordering_fields = ["kind", "valid", "created_at", "updated_at"]

    def create_record(self, data):
        return services.membership_create(**_membership_fields(None, data))

    def update_record(self, record, data):
        return services.membership_update(membership_id=record.pk, **_membership_fields(record, data))
