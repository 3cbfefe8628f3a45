"""FilterSets of the network API (and the console later): `search`, the kinds and statuses, and two spatial
filters served by the GiST indexes: `bbox` (the geometry's box overlaps, `&&`) and `near` (ST_DWithin on
geography, metres)."""

import math

import django_filters
from django.contrib.gis.geos import Point, Polygon
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError

from omni.api.filters import IsoDateTimeFilter, SearchFilter

from ..choices import (
    CableRole,
    ConnectionKind,
    EnclosureKind,
    PathwayKind,
    PlantStatus,
    PonTechnology,
    Serviceability,
    SlackStorage,
    SplicePlanStatus,
    StructureKind,
)
from ..db import WithinMetres
from ..models import (
    Cable,
    CableSegment,
    CableType,
    Connection,
    Enclosure,
    Olt,
    Ont,
    Pathway,
    PonPort,
    ServicePoint,
    SlackLoop,
    SplicePlan,
    Splitter,
    Structure,
)

MAX_RADIUS_M = 50_000


def _numbers(name: str, value: str, count: int) -> list[float]:
    try:
        numbers = [float(part) for part in value.split(",")]
    except ValueError:
        numbers = []
    if len(numbers) != count or not all(math.isfinite(n) for n in numbers):
        raise ValidationError({name: [f"Expected {count} comma-separated numbers."]})
    return numbers


def bbox_polygon(value: str) -> Polygon:
    """`min_lon,min_lat,max_lon,max_lat` as a 4326 polygon; 400 naming `bbox` otherwise."""
    west, south, east, north = _numbers("bbox", value, 4)
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ValidationError({"bbox": ["Expected min_lon,min_lat,max_lon,max_lat within -180..180, -90..90."]})
    return Polygon.from_bbox((west, south, east, north))


def near_point(value: str) -> tuple[Point, float]:
    """`lon,lat,radius_m`; 400 naming `near` otherwise."""
    lon, lat, radius = _numbers("near", value, 3)
    if not (-180 <= lon <= 180 and -90 <= lat <= 90 and 0 <= radius <= MAX_RADIUS_M):
        raise ValidationError({"near": [f"Expected lon,lat,radius_m with a radius of at most {MAX_RADIUS_M} m."]})
    return Point(lon, lat, srid=4326), radius


class SpatialFilterSet(django_filters.FilterSet):
    """`bbox` and `near` on the model's `geom` (or `geom_field`)."""

    geom_field = "geom"
    bbox = django_filters.CharFilter(
        method="filter_bbox", label=_("Bounding box"), help_text=_("min_lon,min_lat,max_lon,max_lat (WGS 84).")
    )
    near = django_filters.CharFilter(
        method="filter_near", label=_("Near"), help_text=_("lon,lat,radius_m: within radius_m metres.")
    )
    updated_since = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    def filter_bbox(self, queryset, name, value):
        polygon = bbox_polygon(value)
        polygon.srid = 4326
        return queryset.filter(**{f"{self.geom_field}__bboverlaps": polygon})

    def filter_near(self, queryset, name, value):
        point, radius = near_point(value)
        return queryset.filter(WithinMetres(self.geom_field, point, radius))


def _numbered_search(*fields):
    def condition(value: str) -> Q:
        q = Q(number__iexact=value)
        for field in fields:
            q |= Q(**{f"{field}__icontains": value})
        return q

    return condition


class StructureFilterSet(SpatialFilterSet):
    search = SearchFilter(
        condition=_numbered_search("name", "address"), help_text=_("Number, or name/address contains.")
    )
    kind = django_filters.MultipleChoiceFilter(choices=StructureKind.choices, distinct=False)
    status = django_filters.MultipleChoiceFilter(choices=PlantStatus.choices, distinct=False)

    class Meta:
        model = Structure
        fields = ["search", "kind", "status", "bbox", "near", "updated_since"]


class PathwayFilterSet(SpatialFilterSet):
    search = SearchFilter(condition=_numbered_search("name"), help_text=_("Number, or name contains."))
    kind = django_filters.MultipleChoiceFilter(choices=PathwayKind.choices, distinct=False)
    status = django_filters.MultipleChoiceFilter(choices=PlantStatus.choices, distinct=False)
    structure = django_filters.UUIDFilter(method="filter_structure", help_text=_("Either end is this structure."))

    class Meta:
        model = Pathway
        fields = ["search", "kind", "status", "structure", "bbox", "near", "updated_since"]

    def filter_structure(self, queryset, name, value):
        return queryset.filter(Q(a_structure=value) | Q(b_structure=value))


class CableTypeFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    fiber_count = django_filters.NumberFilter()

    class Meta:
        model = CableType
        fields = ["search", "fiber_count", "construction"]


class CableSegmentFilterSet(django_filters.FilterSet):
    cable = django_filters.UUIDFilter(help_text=_("The route of this cable."))
    pathway = django_filters.UUIDFilter(help_text=_("The cables in this pathway."))
    updated_since = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = CableSegment
        fields = ["cable", "pathway", "updated_since"]


