"""Admin for the civil layer, cables and their strands, enclosures and equipment, and service points."""

from django.contrib import admin

from omni.admin import RecordServiceAdmin

from .. import services
from ..models import (
    BufferTube,
    Cable,
    CableSegment,
    CableType,
    Enclosure,
    Olt,
    Ont,
    Pathway,
    PonPort,
    ServicePoint,
    SlackLoop,
    SpliceTray,
    Splitter,
    Strand,
    Structure,
)
from .base import PlantAdmin, ReadOnlyAdmin, ReadOnlyInline

_STAMPS = ["created_at", "updated_at"]


@admin.register(Structure)
class StructureAdmin(PlantAdmin):
    list_display = ["number", "name", "kind", "status", "ownership", "owner", "created_at"]
    list_filter = ["kind", "status", "ownership"]
    search_fields = ["number", "name", "address", "owner"]
    readonly_fields = ["number", *_STAMPS]


@admin.register(Pathway)
class PathwayAdmin(PlantAdmin):
    list_display = [
        "number",
        "name",
        "kind",
        "status",
        "a_structure",
        "b_structure",
        "geo_length_m",
        "measured_length_m",
    ]
    list_filter = ["kind", "status"]
    search_fields = ["number", "name", "a_structure__number", "b_structure__number"]
    list_select_related = ["a_structure", "b_structure"]
    autocomplete_fields = ["a_structure", "b_structure", "parent"]
    readonly_fields = ["number", "geo_length_m", *_STAMPS]


class CableSegmentInline(ReadOnlyInline):
    model = CableSegment
    fields = readonly_fields = ["seq", "pathway", "slack_m"]
    ordering = ["seq"]


class BufferTubeInline(ReadOnlyInline):
    model = BufferTube
    fields = readonly_fields = ["position", "colour", "stripe", "stripe_count"]
    ordering = ["position"]
    show_change_link = False


@admin.register(CableType)
class CableTypeAdmin(PlantAdmin):
    list_display = [
        "name",
        "construction",
        "fiber_count",
        "tube_count",
        "fibers_per_tube",
        "fiber_spec",
        "colour_scheme",
    ]
    list_filter = ["construction", "colour_scheme", "fiber_count"]
    search_fields = ["name", "manufacturer"]
    readonly_fields = _STAMPS


