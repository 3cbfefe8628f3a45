"""The API of vendors' crews: staff with workforce.view_crew read them, Dispatcher and Admin write; a vendor user reads
its own vendor's crews (anyone else's: 404); customers and resellers get 403."""

import django_filters
from django.db.models import Q
from rest_framework import serializers

from omni.api.filters import SearchFilter
from omni.choices import Audience

from .. import selectors, services
from ..models import Crew, Technician, Vendor
from .base import WorkforceViewSet, crud_schema


class CrewOut(serializers.ModelSerializer):
    vendor = serializers.UUIDField(source="vendor_id", read_only=True)
    members = serializers.PrimaryKeyRelatedField(many=True, read_only=True, help_text="Technician ids.")

    class Meta:
        model = Crew
        fields = read_only_fields = ["id", "vendor", "name", "members", "created_at", "updated_at"]


class CrewIn(serializers.Serializer):
    vendor = serializers.PrimaryKeyRelatedField(queryset=Vendor.objects.all())
    name = serializers.CharField(max_length=100)
    members = serializers.PrimaryKeyRelatedField(
        queryset=Technician.objects.all(), many=True, required=False, help_text="Technicians of the vendor."
    )


class CrewFilterSet(django_filters.FilterSet):
    search = SearchFilter(condition=lambda v: Q(name__icontains=v))
    vendor = django_filters.UUIDFilter(field_name="vendor_id", distinct=False)

    class Meta:
        model = Crew
        fields = ["search", "vendor"]


@crud_schema("crew", CrewIn, CrewOut, delete="Removes the crew (its technicians stay).")
class CrewViewSet(WorkforceViewSet):
    """A vendor's named crews of its technicians."""

    model, in_class, serializer_class = Crew, CrewIn, CrewOut
    portal_audiences = (Audience.VENDOR,)
    filterset_class = CrewFilterSet
    ordering_fields = ["name", "created_at", "updated_at"]
    ordering = ["name"]

    def get_queryset(self):
        return selectors.crew_list_visible_to(user=self.request.user)

    def create_record(self, data):
        return services.crew_create(**data)

    def update_record(self, record, data):
        return services.crew_update(crew_id=record.pk, **data)