class SlackLoopFilterSet(django_filters.FilterSet):
    search = SearchFilter(
        condition=lambda value: Q(cable__number__iexact=value) | Q(structure__number__iexact=value),
        help_text=_("The cable's or the structure's number."),
    )
    cable = django_filters.UUIDFilter()
    structure = django_filters.UUIDFilter()
    storage = django_filters.MultipleChoiceFilter(choices=SlackStorage.choices, distinct=False)
    updated_since = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = SlackLoop
        fields = ["search", "cable", "structure", "storage", "updated_since"]


class CableFilterSet(SpatialFilterSet):
    search = SearchFilter(condition=_numbered_search("name"), help_text=_("Number, or label contains."))
    role = django_filters.MultipleChoiceFilter(choices=CableRole.choices, distinct=False)
    status = django_filters.MultipleChoiceFilter(choices=PlantStatus.choices, distinct=False)
    cable_type = django_filters.UUIDFilter()
    structure = django_filters.UUIDFilter(method="filter_structure", help_text=_("Either end is this structure."))
    enclosure = django_filters.UUIDFilter(method="filter_enclosure", help_text=_("Either end is in this enclosure."))
    pathway = django_filters.UUIDFilter(field_name="segments__pathway", help_text=_("Runs through this pathway."))

    class Meta:
        model = Cable
        fields = ["search", "role", "status", "cable_type", "structure", "enclosure", "pathway", "bbox", "near"]

    def filter_structure(self, queryset, name, value):
        return queryset.filter(Q(a_structure=value) | Q(b_structure=value))

    def filter_enclosure(self, queryset, name, value):
        return queryset.filter(Q(a_enclosure=value) | Q(b_enclosure=value))


class EnclosureFilterSet(SpatialFilterSet):
    geom_field = "structure__geom"
    search = SearchFilter(condition=_numbered_search("name", "model"), help_text=_("Number, or name/model contains."))
    kind = django_filters.MultipleChoiceFilter(choices=EnclosureKind.choices, distinct=False)
    status = django_filters.MultipleChoiceFilter(choices=PlantStatus.choices, distinct=False)
    structure = django_filters.UUIDFilter()

    class Meta:
        model = Enclosure
        fields = ["search", "kind", "status", "structure", "bbox", "near"]


class OltFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    status = django_filters.MultipleChoiceFilter(choices=PlantStatus.choices, distinct=False)
    structure = django_filters.UUIDFilter()

    class Meta:
        model = Olt
        fields = ["search", "status", "structure"]


class PonPortFilterSet(django_filters.FilterSet):
    olt = django_filters.UUIDFilter()
    technology = django_filters.MultipleChoiceFilter(choices=PonTechnology.choices, distinct=False)
    status = django_filters.MultipleChoiceFilter(choices=PlantStatus.choices, distinct=False)

    class Meta:
        model = PonPort
        fields = ["olt", "technology", "status", "optical_class"]


class SplitterFilterSet(django_filters.FilterSet):
    enclosure = django_filters.UUIDFilter()
    status = django_filters.MultipleChoiceFilter(choices=PlantStatus.choices, distinct=False)
    output_count = django_filters.NumberFilter()

    class Meta:
        model = Splitter
        fields = ["enclosure", "status", "level", "output_count"]


class OntFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(field_name="serial", lookup_expr="icontains")
    status = django_filters.MultipleChoiceFilter(choices=PlantStatus.choices, distinct=False)
    enclosure = django_filters.UUIDFilter()

    class Meta:
        model = Ont
        fields = ["search", "status", "enclosure"]


class ConnectionFilterSet(django_filters.FilterSet):
    enclosure = django_filters.UUIDFilter()
    kind = django_filters.MultipleChoiceFilter(choices=ConnectionKind.choices, distinct=False)
    endpoint = django_filters.UUIDFilter(method="filter_endpoint", help_text=_("Either end is this endpoint."))
    cable = django_filters.UUIDFilter(method="filter_cable", help_text=_("Joins a fibre of this cable."))
    splice_plan = django_filters.UUIDFilter()

    class Meta:
        model = Connection
        fields = ["enclosure", "kind", "status", "endpoint", "cable", "splice_plan"]

    def filter_endpoint(self, queryset, name, value):
        return queryset.filter(Q(a=value) | Q(b=value))

    def filter_cable(self, queryset, name, value):
        return queryset.filter(Q(a__strand__cable=value) | Q(b__strand__cable=value))


class SplicePlanFilterSet(django_filters.FilterSet):
    search = SearchFilter(condition=_numbered_search("name"), help_text=_("Number, or name contains."))
    enclosure = django_filters.UUIDFilter()
    status = django_filters.MultipleChoiceFilter(choices=SplicePlanStatus.choices, distinct=False)

    class Meta:
        model = SplicePlan
        fields = ["search", "enclosure", "status"]


class ServicePointFilterSet(SpatialFilterSet):
    search = SearchFilter(
        condition=_numbered_search("name", "address"), help_text=_("Number, or name/address contains.")
    )
    status = django_filters.MultipleChoiceFilter(choices=Serviceability.choices, distinct=False)
    account = django_filters.UUIDFilter()
    ont = django_filters.UUIDFilter()

    class Meta:
        model = ServicePoint
        fields = ["search", "status", "account", "ont", "bbox", "near"]