@admin.register(Cable)
class CableAdmin(PlantAdmin):
    """Creating a cable here makes its tubes, strands and endpoints (services.cable_create)."""

    create_service = staticmethod(services.cable_create)
    list_display = ["number", "name", "cable_type", "role", "status", "a_structure", "b_structure", "geo_length_m",
                    "lit_strands", "reserved_strands", "damaged_strands"]  # fmt: skip
    list_filter = ["role", "status", ("cable_type", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["number", "name", "cable_type__name"]
    list_select_related = ["cable_type", "a_structure", "b_structure"]
    autocomplete_fields = ["cable_type", "a_structure", "b_structure", "a_enclosure", "b_enclosure"]
    # The capacity is kept by services.capacity (path-cache rebuilds, strand flags).
    readonly_fields = ["number", "geo_length_m", "lit_strands", "reserved_strands", "damaged_strands", *_STAMPS]
    inlines = [CableSegmentInline, BufferTubeInline]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "cable_type"] if obj else self.readonly_fields

    def record_update(self, obj, *, by, **fields) -> None:
        services.cable_update(cable_id=obj.pk, by=by, **fields)


@admin.register(CableSegment)
class CableSegmentAdmin(PlantAdmin):
    """A route position: checked like the API's (it meets its neighbours at a structure, one per position)."""

    create_service = staticmethod(services.cable_segment_create)
    list_display = ["cable", "seq", "pathway", "slack_m"]
    search_fields = ["cable__number", "pathway__number"]
    list_filter = [("pathway__kind")]
    list_select_related = ["cable", "pathway"]
    autocomplete_fields = ["cable", "pathway"]
    readonly_fields = _STAMPS

    def record_update(self, obj, *, by, **fields) -> None:
        services.cable_segment_update(segment_id=obj.pk, by=by, **fields)


@admin.register(SlackLoop)
class SlackLoopAdmin(PlantAdmin):
    list_display = ["cable", "structure", "start_mark_m", "end_mark_m", "length_m", "storage"]
    list_filter = ["storage"]
    search_fields = ["cable__number", "structure__number"]
    list_select_related = ["cable", "structure"]
    autocomplete_fields = ["cable", "structure"]
    readonly_fields = ["length_m", *_STAMPS]


@admin.register(BufferTube)
class BufferTubeAdmin(ReadOnlyAdmin):
    list_display = ["cable", "position", "colour", "stripe"]
    list_filter = ["colour"]
    search_fields = ["cable__number"]
    list_select_related = ["cable"]


@admin.register(Strand)
class StrandAdmin(RecordServiceAdmin, ReadOnlyAdmin):
    """Strands are made with their cable; only reserved and damaged are set by hand, through
    services.strand_update (which recounts the cable's stored capacity)."""

    list_display = ["cable", "number", "tube", "position", "colour", "stripe", "reserved", "damaged"]
    list_filter = ["colour", "reserved", "damaged"]
    search_fields = ["cable__number", "=number"]
    list_select_related = ["cable", "tube"]

    def has_change_permission(self, request, obj=None):  # reserved and damaged are set by hand
        return admin.ModelAdmin.has_change_permission(self, request, obj)

    def record_update(self, obj, *, by, **fields) -> None:
        services.strand_update(strand_id=obj.pk, by=by, **fields)

    def get_readonly_fields(self, request, obj=None):
        return ["cable", "tube", "number", "position", "colour", "stripe", "stripe_count", "created_at", "updated_at"]


class SpliceTrayInline(admin.TabularInline):
    model = SpliceTray
    extra = 0
    fields = ["number", "kind", "capacity"]


@admin.register(Enclosure)
class EnclosureAdmin(PlantAdmin):
    list_display = ["number", "name", "kind", "status", "structure", "model"]
    list_filter = ["kind", "status"]
    search_fields = ["number", "name", "model", "structure__number"]
    list_select_related = ["structure"]
    autocomplete_fields = ["structure"]
    readonly_fields = ["number", *_STAMPS]
    inlines = [SpliceTrayInline]


@admin.register(SpliceTray)
class SpliceTrayAdmin(admin.ModelAdmin):
    list_display = ["enclosure", "number", "kind", "capacity"]
    list_filter = ["kind"]
    search_fields = ["enclosure__number", "enclosure__name"]
    list_select_related = ["enclosure"]
    autocomplete_fields = ["enclosure"]


class PonPortInline(ReadOnlyInline):
    model = PonPort
    fields = readonly_fields = ["slot", "port", "technology", "optical_class", "max_split", "status"]
    ordering = ["slot", "port"]


@admin.register(Olt)
class OltAdmin(PlantAdmin):
    create_service = staticmethod(services.olt_create)
    list_display = ["name", "status", "structure", "enclosure", "vendor", "model", "management_ip"]
    list_filter = ["status", "vendor"]
    search_fields = ["name", "serial", "vendor", "model"]
    list_select_related = ["structure", "enclosure"]
    autocomplete_fields = ["structure", "enclosure"]
    readonly_fields = _STAMPS
    inlines = [PonPortInline]


@admin.register(PonPort)
class PonPortAdmin(PlantAdmin):
    create_service = staticmethod(services.pon_port_create)
    list_display = ["__str__", "olt", "slot", "port", "technology", "optical_class", "max_split", "status"]
    list_filter = ["technology", "optical_class", "status"]
    search_fields = ["olt__name"]
    list_select_related = ["olt"]
    autocomplete_fields = ["olt"]
    readonly_fields = _STAMPS


@admin.register(Splitter)
class SplitterAdmin(PlantAdmin):
    create_service = staticmethod(services.splitter_create)
    list_display = [
        "__str__",
        "enclosure",
        "kind",
        "level",
        "input_count",
        "output_count",
        "insertion_loss_db",
        "status",
    ]
    list_filter = ["kind", "level", "output_count", "status"]
    search_fields = ["name", "enclosure__number", "enclosure__name"]
    list_select_related = ["enclosure"]
    autocomplete_fields = ["enclosure"]
    readonly_fields = _STAMPS

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "input_count", "output_count"] if obj else self.readonly_fields

    def record_update(self, obj, *, by, **fields) -> None:
        services.splitter_update(splitter_id=obj.pk, by=by, **fields)


@admin.register(Ont)
class OntAdmin(PlantAdmin):
    create_service = staticmethod(services.ont_create)
    list_display = ["serial", "vendor", "model", "status", "enclosure"]
    list_filter = ["status", "vendor"]
    search_fields = ["serial", "model"]
    list_select_related = ["enclosure"]
    autocomplete_fields = ["enclosure"]
    readonly_fields = _STAMPS


@admin.register(ServicePoint)
class ServicePointAdmin(PlantAdmin):
    list_display = ["number", "name", "address", "status", "account", "ont"]
    list_filter = ["status"]
    search_fields = ["number", "name", "address", "account__number", "account__name", "ont__serial"]
    list_select_related = ["account", "ont"]
    autocomplete_fields = ["account", "ont", "structure"]
    readonly_fields = ["number", *_STAMPS]
